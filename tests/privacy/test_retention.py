"""Retention (docs/personal-information.md, PIPL art. 19): the worker's jobs remove what is past its time - paper-form photos
a year after their questionnaire closed, ended logins, idempotency records, sent notifications - count it
in the metrics and log it without personal data, and never touch what the procedure around a ballot keeps."""

import logging
import uuid
from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import func
from sqlmodel import select

from app.auth.models import AuthSession, RefreshToken
from app.auth.roles import Role
from app.core import clock
from app.core.jobs import JOBS
from app.core.models import IdempotencyRecord
from app.files.models import FileBlob, StoredFile
from app.files.storage import get_storage
from app.notifications.models import InboxMessage, NotificationOutbox, OutboxStatus
from app.residency.models import IdentityCheck, UnitBinding
from app.surveys.models import Questionnaire, QuestionnaireResponse, QuestionnaireStatus
from app.voting.models import BallotCast, BallotVoter, NoticeDelivery
from tests import factories as f
from tests.files.conftest import image
from tests.privacy.activity import SURVEY
from tests.voting.conftest import API, ballot, vote

RETENTION_JOBS = ("surveys.remove_paper_photos", "auth.remove_old_logins", "idempotency.purge_expired",
                  "notifications.remove_sent")


def _removed(kind: str) -> float:
    return REGISTRY.get_sample_value("retention_removed_total", {"kind": kind}) or 0.0


async def _paper_answer(client, estate, grid, room: str, photo: bytes) -> tuple[str, str]:
    """A questionnaire published, answered on paper for ``room`` by the grid worker with a photo of the form;
    (questionnaire id, photo id)."""
    q = (await client.post(f"{API}/projects/{estate.side.project_id}/questionnaires", headers=estate.staff,
                           json={"title": f"纸质问卷{room}", "questions": SURVEY})).json()
    assert (await client.post(f"{API}/questionnaires/{q['id']}/publish", headers=estate.staff, json={})).status_code == 200
    upload = await client.post(f"{API}/files", files={"file": ("form.png", photo, "image/png")}, headers=grid)
    assert upload.status_code == 201, upload.text
    r = await client.post(f"{API}/questionnaires/{q['id']}/responses", headers=grid, json={
        "response_id": str(uuid.uuid4()), "unit_id": str(estate.units[room]), "channel": "proxy",
        "answers": [{"question_id": "score", "value": 5}], "evidence_file_ids": [upload.json()["id"]]})
    assert r.status_code == 201, r.text
    return q["id"], upload.json()["id"]


async def _closed(db, questionnaire_id: str, days_ago: int) -> None:
    q = await db.get(Questionnaire, uuid.UUID(questionnaire_id))
    q.status, q.closed_at = QuestionnaireStatus.closed, clock.now() - timedelta(days=days_ago)
    db.add(q)
    await db.flush()


async def _blob_of(db, file_id: str) -> FileBlob:
    return (await db.exec(select(FileBlob).join(StoredFile, StoredFile.blob_id == FileBlob.id)
                          .where(StoredFile.id == uuid.UUID(file_id)))).one()


async def test_paper_form_photos_go_a_year_after_the_close_and_the_answers_stay(client, db, estate, caplog):
    grid = await f.headers(db, await f.user(db, (Role.grid_worker, estate.side.grid_id)))
    unique, shared = image("PNG", color=(9, 9, 9)), image("PNG", color=(8, 8, 8))
    old_q, old_photo = await _paper_answer(client, estate, grid, "101", unique)
    shared_q, shared_photo = await _paper_answer(client, estate, grid, "102", shared)
    recent_q, recent_photo = await _paper_answer(client, estate, grid, "103", image("PNG", color=(7, 7, 7)))
    # The same bytes as the second form, uploaded for something else: its stored object is shared.
    other = await client.post(f"{API}/files", files={"file": ("x.png", shared, "image/png")}, headers=estate.staff)
    assert other.status_code == 201
    unique_blob, shared_blob = await _blob_of(db, old_photo), await _blob_of(db, shared_photo)
    await _closed(db, old_q, 366)
    await _closed(db, shared_q, 400)
    await _closed(db, recent_q, 300)
    before = _removed("questionnaire_paper_photos")

    with caplog.at_level(logging.INFO, logger="app.core.retention"):
        assert await JOBS["surveys.remove_paper_photos"].fn(db) == 2
    assert _removed("questionnaire_paper_photos") - before == 2
    [line] = [r for r in caplog.records if r.getMessage() == "retention removed"]
    assert (line.kind, line.removed) == ("questionnaire_paper_photos", 2)  # type: ignore[attr-defined]

    answers = {str(r.questionnaire_id): r for r in (await db.exec(select(QuestionnaireResponse).where(
        QuestionnaireResponse.questionnaire_id.in_([uuid.UUID(q) for q in (old_q, shared_q, recent_q)])))).all()}  # type: ignore[attr-defined]
    assert answers[old_q].evidence_file_ids == [] and answers[old_q].answers == {"score": 5}
    assert answers[recent_q].evidence_file_ids == [recent_photo]
    assert await db.get(StoredFile, uuid.UUID(old_photo)) is None and await db.get(StoredFile, uuid.UUID(shared_photo)) is None
    assert await db.get(StoredFile, uuid.UUID(recent_photo)) is not None
    storage = get_storage()
    assert not await storage.exists(unique_blob.storage_key)  # the photo's bytes are gone
    assert await storage.exists(shared_blob.storage_key)  # still another file's
    assert (await client.get(f"{API}/files/{other.json()['id']}", headers=estate.staff)).content == shared
    assert await JOBS["surveys.remove_paper_photos"].fn(db) == 0  # nothing left to do


