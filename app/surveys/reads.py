"""The questionnaires' read API, for the public notice board (docs/public-board.md): the after-care satisfaction
survey's totals once it has closed - counts per question, never who answered what."""

import uuid
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.surveys import results
from app.surveys.models import Questionnaire, QuestionnaireStatus
from app.surveys.schemas import QuestionnaireResultsPublic

__all__ = ["ClosedSurvey", "QuestionnaireResultsPublic", "satisfaction"]


@dataclass(frozen=True)
class ClosedSurvey:
    title: str
    results: QuestionnaireResultsPublic


async def satisfaction(session: AsyncSession, project_id: uuid.UUID) -> list[ClosedSurvey]:
    """The project's closed satisfaction surveys (满意度调查) with their totals - not per building."""
    rows = (await session.exec(select(Questionnaire).where(
        Questionnaire.project_id == project_id, Questionnaire.template == "satisfaction",
        Questionnaire.status == QuestionnaireStatus.closed).order_by(col(Questionnaire.created_at)))).all()
    return [ClosedSurvey(q.title, await results.results(session, q, per_building=False)) for q in rows]
