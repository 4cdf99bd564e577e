"""What happens when a questionnaire is published, comes close to its end, and closes: in one place.

Publishing tells the residents in scope (those who may answer: owners only, or every resident); the
worker reminds those who have not answered a day before ``closes_at`` and closes it on time
(``tasks.py``). Notices go through the outbox in the same transaction as the change.
"""

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.clock import SHANGHAI
from app.notifications.events import Notice, notify
from app.registry import reads as registry
from app.residency import reads as residency
from app.surveys.models import Audience, Questionnaire, QuestionnaireResponse, ResponseUnit


async def units_in_scope(session: AsyncSession, q: Questionnaire) -> list[registry.UnitRef]:
    return await registry.units(session, q.estate_id, building_ids=q.scope_buildings or None)


async def _audience(session: AsyncSession, q: Questionnaire, unit_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    relations = residency.OWNER_RELATIONS if q.audience == Audience.owners else None
    return await residency.residents(session, unit_ids, relations)


def _page(q: Questionnaire) -> str:
    return f"pages/questionnaire/index?id={q.id}"


async def published(session: AsyncSession, q: Questionnaire) -> None:
    estate = await registry.estate(session, q.estate_id)
    recipients = await _audience(session, q, [u.id for u in await units_in_scope(session, q)])
    deadline = f"，请于{q.closes_at.astimezone(SHANGHAI):%m月%d日 %H:%M}前填写" if q.closes_at else ""
    await notify(session, Notice(
        template="questionnaire_published", title=f"问卷调查：{q.title}",
        body=f"「{estate.name if estate else ''}」发布了问卷「{q.title}」{deadline}。您的意见很重要。",
        data={"thing1": q.title, "thing2": estate.name if estate else "", "time3": q.closes_at or q.published_at,
              "thing4": "点击填写问卷"},
        page=_page(q)), recipients)


async def non_respondents(session: AsyncSession, q: Questionnaire) -> list[uuid.UUID]:
    """The accounts that may answer and have not (for the reminder)."""
    units = [u.id for u in await units_in_scope(session, q)]
    current = (QuestionnaireResponse.questionnaire_id == q.id, col(QuestionnaireResponse.is_current).is_(True))
    if q.response_unit == ResponseUnit.unit:
        answered = set((await session.exec(select(QuestionnaireResponse.unit_id).where(*current))).all())
        return await _audience(session, q, [u for u in units if u not in answered])
    answered_users = set((await session.exec(select(QuestionnaireResponse.user_id).where(*current))).all())
    return [user for user in await _audience(session, q, units) if user not in answered_users]


async def closing_soon(session: AsyncSession, q: Questionnaire) -> int:
    recipients = await non_respondents(session, q)
    assert q.closes_at is not None
    return await notify(session, Notice(
        template="questionnaire_closing", title=f"问卷即将截止：{q.title}",
        body=f"问卷「{q.title}」将于{q.closes_at.astimezone(SHANGHAI):%m月%d日 %H:%M}截止，您还没有填写。",
        data={"thing1": q.title, "time2": q.closes_at, "thing3": "点击填写问卷"}, page=_page(q)), recipients)
