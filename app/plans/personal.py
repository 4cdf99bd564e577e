"""A resident's opinions on design plans in their data (docs/personal-information.md), and what closing their account does
to them: the opinions stay on the plan's record, without a link to anyone."""

from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.plans.models import PlanOpinion
from app.privacy.holders import Subject


def _sent_by(subject: Subject):
    """Opinions the user sent themselves (a proxy opinion is the grid worker's record of a resident's), by
    their author alone, through its index: a self opinion's sender is its author (the table's
    ``self_sent_by_author`` check)."""
    return col(PlanOpinion.author_id) == subject.user_id


async def export(session: AsyncSession, subject: Subject) -> list[dict[str, Any]]:
    rows = await session.exec(select(PlanOpinion).where(_sent_by(subject))
                              .order_by(col(PlanOpinion.created_at), col(PlanOpinion.id)))
    return [{"id": o.id, "plan_id": o.plan_id, "project_id": o.project_id, "item_code": o.item_code,
             "unit_id": o.unit_id, "channel": o.channel, "content": o.content, "photo_file_ids": o.photo_file_ids,
             "status": o.status, "reply": o.reply, "replied_at": o.replied_at, "hidden": o.hidden,
             "created_at": o.created_at} for o in rows.all()]


async def close(session: AsyncSession, subject: Subject) -> None:
    await session.exec(update(PlanOpinion).where(_sent_by(subject)).values(author_id=None, recorded_by=None))
