"""The audit chain: appends link up, and an edited or deleted row is reported by verify."""

import asyncio

from sqlalchemy import func, text
from sqlmodel import select

from app.__main__ import audit_verify
from app.auth.roles import Role
from app.core import audit
from tests import factories


async def _append(session, n: int, estate_id=None):
    entries = [
        await audit.record(session, actor_id=None, action="test.change", entity_type="thing", entity_id=i,
                           before={"v": i}, after={"v": i + 1, "名": "值"}, estate_id=estate_id)
        for i in range(n)
    ]
    await audit.append(session)
    return entries


async def test_entries_chain_to_each_other(db):
    entries = await _append(db, 3)
    assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + 3))
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert (await audit.verify(db)).ok


async def test_edited_row_is_reported(db):
    seqs = [e.seq for e in await _append(db, 4)]
    await (await db.connection()).execute(text("UPDATE audit_entry SET after = :a WHERE seq = :s"), {"a": '{"v": 999}', "s": seqs[2]})
    db.expire_all()
    result = await audit.verify(db)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, seqs[2], "content_changed")


async def test_deleted_row_is_reported(db):
    seqs = [e.seq for e in await _append(db, 4)]
    await (await db.connection()).execute(text("DELETE FROM audit_entry WHERE seq = :s"), {"s": seqs[1]})
    db.expire_all()
    result = await audit.verify(db)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, seqs[1], "missing")


async def test_deleted_newest_row_is_reported(db):
    seqs = [e.seq for e in await _append(db, 3)]
    await (await db.connection()).execute(text("DELETE FROM audit_entry WHERE seq = :s"), {"s": seqs[-1]})
    db.expire_all()
    result = await audit.verify(db)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, seqs[-1], "missing")


async def test_rehashed_edit_still_breaks_the_next_link(db):
    """Someone who edits a row and recomputes its own hash still breaks the following entry's prev_hash."""
    entries = await _append(db, 3)
    forged = entries[0]
    forged.after = {"v": -1}
    forged.hash = audit.entry_hash(forged.prev_hash, forged)
    db.add(forged)
    await db.flush()
    result = await audit.verify(db)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, entries[1].seq, "chain_broken")


def test_snapshot_drops_secrets():
    snap = audit.snapshot({"phone": "13800138000", "password_hash": "$argon2...", "wechat_session_key": "k"})
    assert snap == {"phone": "13800138000"}


async def test_audit_api_is_scoped_and_verify_is_admin_only(client, db):
    estate = await factories.estate(db)
    other = await factories.estate(db)
    await _append(db, 2, estate_id=estate.id)
    await _append(db, 1, estate_id=other.id)
    community_staff = await factories.user(db, (Role.community_staff, estate.community_id))
    admin = await factories.user(db, (Role.admin, None))
    resident = await factories.user(db)

    r = await client.get("/api/v1/audit", headers=await factories.headers(db, community_staff))
    assert r.status_code == 200
    assert {e["estate_id"] for e in r.json()["items"]} == {str(estate.id)} and len(r.json()["items"]) == 2
    r = await client.get("/api/v1/audit", params={"entity_type": "thing", "limit": 2},
                         headers=await factories.headers(db, admin))
    assert len(r.json()["items"]) == 2 and r.json()["next_cursor"]
    assert r.json()["items"][0]["seq"] > r.json()["items"][1]["seq"]  # newest first
    assert (await client.get("/api/v1/audit", headers=await factories.headers(db, resident))).status_code == 403

    assert (await client.get("/api/v1/audit/verify", headers=await factories.headers(db, community_staff))).status_code == 403
    r = await client.get("/api/v1/audit/verify", headers=await factories.headers(db, admin))
    assert r.status_code == 200 and r.json()["ok"] is True


async def test_audit_verify_command_reports_tampering(live_app):
    """`python -m app audit-verify` reads the committed log and exits 1 at the first broken link."""
    from app.__main__ import main
    from app.core.db import get_sessionmaker

    async with get_sessionmaker()() as session, session.begin():
        entries = await _append(session, 3)
    assert (await audit_verify()).ok
    forged = "UPDATE audit_entry SET action = :a WHERE seq = :s"
    async with get_sessionmaker()() as session, session.begin():
        await (await session.connection()).execute(text(forged), {"a": "forged", "s": entries[1].seq})
    try:
        result = await audit_verify()
        assert (result.ok, result.first_broken_seq) == (False, entries[1].seq)
        assert await asyncio.to_thread(main, ["audit-verify"]) == 1
    finally:  # the live database is shared by the session's concurrency tests: mend the chain
        async with get_sessionmaker()() as session, session.begin():
            await (await session.connection()).execute(text(forged), {"a": "test.change", "s": entries[1].seq})
    assert (await audit_verify()).ok


async def test_chain_is_keyed_so_a_database_writer_cannot_recompute_it(db, monkeypatch):
    from app.core.config import get_settings

    entries = await _append(db, 2)
    assert (await audit.verify(db)).ok
    monkeypatch.setattr(get_settings(), "audit_key", "a-different-key-an-attacker-would-guess" * 2)
    result = await audit.verify(db)
    assert not result.ok and result.reason == "content_changed"
    assert result.first_broken_seq <= entries[0].seq


