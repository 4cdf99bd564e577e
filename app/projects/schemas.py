"""Request and response models of projects. Money is integer fen; percentages are integers 0-100."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.auth.reads import ActorPublic
from app.core.jsontypes import JsonObject
from app.projects.models import (
    FundingSource,
    ProjectOrganizationRole,
    ProjectStatus,
    RenovationCategory,
)
from app.registry.reads import OrganizationKind

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Year = Annotated[int, Field(ge=2000, le=2100)]


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Request(BaseModel):
    # An unknown field is an error, not silently dropped: e.g. ``status`` in a PATCH must use transitions.
    model_config = ConfigDict(extra="forbid")


# --- projects ----------------------------------------------------------------------------------------


class ProjectCreate(_Request):
    estate_id: uuid.UUID
    name: Name
    description: Description | None = None
    year: Year | None = None


class ProjectUpdate(_Request):
    """Only the fields given change; the status changes only through transitions."""

    name: Name | None = None
    description: Description | None = None
    year: Year | None = None


class ProjectPublic(_Public):
    id: uuid.UUID
    estate_id: uuid.UUID
    name: str
    description: str | None
    year: int | None
    status: ProjectStatus
    next_statuses: list[ProjectStatus] = Field(description="States the lifecycle table allows next (guards aside)")
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class TransitionCreate(_Request):
    to: ProjectStatus
    note: Note | None = None


class UnmetGuard(BaseModel):
    name: str
    message: str


class ProjectEventPublic(_Public):
    """One entry of the timeline: a transition, the items chosen, a progress report, ..."""

    id: uuid.UUID
    kind: str
    from_status: str | None
    to_status: str | None
    actor_id: uuid.UUID | None
    actor: ActorPublic | None = Field(default=None, description="who: name and role")
    note: str | None
    data: JsonObject | None
    created_at: datetime


# --- organisations -----------------------------------------------------------------------------------


class ProjectOrganizationCreate(_Request):
    organization_id: uuid.UUID
    role: ProjectOrganizationRole


class ProjectOrganizationPublic(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    organization_kind: OrganizationKind
    role: ProjectOrganizationRole
    created_at: datetime


# --- renovation menu and items -----------------------------------------------------------------------


class RenovationItemPublic(_Public):
    code: str
    category: RenovationCategory
    name: str
    description: str | None
    sort_order: int


class ProjectItemIn(_Request):
    item_code: str = Field(max_length=40)
    # The column is a 32-bit integer: up to 21,474,836.47 yuan per item.
    # 10^12 fen (100 亿元) per item: far above any renovation item, far below the BIGINT column.
    estimated_cost_fen: int = Field(ge=0, le=10**12, description="Estimated cost in fen (分)")
    funding_source: FundingSource
    scope_note: Note | None = None
    # What GET returns besides: taken, so that a client can send back the object it read, and ignored
    # (items are matched by code; the name, category and progress are not the client's to set).
    id: uuid.UUID | None = None
    name: str | None = None
    category: RenovationCategory | None = None
    progress_percent: int | None = None
    updated_at: datetime | None = None


class ProjectItemPublic(BaseModel):
    id: uuid.UUID
    item_code: str
    name: str
    category: RenovationCategory
    estimated_cost_fen: int
    funding_source: FundingSource
    scope_note: str | None
    progress_percent: int
    updated_at: datetime


class OverallProgress(BaseModel):
    """Share of the work done, weighted by estimated cost (equal weights when nothing is priced).

    ``numerator/denominator`` is the exact share in [0, 1]; ``percent`` is it times 100, rounded half-up
    to one decimal.
    """

    numerator: int
    denominator: int
    percent: str = Field(examples=["42.5"])


class ProjectItems(BaseModel):
    items: list[ProjectItemPublic]
    total_estimated_cost_fen: int
    progress: OverallProgress


class ProjectItemsIn(_Request):
    """The shape ``GET /projects/{id}/items`` answers; only ``items`` counts."""

    items: list[ProjectItemIn] = Field(max_length=100)
    total_estimated_cost_fen: int | None = None
    progress: OverallProgress | None = None


class ItemProgressCreate(_Request):
    percent: int = Field(ge=0, le=100)
    note: Note | None = None
    file_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20, description="Photos uploaded via /files")


class ItemProgressPublic(_Public):
    id: uuid.UUID
    project_item_id: uuid.UUID
    percent: int
    note: str | None
    file_ids: list[uuid.UUID]
    actor_id: uuid.UUID | None
    created_at: datetime