async def test_logins_idempotency_records_and_sent_notifications_past_their_time(db, estate):
    now = clock.now()
    user = await f.user(db)
    old = timedelta(days=200)
    revoked = AuthSession(user_id=user.id, channel="wechat", created_at=now - old, revoked_at=now - old)
    lapsed = AuthSession(user_id=user.id, channel="wechat", created_at=now - old)
    lasting = AuthSession(user_id=user.id, channel="wechat", created_at=now - old)
    live = AuthSession(user_id=user.id, channel="wechat", created_at=now)
    db.add_all([revoked, lapsed, lasting, live])
    await db.flush()
    db.add_all([RefreshToken(session_id=lapsed.id, token_hash=uuid.uuid4().hex, expires_at=now - old),
                RefreshToken(session_id=lasting.id, token_hash=uuid.uuid4().hex, expires_at=now + timedelta(days=5)),
                RefreshToken(session_id=revoked.id, token_hash=uuid.uuid4().hex, expires_at=now - old)])

    def outbox(status, sent_days_ago, ref=None):
        sent = now - timedelta(days=sent_days_ago)
        return NotificationOutbox(user_id=user.id, template="project_stage", title="进展", body="进展",
                                  status=status, sent_at=sent if status == OutboxStatus.sent else None,
                                  created_at=sent, ref=ref)

    gone, proof, waiting, recent, given_up = (outbox(OutboxStatus.sent, 40), outbox(OutboxStatus.sent, 40, "ballot:x:announced"),
                                              outbox(OutboxStatus.pending, 40), outbox(OutboxStatus.sent, 10),
                                              outbox(OutboxStatus.failed, 40))
    db.add_all([gone, proof, waiting, recent, given_up])
    await db.flush()
    inbox = InboxMessage(user_id=user.id, outbox_id=gone.id, title="进展", body="进展")
    db.add(inbox)
    db.add(IdempotencyRecord(user_id=user.id, key="k-old", fingerprint="x", expires_at=now - timedelta(hours=1),
                             locked_until=now - timedelta(hours=1)))
    db.add(IdempotencyRecord(user_id=user.id, key="k-new", fingerprint="x", expires_at=now + timedelta(hours=1),
                             locked_until=now))
    await db.flush()
    counts = {k: _removed(k) for k in ("login_records", "sent_notifications", "idempotency_records")}

    assert await JOBS["auth.remove_old_logins"].fn(db) == 2
    assert await JOBS["notifications.remove_sent"].fn(db) == 2
    assert await JOBS["idempotency.purge_expired"].fn(db) == 1
    left = set((await db.exec(select(AuthSession.id).where(AuthSession.user_id == user.id))).all())
    assert left == {lasting.id, live.id}
    kept = set((await db.exec(select(NotificationOutbox.id).where(NotificationOutbox.user_id == user.id))).all())
    assert kept == {proof.id, waiting.id, recent.id}
    await db.refresh(inbox)
    assert inbox.outbox_id is None  # the inbox keeps its copy
    assert [r.key for r in (await db.exec(select(IdempotencyRecord).where(IdempotencyRecord.user_id == user.id))).all()] == ["k-new"]
    assert {k: _removed(k) - v for k, v in counts.items()} == {"login_records": 2, "sent_notifications": 2,
                                                               "idempotency_records": 1}


async def test_nothing_a_ballot_keeps_is_ever_removed(client, db, estate):
    held = await ballot(client, estate)
    assert (await vote(client, estate.owners["zhang"], held, "approve")).status_code == 201
    binding = (await db.exec(select(UnitBinding))).first()
    db.add(IdentityCheck(binding_id=binding.id, assurance=binding.assurance))
    await db.flush()
    kept = (BallotCast, BallotVoter, NoticeDelivery, UnitBinding, IdentityCheck)

    async def counts():
        return [(await db.exec(select(func.count()).select_from(t))).one() for t in kept]

    before = await counts()
    with clock.freeze(clock.now() + timedelta(days=5 * 365)):  # everything is years old
        for name in RETENTION_JOBS:
            await JOBS[name].fn(db)
    assert await counts() == before
    announced = (await db.exec(select(func.count()).select_from(NotificationOutbox)
                               .where(NotificationOutbox.ref.is_not(None)))).one()  # type: ignore[union-attr]
    assert announced > 0  # the proof that the owners were told stays
