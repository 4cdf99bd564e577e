"""Outbox rows are written in the same transaction as the event; the worker delivers them."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, dt_field, enum_field, id_field


class OutboxStatus(StrEnum):
    pending = "pending"  # waiting for (another) attempt at next_attempt_at
    sending = "sending"  # claimed by a worker at claimed_at
    sent = "sent"  # inbox filled; WeChat delivered or deliberately skipped (see wechat_result)
    failed = "failed"  # gave up after the attempt limit; last_error says why


class NotificationOutbox(SQLModel, table=True):
    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "status", "next_attempt_at"),)
    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    template: str = Field(max_length=40)  # a key of app.notifications.templates.TEMPLATES
    title: str = Field(max_length=100)
    body: str = Field(max_length=500)
    page: str | None = Field(default=None, max_length=200)  # mini-program page to open
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # template field values
    # What the notice is about, when someone must later show it reached people ("ballot:<id>:announced").
    ref: str | None = Field(default=None, max_length=80, index=True)
    status: OutboxStatus = enum_field(OutboxStatus, default=OutboxStatus.pending)
    attempts: int = 0
    next_attempt_at: datetime = created_at_field()
    claimed_at: datetime | None = dt_field()
    wechat_result: str | None = Field(default=None, max_length=40)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = dt_field()


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox_message"
    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    outbox_id: uuid.UUID | None = Field(default=None, foreign_key="notification_outbox.id", unique=True)
    title: str = Field(max_length=100)
    body: str = Field(max_length=500)
    page: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at_field()
    read_at: datetime | None = dt_field()


class TemplateSubscription(SQLModel, table=True):
    """How many one-time subscribe messages of a template the user has accepted and not yet used."""

    __tablename__ = "template_subscription"
    __table_args__ = (UniqueConstraint("user_id", "template"),)
    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    template: str = Field(max_length=40)
    credits: int = 0
    updated_at: datetime = created_at_field()
