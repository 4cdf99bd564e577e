"""A resident's questionnaire answers in their data (docs/personal-information.md), what closing their account does to them
- the answers stay, a unit's answer counts in the results, without a link to anyone - and the photos of
paper forms removed when past their retention."""

import uuid
from typing import Any

from sqlalchemy import String, cast
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import retention
from app.core.config import get_settings
from app.files import service as files
from app.files.storage import get_storage
from app.privacy.holders import Subject
from app.surveys import logic
from app.surveys.models import Questionnaire, QuestionnaireResponse


def _sent_by(user_id: uuid.UUID):
    """Answers the user gave themselves (a proxy answer is the grid worker's record of the unit's, not the
    worker's personal information): by their user alone, through its index - a self answer's sender is its
    user (the table's ``self_sent_by_user`` check), so this is every answer they sent, found among the
    city's without reading them all."""
    return col(QuestionnaireResponse.user_id) == user_id


async def export(session: AsyncSession, subject: Subject) -> list[dict[str, Any]]:
    rows = await session.exec(
        select(QuestionnaireResponse, Questionnaire.title)
        .join(Questionnaire, col(Questionnaire.id) == QuestionnaireResponse.questionnaire_id)
        .where(_sent_by(subject.user_id))
        .order_by(col(QuestionnaireResponse.answered_at), col(QuestionnaireResponse.id)))
    return [{"id": r.id, "questionnaire_id": r.questionnaire_id, "questionnaire": title, "unit_id": r.unit_id,
             "channel": r.channel, "answers": r.answers, "answered_at": r.answered_at, "is_current": r.is_current}
            for r, title in rows.all()]


async def close(session: AsyncSession, subject: Subject) -> None:
    """Unlink the user's answers: no user, no sender, and a per-person answer's key (``unit:user``) takes a
    random token in place of the account - one token for all of them, so that a person's answer still
    replaces their earlier one - with its fingerprint made again."""
    uid, token = str(subject.user_id), f"closed-{uuid.uuid4().hex[:12]}"
    for r in (await session.exec(select(QuestionnaireResponse).where(_sent_by(subject.user_id)))).all():
        r.user_id = None
        if r.recorded_by == subject.user_id:
            r.recorded_by = None
        if uid in r.respondent_key:
            r.respondent_key = r.respondent_key.replace(uid, token)
            r.content_hash = logic.content_hash(r.unit_id, r.respondent_key, r.answers)
        session.add(r)
    await session.flush()


async def remove_paper_photos(session: AsyncSession) -> int:
    """Photos of paper forms (a proxy answer's evidence) a year - ``APP_RETENTION_PAPER_PHOTO_DAYS`` -
    after their questionnaire closed: the answers stay, the photos of the paper go (PIPL art. 19)."""
    cutoff = retention.cutoff(get_settings().retention_paper_photo_days)
    closed = select(Questionnaire.id).where(col(Questionnaire.closed_at) < cutoff)
    responses = (await session.exec(select(QuestionnaireResponse).where(
        col(QuestionnaireResponse.questionnaire_id).in_(closed),
        cast(QuestionnaireResponse.evidence_file_ids, String) != "[]"))).all()
    file_ids = [uuid.UUID(f) for r in responses for f in r.evidence_file_ids]
    for r in responses:
        r.evidence_file_ids = []
        session.add(r)
    await session.flush()
    return retention.removed("questionnaire_paper_photos", await files.remove(session, get_storage(), file_ids))
