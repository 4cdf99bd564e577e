"""The audit log: every state change, hash-chained so that an edited or deleted row is detectable.

Each entry's ``hash`` is HMAC-SHA256 (keyed by ``APP_AUDIT_KEY``, kept outside the database) over the
previous entry's hash and this entry's canonical content. The worker logs the chain's head every few
minutes ("audit anchor"); ``verify`` can check such an anchor, which also catches removal of the newest
entries by someone who rewinds the head row.

``record`` adds an entry to the caller's transaction; the entries are chained when that transaction
commits (a ``before_commit`` hook): the single ``audit_head`` row is updated (``UPDATE ... RETURNING``
takes its row lock on PostgreSQL, the write lock on SQLite), the entries get their seq and hashes, and
the commit follows at once. Concurrent transactions still build one unbroken chain, and each holds the
head only for its last few statements rather than from its first audited change to its end. An entry
recorded in a savepoint that rolls back is dropped with it, like the change it describes. ``append``
chains the pending entries at once (``verify`` and tests use it). ``verify`` walks the chain and names
the first broken link.
"""

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any, overload

from pydantic import BaseModel
from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.config import get_settings
from app.core.logging import get_logger, request_id_var
from app.core.models import AuditEntry

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


def _canonical(entry: AuditEntry) -> bytes:
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


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    key = get_settings().audit_key.encode()
    return hmac.new(key, prev_hash.encode() + _canonical(entry), hashlib.sha256).hexdigest()


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
) -> AuditEntry:
    """Add one entry, chained when the transaction commits (its ``seq`` and ``hash`` are set then).
    ``before``/``after`` are ``snapshot()``s (or plain dicts) of the object."""
    entry = AuditEntry(
        created_at=clock.now(),
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        estate_id=estate_id,
        before=_plain(before),
        after=_plain(after),
        request_id=request_id_var.get(),
        prev_hash="",
        hash="",
    )
    sync = session.sync_session
    sync.info.setdefault(_PENDING, []).append((sync.get_nested_transaction() or sync.get_transaction(), entry))
    return entry


async def append(session: AsyncSession) -> None:
    """Chain the entries recorded so far now instead of at commit."""
    await session.run_sync(_append_pending)


_PENDING = "audit_pending"


def _append_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    conn = session.connection()
    head = conn.execute(
        text("UPDATE audit_head SET last_seq = last_seq + :n WHERE id = 1 RETURNING last_seq, last_hash"),
        {"n": len(pending)},
    ).one()
    seq, prev = head.last_seq - len(pending), head.last_hash
    for _, entry in pending:
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.hash = prev = entry_hash(prev, entry)
    conn.execute(text("UPDATE audit_head SET last_hash = :h WHERE id = 1"), {"h": prev})
    session.add_all([entry for _, entry in pending])
    session.flush()


@event.listens_for(Session, "before_commit")
def _chain_at_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's release: its entries wait for the real commit
        _append_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    """Entries recorded inside the transaction or savepoint that rolled back describe undone changes."""

    def inside(transaction: SessionTransaction | None) -> bool:
        while transaction is not None:
            if transaction is rolled_back:
                return True
            transaction = transaction.parent
        return False

    if pending := session.info.get(_PENDING):
        session.info[_PENDING] = [(t, entry) for t, entry in pending if not inside(t)]


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the session's transaction is over: nothing of it is pending
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


async def verify(session: AsyncSession, batch: int = 1000, anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Recompute the chain from the start; report the first entry that was edited, removed or inserted.

    ``anchor`` is a (seq, hash) pair recorded earlier (the worker logs one regularly): the entry at that
    seq must still exist with that hash.
    """
    await append(session)
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    anchored = anchor is None
    while True:
        rows = (
            await session.exec(select(AuditEntry).where(col(AuditEntry.seq) >= expected_seq).order_by(col(AuditEntry.seq)).limit(batch))
        ).all()
        for entry in rows:
            if entry.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, "missing")
            if entry.prev_hash != expected_prev:
                return VerifyResult(False, checked, entry.seq, "chain_broken")
            if entry_hash(entry.prev_hash, entry) != entry.hash:
                return VerifyResult(False, checked, entry.seq, "content_changed")
            if anchor is not None and entry.seq == anchor[0]:
                if entry.hash != anchor[1]:
                    return VerifyResult(False, checked, entry.seq, "anchor_mismatch")
                anchored = True
            expected_prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
        if len(rows) == batch:
            continue
        # The end of the entries: the head must name the last one. Entries committed by live writers since
        # the walk began move the head on: walk on to them (while there are any) rather than report them
        # missing.
        conn = await session.connection()
        head = (await conn.execute(text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1"))).one()
        if head.last_seq <= checked or not rows:
            break
    if anchor is not None and not anchored:
        return VerifyResult(False, checked, anchor[0], "anchor_missing")
    if head.last_seq != checked or head.last_hash != expected_prev:
        return VerifyResult(False, checked, checked + 1, "missing")  # the newest entries were removed
    return VerifyResult(True, checked)




async def log_anchor(session: AsyncSession) -> None:
    """Write the chain's head to the logs, which are shipped off this database (scheduled job)."""
    conn = await session.connection()
    head = (await conn.execute(text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1"))).one()
    log.info("audit anchor", extra={"audit_seq": head.last_seq, "audit_hash": head.last_hash})
