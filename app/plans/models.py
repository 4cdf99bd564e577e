"""Design plan tables.

- ``PlanVersion``: one version of a project's plan (一小区一方案). A draft is edited; publishing opens its
  notice period and it never changes again; publishing the next version supersedes it. From v2 on a
  version names the opinions it answers and says what changed.
- ``PlanOpinion``: a resident's opinion (意见) on a published version, perhaps on one of its items; staff
  answer it with a status and a reply, or hide it with a reason (the text is kept).
- ``PlanView``: a read receipt: a unit opened a version (first and last time, how often).
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, dt_field, enum_field, id_field


class PlanStatus(StrEnum):
    draft = "draft"
    published = "published"
    superseded = "superseded"  # a later version was published


class PlanVersion(SQLModel, table=True):
    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("project_id", "version", name="uq_plan_version_project_version"),)
    id: uuid.UUID = id_field()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True)
    estate_id: uuid.UUID = Field(foreign_key="estate.id", index=True)
    version: int = 1
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=20000)
    # [{item_code, name, category, scope, estimated_cost_fen}] in menu order: a copy, so that a published
    # version says what it said whatever later happens to the project's items.
    items: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    attachment_file_ids: list[str] = Field(default_factory=list, sa_type=JSON)  # in the order shown
    change_notes: str | None = Field(default=None, max_length=4000)
    answers_opinion_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    status: PlanStatus = enum_field(PlanStatus, default=PlanStatus.draft, index=True)
    notice_starts_at: datetime | None = dt_field()
    notice_ends_at: datetime | None = dt_field()
    published_at: datetime | None = dt_field()
    published_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    superseded_at: datetime | None = dt_field()
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class OpinionStatus(StrEnum):
    pending = "pending"  # not answered yet
    adopted = "adopted"  # 采纳
    partially_adopted = "partially_adopted"  # 部分采纳
    not_adopted = "not_adopted"  # 不予采纳
    noted = "noted"  # 已知悉 (a remark, not a proposal)


class OpinionChannel(StrEnum):
    self = "self"  # the resident in the mini-program
    proxy = "proxy"  # a grid worker for a resident, door to door


class PlanOpinion(SQLModel, table=True):
    __tablename__ = "plan_opinion"
    __table_args__ = (
        Index("ix_plan_opinion_plan_created", "plan_id", "created_at", "id"),
        # A resident's own opinion names them as its author: who sent it is who wrote it (or, once they closed
        # their account, no one). So a person's opinions are found by author_id alone, through its index.
        CheckConstraint("channel <> 'self' OR recorded_by IS NULL OR (author_id IS NOT NULL AND recorded_by = author_id)",
                        name="self_sent_by_author"),
    )
    id: uuid.UUID = id_field()
    plan_id: uuid.UUID = Field(foreign_key="plan_version.id")
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True)
    item_code: str | None = Field(default=None, max_length=60)  # one of the version's items, or the whole plan
    unit_id: uuid.UUID = Field(foreign_key="property_unit.id", index=True)
    building_id: uuid.UUID = Field(foreign_key="building.id")
    author_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)  # self only
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")  # the grid worker, for proxy; None once a resident who sent it themselves closed their account
    channel: OpinionChannel = enum_field(OpinionChannel)
    content: str = Field(max_length=2000)
    photo_file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    status: OpinionStatus = enum_field(OpinionStatus, default=OpinionStatus.pending)
    reply: str | None = Field(default=None, max_length=2000)
    replied_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    replied_at: datetime | None = dt_field()
    hidden: bool = False
    hidden_reason: str | None = Field(default=None, max_length=500)
    hidden_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    hidden_at: datetime | None = dt_field()
    created_at: datetime = created_at_field()


class PlanView(SQLModel, table=True):
    __tablename__ = "plan_view"
    __table_args__ = (UniqueConstraint("plan_id", "unit_id", name="uq_plan_view_plan_unit"),)
    id: uuid.UUID = id_field()
    plan_id: uuid.UUID = Field(foreign_key="plan_version.id")
    unit_id: uuid.UUID = Field(foreign_key="property_unit.id", index=True)
    first_viewed_by: uuid.UUID = Field(foreign_key="app_user.id")
    first_viewed_at: datetime = created_at_field()
    last_viewed_at: datetime = created_at_field()
    views: int = 1
