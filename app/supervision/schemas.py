"""Request and response bodies of supervision (API.md "Supervision")."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.auth.reads import ActorPublic
from app.core.errors import ErrorBody
from app.core.sync import DocumentedAs
from app.supervision.rules import Category, CheckResult, FeedbackStatus, OrderStatus, Priority

Text = Field(max_length=2000)


class SupervisorAppoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: uuid.UUID


class SupervisorPublic(BaseModel):
    user_id: uuid.UUID
    name: str
    phone: str | None = Field(description="masked (131****6729) for everyone but those who manage the project")


class ChecklistItemTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    text: str = Field(min_length=1, max_length=200)


class ChecklistTemplatePublic(BaseModel):
    category: Category
    items: list[ChecklistItemTemplate]
    street_id: uuid.UUID | None = Field(description="the street's own template; null: the default")


class ChecklistTemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ChecklistItemTemplate] = Field(max_length=60)


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(default=None, max_length=40, description="the template item's code, if any")
    text: str = Field(min_length=1, max_length=200)
    result: CheckResult
    note: str = Field(default="", max_length=500)
    file_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inspection_id: uuid.UUID = Field(description="made by the phone, so that a re-sent report is recognised")
    category: Category
    occurred_at: AwareDatetime = Field(description="the phone's clock when the inspection was made")
    location: Position | None = None
    checklist: list[CheckIn] = Field(default_factory=list, max_length=60)
    summary: str = Field(default="", max_length=2000)
    file_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class InspectionSyncItem(InspectionIn):
    project_id: uuid.UUID = Field(description="the project the report is of")


class InspectionSyncIn(BaseModel):
    """Items are checked one by one: a malformed item is rejected alone."""

    model_config = ConfigDict(extra="forbid")
    items: list[Annotated[Any, DocumentedAs(InspectionSyncItem)]] = Field(min_length=1, max_length=100)


class CheckPublic(BaseModel):
    code: str | None
    text: str
    result: CheckResult
    note: str
    file_ids: list[uuid.UUID]
    rectification_id: uuid.UUID | None = None


class InspectionPublic(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    category: Category
    supervisor: ActorPublic | None
    occurred_at: datetime
    received_at: datetime
    location: Position | None
    distance_m: int | None = Field(description="from the estate's position, when both are known")
    far_from_estate: bool = Field(description="filed more than 1 km from the estate: accepted, but look twice")
    checklist: list[CheckPublic]
    failed_items: int
    summary: str
    file_ids: list[uuid.UUID]


class SyncResult(BaseModel):
    inspection_id: uuid.UUID | None
    status: str = Field(description="created, duplicate, conflict or rejected")
    error: ErrorBody | None = Field(default=None, description="conflict and rejected: the error, as the API answers it")


class RectificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    organization_id: uuid.UUID = Field(description="the project's contractor")
    priority: Priority = Priority.normal
    due_at: AwareDatetime
    inspection_id: uuid.UUID | None = None
    checklist_index: int | None = Field(default=None, ge=0, description="the failed item, with inspection_id")
    file_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)


class RespondIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=2000)
    file_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accepted: bool
    note: str = Field(default="", max_length=2000, description="required when not accepted: what is still wrong")
    file_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)


class WaiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=2000)


class EventPublic(BaseModel):
    kind: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: ActorPublic | None
    note: str
    file_ids: list[uuid.UUID]
    created_at: datetime


class RectificationPublic(BaseModel):
    id: uuid.UUID
    number: int
    project_id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    title: str
    description: str
    priority: Priority
    due_at: datetime
    status: OrderStatus
    status_name: str
    overdue: bool
    days_overdue: int
    inspection_id: uuid.UUID | None
    checklist_index: int | None
    feedback_id: uuid.UUID | None
    file_ids: list[uuid.UUID]
    created_at: datetime
    closed_at: datetime | None
    timeline: list[EventPublic] | None = Field(default=None, description="on GET of one order")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = Field(min_length=2, max_length=2000)
    unit_id: uuid.UUID | None = Field(default=None, description="the caller's unit it concerns, if any")
    file_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)


class TriageIn(BaseModel):
    """Answer the complaint (``reply``), or turn it into an order (``rectification``), or both."""

    model_config = ConfigDict(extra="forbid")
    reply: str | None = Field(default=None, min_length=2, max_length=2000)
    rectification: RectificationIn | None = None


class FeedbackPublic(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    content: str
    file_ids: list[uuid.UUID]
    status: FeedbackStatus
    reply: str | None
    triaged_at: datetime | None
    rectification_id: uuid.UUID | None
    rectification_status: OrderStatus | None
    created_at: datetime


