"""The audit log: every state change, hash-chained so that an edited or deleted row is detectable.

Each entry's ``hash`` is HMAC-SHA256 (keyed by ``APP_AUDIT_KEY``, kept outside the database) over the
previous entry's hash and this entry's canonical content. The worker logs the chain's head every few
minutes ("audit anchor"); ``verify`` can check such an anchor, which also catches removal of the newest
entries by someone who rewinds the head row.

``record`` appends in the caller's transaction. Appends serialise on the single ``audit_head`` row
(``UPDATE ... RETURNING`` takes its row lock on PostgreSQL and the write lock on SQLite), so concurrent
transactions still build one unbroken chain. ``verify`` walks the chain and names the first broken link.
"""

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.config import get_settings
from app.core.logging import get_logger, request_id_var
from app.core.models import AuditEntry

log = get_logger(__name__)
GENESIS_HASH = "0" * 64
# Never copied into the log: secrets and server-side-only values.
_SECRET_FIELDS = {"password_hash", "wechat_session_key", "token_hash", "access_token", "refresh_token"}


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
    """Append one entry. ``before``/``after`` are ``snapshot()``s (or plain dicts) of the object."""
    conn = await session.connection()
    head = (
        await conn.execute(
            text("UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq, last_hash")
        )
    ).one()
    entry = AuditEntry(
        seq=head.last_seq,
        created_at=clock.now(),
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        estate_id=estate_id,
        before=_plain(before),
        after=_plain(after),
        request_id=request_id_var.get(),
        prev_hash=head.last_hash,
        hash="",
    )
    entry.hash = entry_hash(head.last_hash, entry)
    await conn.execute(text("UPDATE audit_head SET last_hash = :h WHERE id = 1"), {"h": entry.hash})
    session.add(entry)
    await session.flush()
    return entry


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
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    anchored = anchor is None
    while True:
        rows = (
            await session.exec(select(AuditEntry).where(AuditEntry.seq >= expected_seq).order_by(AuditEntry.seq).limit(batch))
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
        if len(rows) < batch:
            break
    if not anchored:
        return VerifyResult(False, checked, anchor[0], "anchor_missing")
    conn = await session.connection()
    head = (await conn.execute(text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1"))).one()
    if head.last_seq != checked or head.last_hash != expected_prev:
        return VerifyResult(False, checked, checked + 1, "missing")  # the newest entries were removed
    return VerifyResult(True, checked)




async def log_anchor(session: AsyncSession) -> None:
    """Write the chain's head to the logs, which are shipped off this database (scheduled job)."""
    conn = await session.connection()
    head = (await conn.execute(text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1"))).one()
    log.info("audit anchor", extra={"audit_seq": head.last_seq, "audit_hash": head.last_hash})
