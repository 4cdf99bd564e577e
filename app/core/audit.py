"""The audit log: every state change, hash-chained per estate so that an edited or deleted row is detectable.

Each entry's ``hash`` is HMAC-SHA256 (keyed by ``APP_AUDIT_KEY``, kept outside the database) over the
previous entry's hash and this entry's canonical content. There is one chain per estate (``chain`` is the
estate's id) and one for what belongs to no estate (``city``); each chain has its head row in
``audit_head``. The worker logs the heads that moved every few minutes ("audit anchor"); ``verify`` can
check such an anchor, which also catches removal of a chain's newest entries by someone who rewinds its
head row.

``record`` adds an unchained entry to the caller's transaction: a plain insert that waits for no other
transaction, so no request waits for a chain, its own estate's or another's. The entry is committed with
the change it describes, or rolled back with it (a savepoint's rollback included). ``chain`` links the
committed entries of each chain in the order of their ids, under that chain's head row: on PostgreSQL taken
``FOR UPDATE SKIP LOCKED``, so that two chainers never wait for each other either. It runs right after a
commit that recorded entries, in the background of the process that committed (``chain_after_commit``),
and every second in the worker (``audit.chain``), which catches what a process that stopped left behind.
Between its commit and the chainer's pass an entry is pending: ``verify`` counts pending entries, and
proves every chained one.
"""

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, overload

from pydantic import BaseModel
from sqlalchemy import TextClause, bindparam, event, insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.config import get_settings
from app.core.db import dialect_insert, get_sessionmaker
from app.core.logging import get_logger, request_id_var
from app.core.models import AuditEntry, AuditHead

log = get_logger(__name__)
GENESIS_HASH = "0" * 64
# Never copied into the log: secrets and server-side-only values.
_SECRET_FIELDS = {"password_hash", "wechat_session_key", "token_hash", "access_token", "refresh_token"}


@overload
def snapshot(obj: None) -> None: ...


@overload
def snapshot(obj: SQLModel | BaseModel | dict[str, Any]) -> dict[str, Any]: ...