async def test_anchor_catches_removal_of_the_newest_entries(db):
    """Delete the newest entries and rewind the head row: the chain alone looks fine, the anchor does not."""
    entries = await _append(db, 3)
    anchor = (entries[-1].seq, entries[-1].hash)
    assert (await audit.verify(db, anchor=anchor)).ok
    conn = await db.connection()
    await conn.execute(text("DELETE FROM audit_entry WHERE seq = :s"), {"s": entries[-1].seq})
    await conn.execute(text("UPDATE audit_head SET last_seq = :s, last_hash = :h WHERE id = 1"),
                       {"s": entries[-2].seq, "h": entries[-2].hash})
    db.expire_all()
    assert (await audit.verify(db)).ok  # consistent without the anchor
    result = await audit.verify(db, anchor=anchor)
    assert (result.ok, result.reason, result.first_broken_seq) == (False, "anchor_missing", anchor[0])


async def test_anchor_job_logs_the_head(db, caplog):
    import logging

    entries = await _append(db, 1)
    with caplog.at_level(logging.INFO, logger="app.core.audit"):
        await audit.log_anchor(db)
    record = next(r for r in caplog.records if r.getMessage() == "audit anchor")
    assert (record.audit_seq, record.audit_hash) == (entries[0].seq, entries[0].hash)


async def test_entries_are_chained_when_the_transaction_commits(live_app):
    """An entry waits for its transaction's commit to take its place in the chain: the head row is held
    for the commit's last statements only."""
    from app.core.db import get_sessionmaker
    from app.core.models import AuditEntry

    async with get_sessionmaker()() as session, session.begin():
        entry = await audit.record(session, actor_id=None, action="test.change", entity_type="thing", entity_id="c")
        assert entry.seq is None and entry.hash == ""
    assert entry.seq is not None and len(entry.hash) == 64
    async with get_sessionmaker()() as session:
        stored = await session.get(AuditEntry, entry.seq)
        assert (stored.action, stored.hash) == ("test.change", entry.hash)
        assert (await audit.verify(session)).ok


async def test_an_entry_recorded_in_a_rolled_back_savepoint_is_dropped_with_it(db):
    """The change it described was undone: the chain goes on from the entry before it."""
    from app.core.models import AuditEntry

    kept = await audit.record(db, actor_id=None, action="test.kept", entity_type="thing", entity_id=1)
    try:
        async with db.begin_nested():
            undone = await audit.record(db, actor_id=None, action="test.undone", entity_type="thing", entity_id=2)
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    after = await audit.record(db, actor_id=None, action="test.after", entity_type="thing", entity_id=3)
    await audit.append(db)
    assert undone.seq is None
    assert after.seq == kept.seq + 1 and after.prev_hash == kept.hash
    actions = (await db.exec(select(AuditEntry.action).where(AuditEntry.entity_type == "thing"))).all()
    assert "test.undone" not in actions and {"test.kept", "test.after"} <= set(actions)
    assert (await audit.verify(db)).ok


async def test_a_failed_request_leaves_no_entry_and_a_good_one_does(client, db):
    """Through the API: a made change is in the chain once its request returns; a refused one adds nothing."""
    from app.core.models import AuditEntry

    admin = await factories.user(db, (Role.admin, None))
    headers = await factories.headers(db, admin)
    count = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "street.create")
    before = (await db.exec(count)).one()
    street = {"district": "测试区", "name": "审计街道"}
    assert (await client.post("/api/v1/streets", json=street, headers=headers)).status_code == 201
    assert (await client.post("/api/v1/streets", json=street, headers=headers)).status_code == 409
    assert (await db.exec(count)).one() == before + 1
    assert (await audit.verify(db)).ok


class _Interleaved:
    """A session through which ``verify`` reads, with a live writer committing entries right after the
    first read: what a running system does while an auditor checks it."""

    def __init__(self, session, writer):
        self._session, self._writer, self._done = session, writer, False

    async def exec(self, statement):
        result = await self._session.exec(statement)
        if not self._done:
            self._done = True
            await self._writer()
        return result

    def __getattr__(self, name):
        return getattr(self._session, name)


async def test_verify_under_live_writes_walks_on_to_the_new_entries(live_app):
    """Entries committed while verify walks move the head on: they are checked too, not reported missing."""
    from app.core.db import READ_ONLY_OPTION, get_sessionmaker

    async def writer():
        async with get_sessionmaker()() as other, other.begin():
            await _append(other, 2)

    async with get_sessionmaker()() as session:
        # Read-only, as an auditor's session is: on SQLite that is a snapshot the writer can commit beside.
        await session.connection(execution_options={READ_ONLY_OPTION: True})
        before = (await audit.verify(session)).checked
        result = await audit.verify(_Interleaved(session, writer))
        postgres = session.bind.dialect.name == "postgresql"
    assert result.ok
    # PostgreSQL reads each statement afresh and walks on to the two new entries; SQLite's transaction is
    # one snapshot, in which neither the new entries nor the head's move are seen.
    assert result.checked == before + (2 if postgres else 0)
