"""Request and response models of design plans."""

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.auth.reads import ActorPublic
from app.plans.models import OpinionChannel, OpinionStatus, PlanStatus

MAX_ITEMS = 100
MAX_FILES = 50


class PlanItemIn(BaseModel):
    """One of the project's selected renovation items, as this version describes it."""

    model_config = ConfigDict(extra="forbid")
    item_code: str = Field(max_length=60)
    scope: str = Field(default="", max_length=500, description="where and how much, e.g. 1-3栋屋面防水 2,400㎡")
    estimated_cost_fen: int | None = Field(default=None, ge=0, le=10**13,
                                           description="default: the project's estimate for the item")


class PlanCreate(BaseModel):
    """The first version, as a draft. Without ``items``, every item the project selected, at its estimate."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=20000)
    items: list[PlanItemIn] | None = Field(default=None, max_length=MAX_ITEMS)
    attachment_file_ids: list[uuid.UUID] = Field(default=[], max_length=MAX_FILES,
                                                 description="drawings, renderings, PDFs, in the order shown")


class PlanUpdate(BaseModel):
    """Only while draft; only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    summary: str | None = Field(default=None, max_length=20000)
    items: list[PlanItemIn] | None = Field(default=None, max_length=MAX_ITEMS)
    attachment_file_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_FILES)
    change_notes: str | None = Field(default=None, max_length=4000)
    answers_opinion_ids: list[uuid.UUID] | None = Field(default=None, max_length=1000)


class PlanRevise(BaseModel):
    """The next version, as a draft copy of this one: what changes and which opinions it answers."""

    model_config = ConfigDict(extra="forbid")
    change_notes: str = Field(min_length=1, max_length=4000)
    answers_opinion_ids: list[uuid.UUID] = Field(default=[], max_length=1000)


class PlanPublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notice_starts_at: AwareDatetime | None = Field(default=None, description="default: now")
    notice_ends_at: AwareDatetime | None = Field(
        default=None, description="default and minimum: the start plus the configured notice days (7)")


class PlanItemPublic(BaseModel):
    item_code: str
    name: str
    category: str
    scope: str
    estimated_cost_fen: int


class AttachmentPublic(BaseModel):
    file_id: uuid.UUID
    filename: str
    content_type: str
    size: int


class AnsweredOpinion(BaseModel):
    id: uuid.UUID
    version: int
    item_code: str | None
    content: str
    status: OpinionStatus
    reply: str | None


class PlanPublic(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    estate_id: uuid.UUID
    version: int
    title: str
    summary: str
    status: PlanStatus
    items: list[PlanItemPublic]
    total_cost_fen: int
    attachments: list[AttachmentPublic]
    change_notes: str | None
    answers_opinions: list[AnsweredOpinion] = Field(description="the earlier opinions this version answers")
    notice_starts_at: datetime | None
    notice_ends_at: datetime | None
    notice_ends_display: str | None = Field(description="the end of the notice period in Asia/Shanghai time")
    in_notice_period: bool
    published_at: datetime | None
    published_by: ActorPublic | None
    superseded_at: datetime | None
    created_by: ActorPublic | None
    created_at: datetime
    updated_at: datetime


class OpinionCreate(BaseModel):
    """A resident's opinion (``self``: for their own unit in the estate, ``unit_id`` needed only when they
    have several), or a grid worker's entry for a household (``proxy``, ``unit_id`` required)."""

    model_config = ConfigDict(extra="forbid")
    content: str = Field(min_length=1, max_length=2000)
    item_code: str | None = Field(default=None, max_length=60, description="one of the plan's items; none: the whole plan")
    unit_id: uuid.UUID | None = None
    channel: OpinionChannel = OpinionChannel.self
    photo_file_ids: list[uuid.UUID] = Field(default=[], max_length=9)


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: OpinionStatus
    reply: str = Field(min_length=1, max_length=2000)


class HideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class OpinionPublic(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    version: int
    item_code: str | None
    content: str
    photo_file_ids: list[uuid.UUID]
    channel: OpinionChannel
    who: str = Field(description="the household: its building for residents, the full unit for staff")
    mine: bool = Field(description="entered by the caller or for one of the caller's units")
    author: ActorPublic | None = Field(default=None, description="staff only")
    status: OpinionStatus
    reply: str | None
    replied_by: ActorPublic | None
    replied_at: datetime | None
    hidden: bool
    hidden_reason: str | None = Field(default=None, description="staff and the opinion's author only")
    created_at: datetime


class StatusCount(BaseModel):
    status: OpinionStatus
    count: int


class ItemCount(BaseModel):
    item_code: str | None = Field(description="none: opinions on the whole plan")
    name: str
    total: int
    by_status: list[StatusCount]


class AdoptionRate(BaseModel):
    adopted: int
    partially_adopted: int
    decided: int = Field(description="opinions answered adopted, partially adopted or not adopted")
    percent: str = Field(description="(adopted + partially adopted) / decided, one decimal")


class OpinionSummary(BaseModel):
    plan_id: uuid.UUID
    total: int = Field(description="visible opinions")
    hidden: int = Field(description="hidden opinions (counted for staff only; 0 for others)")
    by_status: list[StatusCount]
    by_item: list[ItemCount]
    adoption: AdoptionRate


class ViewsOut(BaseModel):
    """The units whose read receipt was recorded (the caller's units in the plan's estate)."""

    unit_ids: list[uuid.UUID]


class NonViewer(BaseModel):
    unit_id: uuid.UUID
    building_name: str
    entrance_name: str
    room_number: str
    label: str