def snapshot(obj: SQLModel | BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-plain copy of an object's fields for before/after, without secrets."""
    if obj is None:
        return None
    data = obj if isinstance(obj, dict) else obj.model_dump()
    return _plain({k: v for k, v in data.items() if k not in _SECRET_FIELDS})


def _plain(value: Any) -> Any:
    # Round-trip through JSON so that what is hashed is exactly what the JSON column gives back.
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _canonical(entry: Any) -> bytes:
    """The hashed content of ``entry``: an ``AuditEntry``, or anything with its fields (``_Linked``)."""
    content = {
        "seq": entry.seq,
        "created_at": entry.created_at.isoformat(),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "estate_id": str(entry.estate_id) if entry.estate_id else None,
        "before": entry.before,
        "after": entry.after,
        "request_id": entry.request_id,
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def entry_hash(prev_hash: str, entry: Any) -> str:
    key = get_settings().audit_key.encode()
    return hmac.new(key, prev_hash.encode() + _canonical(entry), hashlib.sha256).hexdigest()


CITY_CHAIN = "city"  # the chain of the entries that belong to no estate


def chain_of(estate_id: uuid.UUID | None) -> str:
    return str(estate_id) if estate_id else CITY_CHAIN


async def record(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    estate_id: uuid.UUID | None = None,
) -> int:
    """Add one unchained entry to the session's transaction (``seq`` and the hashes are set when it is
    chained, after the commit); returns its id. ``before``/``after`` are ``snapshot()``s (or plain dicts) of
    the object. One insert at once, without the ORM's unit of work (every audited write pays it)."""
    chain = chain_of(estate_id)
    conn = await session.connection()
    values = {"chain": chain, "created_at": clock.now(), "actor_id": actor_id, "action": action,
              "entity_type": entity_type, "entity_id": str(entity_id), "estate_id": estate_id,
              "before": _plain(before), "after": _plain(after), "request_id": request_id_var.get()}
    entry_id = (await conn.execute(_RECORD, values)).scalar_one()
    assert entry_id is not None  # its primary key
    session.sync_session.info.setdefault(_RECORDED, set()).add(chain)
    return entry_id


_RECORD = insert(AuditEntry).returning(col(AuditEntry.id))


_RECORDED = "audit_chains_recorded"


class _Linked(NamedTuple):
    """An entry's hashed fields as it is linked (``seq`` its new place)."""

    seq: int
    created_at: datetime
    actor_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: str
    estate_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


# A chain's unlinked entries in the order they were recorded, and the statement linking each (Core, built once:
# under load a pass links hundreds, which the ORM's objects and flush would cost more than the hashing).
_PENDING = (select(AuditEntry.id, *(getattr(AuditEntry, name) for name in _Linked._fields[1:]))
            .where(AuditEntry.chain == bindparam("key"), col(AuditEntry.seq).is_(None)).order_by(col(AuditEntry.id)))
_LINK = (update(AuditEntry).where(col(AuditEntry.id) == bindparam("entry_id"))
         .values(seq=bindparam("new_seq"), prev_hash=bindparam("new_prev"), hash=bindparam("new_hash")))


def _unlinked(dialect: str, what: str) -> TextClause:
    """A read of the unlinked entries alone, through their partial index. SQLite's planner, without
    statistics, takes the unique index on (chain, seq) instead, which holds every entry ever recorded: the
    worker's pass each second read the whole log (76-107 ms at a million entries, bench/results.md).
    ``INDEXED BY`` names the index there (and fails if it is gone); PostgreSQL chooses it by itself."""
    if dialect == "sqlite":
        return text(f"SELECT {what} FROM audit_entry INDEXED BY ix_audit_entry_unchained WHERE seq IS NULL")
    return text(f"SELECT {what} FROM audit_entry WHERE seq IS NULL")


async def chain(session: AsyncSession, chains: Iterable[str] | None = None) -> list[str]:
    """Link the committed unchained entries of ``chains`` (every chain with any, by default) in the
    session's transaction; the caller commits. Returns the chains skipped because another chainer holds
    their head: that chainer, or the next pass, links them."""
    await session.flush()
    conn = await session.connection()
    if chains is None:
        chains = (await conn.execute(_unlinked(conn.dialect.name, "DISTINCT chain"))).scalars()
    skipped = []
    for key in sorted(set(chains)):
        head = await _lock_head(conn, key)
        if head is None:
            skipped.append(key)
            continue
        pending = (await conn.execute(_PENDING, {"key": key})).all()
        if not pending:
            continue
        seq, prev, links = head.last_seq, head.last_hash, []
        for entry in pending:
            seq += 1
            link = {"entry_id": entry.id, "new_seq": seq, "new_prev": prev}
            prev = link["new_hash"] = entry_hash(prev, _Linked(seq, *entry[1:]))
            links.append(link)
        await conn.execute(_LINK, links)
        await conn.execute(
            update(AuditHead).where(col(AuditHead.chain) == key).values(last_seq=seq, last_hash=prev, chained_at=clock.now())
        )
    return skipped


async def _lock_head(conn: AsyncConnection, key: str) -> Any:
    """The chain's head row, locked for this transaction (made at the chain's first entry); None when
    another transaction holds it. SQLite has no row locks: the write lock its transactions take at BEGIN
    IMMEDIATE serialises chainers."""
    head = select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.chain == key).with_for_update(skip_locked=True)
    if (row := (await conn.execute(head)).one_or_none()) is not None:
        return row
    # No head, or a head another holds: the insert does nothing for the latter, which stays skipped.
    await conn.execute(dialect_insert(conn)(AuditHead).values(chain=key, last_seq=0, last_hash=GENESIS_HASH)
                       .on_conflict_do_nothing())
    return (await conn.execute(head)).one_or_none()


# The chains this process has committed entries to and not yet linked, and the task linking them.
_wanted: set[str] = set()
_chainer: asyncio.Task[None] | None = None
_SKIPPED_ROUNDS = 20  # 20 x 50 ms: how long a chain another chainer holds is retried before the worker's job


@event.listens_for(Session, "after_commit")
def _chain_after_commit(session: Session) -> None:
    recorded = session.info.pop(_RECORDED, None)
    if recorded and get_settings().audit_chain_after_commit:
        _wanted.update(recorded)
        global _chainer
        if _chainer is None or _chainer.done():
            try:
                _chainer = asyncio.get_running_loop().create_task(_chain_wanted())
            except RuntimeError:  # committed outside an event loop: the worker's job links them
                _wanted.clear()


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back, or committed and scheduled above
        session.info.pop(_RECORDED, None)


async def _chain_wanted() -> None:
    """In the background of the process that committed: link its chains, one short transaction a round."""
    rounds_skipped = 0
    while _wanted and rounds_skipped < _SKIPPED_ROUNDS:
        chains = set(_wanted)
        _wanted.clear()
        try:
            async with get_sessionmaker()() as session, session.begin():
                skipped = await chain(session, chains)
        except Exception:  # the worker's job links them
            log.exception("audit chaining failed")
            return
        if skipped:
            _wanted.update(skipped)
            rounds_skipped = rounds_skipped + 1 if len(skipped) == len(chains) else 0
            await asyncio.sleep(0.05)
    _wanted.clear()


async def drain(timeout: float = 10.0) -> None:
    """Before the process ends (a command, a server shutting down): let its chainer link what it committed,
    rather than leave it to the worker's job."""
    if _chainer is not None and not _chainer.done():
        await asyncio.wait([_chainer], timeout=timeout)


async def chain_job(session: AsyncSession) -> None:
    """The worker's pass (every second): whatever a process left unlinked (it stopped, or gave up on a
    head held by another chainer)."""
    await chain(session)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    chain: str | None = None  # the chain of the first broken link
    pending: int = 0  # committed entries not chained yet (linked within seconds by the chainer)


async def verify(session: AsyncSession, batch: int = 1000, anchor: tuple[str, int, str] | None = None) -> VerifyResult:
    """Recompute every chain from its start; report the first entry that was edited, removed or inserted.

    ``anchor`` is a (chain, seq, hash) triple recorded earlier (the worker logs them regularly): the entry
    at that place must still exist with that hash. Only reads: entries not chained yet are counted as
    pending, not checked.
    """
    conn = await session.connection()
    keys = set((await conn.execute(select(AuditHead.chain))).scalars())
    keys |= set((await conn.execute(select(AuditEntry.chain).where(col(AuditEntry.seq).is_not(None)).distinct())).scalars())
    if anchor is not None and anchor[0] not in keys:
        return VerifyResult(False, 0, anchor[1], "anchor_missing", anchor[0])
    checked = 0
    for key in sorted(keys):
        broken, count = await _verify_chain(session, key, batch, anchor if anchor and anchor[0] == key else None)
        checked += count
        if broken is not None:
            return VerifyResult(False, checked, broken[0], broken[1], key)
    pending = (await conn.execute(_unlinked(conn.dialect.name, "count(*)"))).scalar_one()
    return VerifyResult(True, checked, pending=pending)


async def _verify_chain(
    session: AsyncSession, key: str, batch: int, anchor: tuple[str, int, str] | None,
) -> tuple[tuple[int, str] | None, int]:
    """((first broken seq, reason) or None, entries checked) for one chain."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    anchored = anchor is None
    conn = await session.connection()
    while True:
        rows = (await session.exec(
            select(AuditEntry).where(AuditEntry.chain == key, col(AuditEntry.seq) >= expected_seq)
            .order_by(col(AuditEntry.seq)).limit(batch)
        )).all()
        for entry in rows:
            if entry.seq != expected_seq:
                return (expected_seq, "missing"), checked
            if entry.prev_hash != expected_prev:
                return (expected_seq, "chain_broken"), checked
            if entry_hash(expected_prev, entry) != entry.hash:
                return (expected_seq, "content_changed"), checked
            if anchor is not None and entry.seq == anchor[1]:
                if entry.hash != anchor[2]:
                    return (expected_seq, "anchor_mismatch"), checked
                anchored = True
            expected_prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
        if len(rows) == batch:
            continue
        # The end of the entries: the head must name the last one. Entries chained by live writers since
        # the walk began move the head on: walk on to them (while there are any) rather than report them
        # missing.
        head = (await conn.execute(select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.chain == key))).one_or_none()
        if head is None or head.last_seq <= checked or not rows:
            break
    if anchor is not None and not anchored:
        return (anchor[1], "anchor_missing"), checked
    if head is None or head.last_seq != checked or head.last_hash != expected_prev:
        return (checked + 1, "missing"), checked  # the newest entries were removed (or the head row)
    return None, checked


ANCHOR_WINDOW = timedelta(minutes=15)  # longer than the anchor job's interval (app/core/manifest.py)


async def log_anchor(session: AsyncSession) -> None:
    """Write the heads that moved lately to the logs, which are shipped off this database (scheduled job)."""
    conn = await session.connection()
    heads = await conn.execute(
        select(AuditHead.chain, AuditHead.last_seq, AuditHead.last_hash)
        .where(col(AuditHead.chained_at) >= clock.now() - ANCHOR_WINDOW).order_by(col(AuditHead.chain))
    )
    for head in heads:
        log.info("audit anchor", extra={"audit_chain": head.chain, "audit_seq": head.last_seq, "audit_hash": head.last_hash})
