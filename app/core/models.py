"""Platform tables: the hash-chained audit log, stored idempotent responses and scheduled jobs."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, dt_field, id_field


class AuditEntry(SQLModel, table=True):
    """Append-only. ``hash`` = HMAC-SHA256 of ``prev_hash`` and this entry's canonical content (app.core.audit)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_entity", "entity_type", "entity_id"),
        UniqueConstraint("chain", "seq"),
        # The entries the chainer has still to link: few, whatever the size of the log.
        Index("ix_audit_entry_unchained", "chain", "id", postgresql_where=text("seq IS NULL"), sqlite_where=text("seq IS NULL")),
    )
    # The order entries are recorded in; a chain links its entries in this order.
    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    chain: str = Field(max_length=36)  # the estate's id, or "city" (app.core.audit.chain_of)
    # The entry's place in its chain, and its hashes: None until the entry is chained, after its commit.
    seq: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = created_at_field()
    actor_id: uuid.UUID | None = None  # no foreign key: the log outlives what it describes
    action: str = Field(max_length=60)
    entity_type: str = Field(max_length=40)
    entity_id: str = Field(max_length=64)
    estate_id: uuid.UUID | None = Field(default=None, index=True)  # for scoped reading
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    request_id: str | None = Field(default=None, max_length=64)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class AuditHead(SQLModel, table=True):
    """The head of one chain: the chainer locks it to link that chain's new entries."""

    __tablename__ = "audit_head"
    chain: str = Field(primary_key=True, max_length=36)
    last_seq: int = Field(default=0, sa_type=BigInteger)
    last_hash: str = Field(max_length=64)
    chained_at: datetime | None = dt_field()  # when it last moved: the anchor job logs the heads that did


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(index=True)
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)  # method, path and normalised body
    completed: bool = False
    response_status: int | None = None
    response_content_type: str | None = Field(default=None, max_length=100)
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = created_at_field()
    expires_at: datetime = dt_field(nullable=False, index=True)
    # The lease of the request running under this key: a retry may take over an uncompleted record only
    # after it has passed (the first request crashed), and a request whose lease was taken cannot commit.
    locked_until: datetime = dt_field(nullable=False)


class ScheduledJob(SQLModel, table=True):
    """Periodic work registered by domains (closing ballots, overdue reminders), run by the worker."""

    __tablename__ = "scheduled_job"
    name: str = Field(primary_key=True, max_length=60)
    next_run_at: datetime = created_at_field()
    locked_until: datetime | None = dt_field()
    last_run_at: datetime | None = dt_field()
    last_error: str | None = Field(default=None, max_length=500)


class ThrottleCounter(SQLModel, table=True):
    """Failures counted per key (an account, a source address) in a fixed window (app.core.throttle)."""

    __tablename__ = "throttle_counter"
    key: str = Field(primary_key=True, max_length=120)
    window_started_at: datetime = dt_field(nullable=False)
    count: int = 0


class ClockOffset(SQLModel, table=True):
    """How far the demo clock (``APP_DEMO_CLOCK``) moved the server's time: one row, read by the API at
    start and by the worker before each round, so that both live at the same moved time."""

    __tablename__ = "clock_offset"
    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seconds: int = Field(default=0, sa_type=BigInteger)
