"""What supervision holds about a person (docs/personal-information.md): the complaints they sent, and - for a supervisor -
their inspections with the positions recorded. Closing the account keeps the complaints without their
author and the inspections as the project's record, without the positions (行踪轨迹, sensitive: PIPL art.
28): how far from the estate each was made stays, which is what the record needs."""

from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.privacy.holders import Subject
from app.supervision.models import Feedback, Inspection


async def export(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    feedback = (await session.exec(select(Feedback).where(Feedback.author_id == subject.user_id)
                                   .order_by(col(Feedback.created_at), col(Feedback.id)))).all()
    inspections = (await session.exec(select(Inspection).where(Inspection.supervisor_id == subject.user_id)
                                      .order_by(col(Inspection.occurred_at), col(Inspection.id)))).all()
    return {
        "complaints": [{"id": f.id, "project_id": f.project_id, "unit_id": f.unit_id, "content": f.content,
                        "file_ids": f.file_ids, "status": f.status, "reply": f.reply, "created_at": f.created_at}
                       for f in feedback],
        "inspections": [{"id": i.id, "project_id": i.project_id, "category": i.category,
                         "occurred_at": i.occurred_at, "latitude": i.latitude, "longitude": i.longitude,
                         "distance_m": i.distance_m, "summary": i.summary, "file_ids": i.file_ids}
                        for i in inspections],
    }


async def close(session: AsyncSession, subject: Subject) -> None:
    await session.exec(update(Feedback).where(col(Feedback.author_id) == subject.user_id).values(author_id=None))
    await session.exec(update(Inspection).where(col(Inspection.supervisor_id) == subject.user_id)
                       .values(latitude=None, longitude=None))
