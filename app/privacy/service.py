"""What the privacy domain itself holds about a person: their consents, and the record of staff who were
shown their data (kept when an account closes: it is the record of the staff's conduct, not the
resident's)."""

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.privacy import consents
from app.privacy.holders import Subject
from app.privacy.models import DataAccess, SubjectKind


async def export(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    reads = await session.exec(
        select(DataAccess).where(
            ((col(DataAccess.subject_kind) == SubjectKind.user) & (col(DataAccess.subject_id) == subject.user_id))
            | ((col(DataAccess.subject_kind) == SubjectKind.person) & col(DataAccess.subject_id).in_(subject.person_ids)))
        .order_by(col(DataAccess.first_at), col(DataAccess.id)))
    return {
        "consents": [{"purpose": c.purpose, "notice_version": c.notice_version, "accepted_at": c.accepted_at}
                     for c in await consents.of_user(session, subject.user_id)],
        "shown_to_staff": [{"viewer_id": r.viewer_id, "subject_kind": r.subject_kind, "subject_id": r.subject_id,
                            "day": r.day, "route": r.route, "first_at": r.first_at} for r in reads.all()],
    }
