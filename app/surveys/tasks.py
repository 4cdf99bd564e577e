"""The questionnaires' periodic work: remind non-respondents a day before the end, close on time."""

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.surveys import flows, service
from app.surveys.models import Questionnaire, QuestionnaireStatus

REMIND_BEFORE = timedelta(hours=24)


async def close_due(session: AsyncSession) -> None:
    due = (await session.exec(select(Questionnaire).where(
        Questionnaire.status == QuestionnaireStatus.published, col(Questionnaire.closes_at) <= clock.now()))).all()
    for q in due:
        await service.close(session, q, None)


async def remind_non_respondents(session: AsyncSession) -> None:
    now = clock.now()
    due = (await session.exec(select(Questionnaire).where(
        Questionnaire.status == QuestionnaireStatus.published, col(Questionnaire.reminded_at).is_(None),
        col(Questionnaire.closes_at) > now, col(Questionnaire.closes_at) <= now + REMIND_BEFORE))).all()
    for q in due:
        await flows.closing_soon(session, q)
        q.reminded_at = now
        session.add(q)
    await session.flush()


