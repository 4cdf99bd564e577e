"""What the questionnaires domain does when a project enters a stage: once the works are accepted, the
after-care satisfaction survey (满意度调查) is created from its template and published to the estate's
residents for a month, in the transition's transaction (docs/domain.md)."""

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.projects.lifecycle import Entered
from app.surveys import service
from app.surveys.schemas import QuestionnaireCreate

SATISFACTION_DAYS = 30


async def satisfaction_survey(session: AsyncSession, entered: Entered) -> None:
    survey = await service.create(session, entered.actor_id, entered.project,
                                  QuestionnaireCreate(template="satisfaction"))
    await service.publish(session, entered.actor_id, survey, clock.now() + timedelta(days=SATISFACTION_DAYS))

