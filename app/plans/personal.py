"""A resident's opinions on design plans in their data (docs/personal-information.md), and what closing their account does
to them: the opinions stay on the plan's record, without a link to anyone."""

from typing import Any

from sqlalchemy import update
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.plans.models import OpinionChannel, PlanOpinion
from app.privacy.holders import Subject


def _sent_by(subject: Subject):
    return or_(col(PlanOpinion.author_id) == subject.user_id,
               (col(PlanOpinion.recorded_by) == subject.user_id) & (col(PlanOpinion.channel) == OpinionChannel.self))


async def export(session: AsyncSession, subject: Subject) -> list[dict[str, Any]]:
    rows = await session.exec(select(PlanOpinion).where(_sent_by(subject))
                              .order_by(col(PlanOpinion.created_at), col(PlanOpinion.id)))
    return [{"id": o.id, "plan_id": o.plan_id, "project_id": o.project_id, "item_code": o.item_code,
             "unit_id": o.unit_id, "channel": o.channel, "content": o.content, "photo_file_ids": o.photo_file_ids,
             "status": o.status, "reply": o.reply, "replied_at": o.replied_at, "hidden": o.hidden,
             "created_at": o.created_at} for o in rows.all()]


async def close(session: AsyncSession, subject: Subject) -> None:
    await session.exec(update(PlanOpinion).where(col(PlanOpinion.author_id) == subject.user_id).values(author_id=None))
    await session.exec(update(PlanOpinion).where(col(PlanOpinion.recorded_by) == subject.user_id,
                                                 col(PlanOpinion.channel) == OpinionChannel.self)
                       .values(recorded_by=None))
