"""The audit chain: appends link up, and an edited or deleted row is reported by verify."""

import asyncio
from datetime import timedelta

from sqlalchemy import func, text
from sqlmodel import select

from app.__main__ import audit_verify
from app.auth.roles import Role
from app.core import audit, clock
from app.core.models import AuditEntry
from tests import factories
from tests.explain import statements


async def _entry(session, entry_id: int) -> AuditEntry:
    """The entry as stored now (``record`` returns its id)."""
    return await session.get(AuditEntry, entry_id, populate_existing=True)


async def _append(session, n: int, estate_id=None):
    ids = [
        await audit.record(session, actor_id=None, action="test.change", entity_type="thing", entity_id=i,
                           before={"v": i}, after={"v": i + 1, "名": "值"}, estate_id=estate_id)
        for i in range(n)
    ]
    await audit.chain(session)
    return [await _entry(session, i) for i in ids]


async def test_entries_chain_to_each_other(db):
    entries = await _append(db, 3)
    assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + 3))
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert {e.chain for e in entries} == {audit.CITY_CHAIN}
    assert (await audit.verify(db)).ok


async def test_each_estate_has_a_chain_of_its_own(db):
    """An estate's entries are linked to each other from the genesis hash, whatever other estates do."""
    estate, other = await factories.estate(db), await factories.estate(db)
    first = await audit.record(db, actor_id=None, action="test.a", entity_type="thing", entity_id=1, estate_id=estate.id)
    between = await audit.record(db, actor_id=None, action="test.b", entity_type="thing", entity_id=2, estate_id=other.id)
    second = await audit.record(db, actor_id=None, action="test.a", entity_type="thing", entity_id=3, estate_id=estate.id)
    await audit.chain(db)
    first, between, second = [await _entry(db, i) for i in (first, between, second)]
    assert (first.chain, first.seq, first.prev_hash) == (str(estate.id), 1, audit.GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert (between.chain, between.seq, between.prev_hash) == (str(other.id), 1, audit.GENESIS_HASH)
    result = await audit.verify(db)
    assert result.ok and result.pending == 0


async def test_unchained_entries_are_pending_until_chained(db):
    """Between its commit and the chainer's pass an entry has no place yet: verify counts it, unchecked."""
    estate = await factories.estate(db)
    entry = await audit.record(db, actor_id=None, action="test.wait", entity_type="thing", entity_id=1, estate_id=estate.id)
    assert ((await _entry(db, entry)).seq, (await _entry(db, entry)).hash) == (None, None)
    result = await audit.verify(db)
    assert (result.ok, result.pending) == (True, 1)
    assert await audit.chain(db, [str(estate.id)]) == []
    assert (await _entry(db, entry)).seq == 1 and (await audit.verify(db)).pending == 0


async def test_edited_row_is_reported(db):
    estate_id = (await factories.estate(db)).id
    entries = await _append(db, 4, estate_id=estate_id)
    await (await db.connection()).execute(text("UPDATE audit_entry SET after = :a WHERE id = :i"), {"a": '{"v": 999}', "i": entries[2].id})
    db.expire_all()
    result = await audit.verify(db)
    assert (result.ok, result.chain, result.first_broken_seq, result.reason) == (False, str(estate_id), 3, "content_changed")


async def test_deleted_row_is_reported(db):
    entry_id, seq = [(e.id, e.seq) for e in await _append(db, 4)][1]
    await (await db.connection()).execute(text("DELETE FROM audit_entry WHERE id = :i"), {"i": entry_id})
    db.expire_all()
    result = await audit.verify(db)
    assert (result.ok, result.chain, result.first_broken_seq, result.reason) == (False, "city", seq, "missing")


async def test_deleted_newest_row_is_reported(db):
    estate = await factories.estate(db)
    newest = (await _append(db, 3, estate_id=estate.id))[-1].id
    await (await db.connection()).execute(text("DELETE FROM audit_entry WHERE id = :i"), {"i": newest})
    db.expire_all()
    result = await audit.verify(db)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 3, "missing")


async def test_removing_a_chains_head_row_is_reported(db):
    estate = await factories.estate(db)
    await _append(db, 2, estate_id=estate.id)
    await (await db.connection()).execute(text("DELETE FROM audit_head WHERE chain = :c"), {"c": str(estate.id)})
    result = await audit.verify(db)
    assert (result.ok, result.chain, result.reason) == (False, str(estate.id), "missing")


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
    assert r.json()["items"][0]["id"] > r.json()["items"][1]["id"]  # newest first
    assert r.json()["items"][0]["chain"] == r.json()["items"][0]["estate_id"] and r.json()["items"][0]["seq"]
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
    forged = "UPDATE audit_entry SET action = :a WHERE id = :i"
    async with get_sessionmaker()() as session, session.begin():
        await (await session.connection()).execute(text(forged), {"a": "forged", "i": entries[1].id})
    try:
        result = await audit_verify()
        assert (result.ok, result.chain, result.first_broken_seq) == (False, "city", entries[1].seq)
        assert await asyncio.to_thread(main, ["audit-verify"]) == 1
    finally:  # the live database is shared by the session's concurrency tests: mend the chain
        async with get_sessionmaker()() as session, session.begin():
            await (await session.connection()).execute(text(forged), {"a": "test.change", "i": entries[1].id})
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
    estate_id = (await factories.estate(db)).id
    entries = [(e.id, e.seq, e.hash) for e in await _append(db, 3, estate_id=estate_id)]
    anchor = (str(estate_id), entries[-1][1], entries[-1][2])
    assert (await audit.verify(db, anchor=anchor)).ok
    conn = await db.connection()
    await conn.execute(text("DELETE FROM audit_entry WHERE id = :i"), {"i": entries[-1][0]})
    await conn.execute(text("UPDATE audit_head SET last_seq = :s, last_hash = :h WHERE chain = :c"),
                       {"s": entries[-2][1], "h": entries[-2][2], "c": str(estate_id)})
    db.expire_all()
    assert (await audit.verify(db)).ok  # consistent without the anchor
    result = await audit.verify(db, anchor=anchor)
    assert (result.ok, result.chain, result.reason, result.first_broken_seq) == (False, str(estate_id), "anchor_missing", 3)
    other = await audit.verify(db, anchor=("an-estate-that-never-was", 1, "0" * 64))
    assert (other.ok, other.reason) == (False, "anchor_missing")


