"""Supervision tables.

- ``ChecklistTemplate``: a street's own checklist for a category of inspection (otherwise the defaults
  in ``templates.py`` apply); its staff edit it.
- ``Inspection``: a supervisor's report, filed from a phone that may have been offline: its id is the
  one the phone made, so that a re-sent report is recognised (same content: the same report; other
  content: a conflict). Device time and server time, the position and how far it was from the estate.
- ``Rectification``: an order to the contractor (from a failed checklist item, a resident's complaint or
  directly): open -> responded -> closed | reopened, or waived; ``RectificationEvent`` is its timeline.
- ``Feedback``: a resident's complaint (随手拍) with photos, answered or turned into an order by staff.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, dt_field, enum_field, id_field
from app.supervision.rules import Category, FeedbackStatus, OrderStatus, Priority


class ChecklistTemplate(SQLModel, table=True):
    __tablename__ = "checklist_template"
    __table_args__ = (UniqueConstraint("street_id", "category"),)
    id: uuid.UUID = id_field()
    street_id: uuid.UUID = Field(foreign_key="street.id")
    category: Category = enum_field(Category)
    items: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # [{code, text}]
    updated_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_at_field()


class Inspection(SQLModel, table=True):
    id: uuid.UUID = Field(primary_key=True)  # the phone's inspection_id
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True)
    estate_id: uuid.UUID = Field(foreign_key="estate.id", index=True)
    supervisor_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    category: Category = enum_field(Category)
    occurred_at: datetime = dt_field(nullable=False)  # the phone's clock
    received_at: datetime = created_at_field()  # the server's
    latitude: float | None = None
    longitude: float | None = None
    distance_m: int | None = None  # from the estate's position, when both are known
    far_from_estate: bool = False
    checklist: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    summary: str = Field(default="", max_length=2000)
    file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    failed_items: int = 0
    content_hash: str = Field(max_length=64)


class Rectification(SQLModel, table=True):
    __table_args__ = (Index("ix_rectification_project_status", "project_id", "status"),)
    id: uuid.UUID = id_field()
    number: int  # per project, from 1: 整改单 No.
    project_id: uuid.UUID = Field(foreign_key="project.id")
    estate_id: uuid.UUID = Field(foreign_key="estate.id", index=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)  # the contractor
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    priority: Priority = enum_field(Priority, default=Priority.normal)
    due_at: datetime = dt_field(nullable=False)
    status: OrderStatus = enum_field(OrderStatus, default=OrderStatus.open, index=True)
    inspection_id: uuid.UUID | None = Field(default=None, foreign_key="inspection.id", index=True)
    checklist_index: int | None = None  # the failed item of the inspection
    feedback_id: uuid.UUID | None = Field(default=None, foreign_key="feedback.id", index=True)
    file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    created_by: uuid.UUID = Field(foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    closed_at: datetime | None = dt_field()
    overdue_reminded_at: datetime | None = dt_field()


class RectificationEvent(SQLModel, table=True):
    __tablename__ = "rectification_event"
    id: uuid.UUID = id_field()
    rectification_id: uuid.UUID = Field(foreign_key="rectification.id", index=True)
    kind: str = Field(max_length=20)  # created, respond, accept, reject, waive, overdue
    from_status: OrderStatus | None = enum_field(OrderStatus, default=None, nullable=True)
    to_status: OrderStatus = enum_field(OrderStatus)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    note: str = Field(default="", max_length=2000)
    file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = created_at_field()


class Feedback(SQLModel, table=True):
    id: uuid.UUID = id_field()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True)
    estate_id: uuid.UUID = Field(foreign_key="estate.id")
    author_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)  # None: closed account
    unit_id: uuid.UUID | None = Field(default=None, foreign_key="property_unit.id")
    content: str = Field(max_length=2000)
    file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    status: FeedbackStatus = enum_field(FeedbackStatus, default=FeedbackStatus.new)
    reply: str | None = Field(default=None, max_length=2000)
    triaged_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    triaged_at: datetime | None = dt_field()
    created_at: datetime = created_at_field()