async def test_anchor_job_logs_the_heads_that_moved(db, caplog):
    import logging

    estate, idle = await factories.estate(db), await factories.estate(db)
    await _append(db, 1, estate_id=idle.id)
    clock.advance(timedelta(hours=1))  # the idle estate's head moved an hour ago: logged then, not now
    entries = await _append(db, 2, estate_id=estate.id)
    with caplog.at_level(logging.INFO, logger="app.core.audit"):
        await audit.log_anchor(db)
    logged = {(r.audit_chain, r.audit_seq, r.audit_hash) for r in caplog.records if r.getMessage() == "audit anchor"}
    assert (str(estate.id), 2, entries[1].hash) in logged
    assert str(idle.id) not in {chain for chain, _, _ in logged}
    assert (await audit.verify(db, anchor=(str(estate.id), 2, entries[1].hash))).ok


async def test_entries_are_chained_right_after_their_commit(live_app, monkeypatch):
    """The committing process links its entries in the background once the transaction has committed;
    the transaction itself never touched a chain's head."""
    from app.core.config import get_settings
    from app.core.db import get_sessionmaker

    monkeypatch.setattr(get_settings(), "audit_chain_after_commit", True)
    async with get_sessionmaker()() as session, session.begin():
        estate = await factories.estate(session)
        entry = await audit.record(session, actor_id=None, action="test.change", entity_type="thing",
                                   entity_id="c", estate_id=estate.id)
    await audit.drain()  # what a command does before it ends: its chainer has linked what it committed
    async with get_sessionmaker()() as session:
        stored = await session.get(AuditEntry, entry)
        assert (stored.chain, stored.seq, stored.prev_hash) == (str(estate.id), 1, audit.GENESIS_HASH)
        assert len(stored.hash) == 64
        assert (await audit.verify(session)).ok


async def test_an_entry_recorded_in_a_rolled_back_savepoint_is_dropped_with_it(db):
    """The change it described was undone: the chain goes on from the entry before it."""

    kept = await audit.record(db, actor_id=None, action="test.kept", entity_type="thing", entity_id=1)
    try:
        async with db.begin_nested():
            await audit.record(db, actor_id=None, action="test.undone", entity_type="thing", entity_id=2)
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    after = await audit.record(db, actor_id=None, action="test.after", entity_type="thing", entity_id=3)
    await audit.chain(db)
    kept, after = await _entry(db, kept), await _entry(db, after)
    assert after.seq == kept.seq + 1 and after.prev_hash == kept.hash
    actions = (await db.exec(select(AuditEntry.action).where(AuditEntry.entity_type == "thing"))).all()
    assert "test.undone" not in actions and {"test.kept", "test.after"} <= set(actions)
    assert (await audit.verify(db)).ok


async def test_a_failed_request_leaves_no_entry_and_a_good_one_does(client, db):
    """Through the API: a made change is in the chain once its request returns; a refused one adds nothing."""

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


async def test_a_chainers_pass_reads_only_the_entries_still_to_link(db):
    """The worker's pass each second finds the chains with unlinked entries, links them, and verify counts
    what is pending: all of it through the partial index of unlinked entries or by key, never by reading the
    log whole (on SQLite the unique index on (chain, seq) holds every entry: its planner, without
    statistics, would scan it)."""
    await _append(db, 5)
    await audit.record(db, actor_id=None, action="test.wait", entity_type="thing", entity_id=1)
    with statements(db) as seen:
        assert await audit.chain(db) == []
        assert (await audit.verify(db)).pending == 0
    conn = await db.connection()
    postgresql = conn.dialect.name == "postgresql"
    read_whole = []
    for sql, parameters in seen:
        if "audit_entry" not in sql or "seq IS NOT NULL" in sql or "seq >=" in sql:
            continue  # verify's walk of the linked entries reads them all, by design
        if postgresql:
            plan = (await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, parameters)).scalar_one()
            nodes, reads = [plan[0]["Plan"]], []
            while nodes:
                node = nodes.pop()
                nodes += node.get("Plans", [])
                if node.get("Relation Name") == "audit_entry" and node["Node Type"].endswith("Scan"):
                    reads.append(node.get("Index Name") == "ix_audit_entry_unchained" or "Index Cond" in node)
        else:
            plan = [row[-1] for row in (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)).all()]
            reads = [line.startswith("SEARCH") or "ix_audit_entry_unchained" in line
                     for line in plan if "audit_entry" in line]
        assert reads, sql
        if not all(reads):
            read_whole.append(" ".join(sql.split()))
    assert len(seen) >= 4 and read_whole == []
