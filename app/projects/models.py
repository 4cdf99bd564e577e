"""Project tables. Money is integer fen (分); percentages are integers 0-100."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, enum_field, id_field


class ProjectStatus(StrEnum):
    surveying = "surveying"  # 摸底/征集意见
    designing = "designing"  # 方案设计
    publicizing = "publicizing"  # 公示
    voting = "voting"  # 居民表决
    approved = "approved"
    rejected = "rejected"
    constructing = "constructing"  # 施工
    accepting = "accepting"  # 竣工验收
    accepted = "accepted"
    maintaining = "maintaining"  # 长效管理


class Project(SQLModel, table=True):
    """One renovation of one estate (一小区一方案)."""

    id: uuid.UUID = id_field()
    estate_id: uuid.UUID = Field(foreign_key="estate.id", index=True)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    year: int | None = None
    status: ProjectStatus = enum_field(ProjectStatus, default=ProjectStatus.surveying, index=True)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ProjectOrganizationRole(StrEnum):
    contractor = "contractor"  # 施工单位
    supervision = "supervision"  # 监理单位
    designer = "designer"  # 设计单位


class ProjectOrganization(SQLModel, table=True):
    """An organisation working on a project; its contractor-role staff see the project."""

    __tablename__ = "project_organization"
    __table_args__ = (UniqueConstraint("project_id", "organization_id", "role"),)
    id: uuid.UUID = id_field()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    role: ProjectOrganizationRole = enum_field(ProjectOrganizationRole)
    created_at: datetime = created_at_field()


class ProjectEvent(SQLModel, table=True):
    """The project's timeline, readable by its estate's residents: transitions and other milestones."""

    __tablename__ = "project_event"
    id: uuid.UUID = id_field()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=40)  # transition, items_selected, item_progress, ...
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    note: str | None = Field(default=None, max_length=1000)
    data: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = created_at_field()


class RenovationCategory(StrEnum):
    basic = "basic"  # 基础类
    improvement = "improvement"  # 完善类
    upgrade = "upgrade"  # 提升类


class RenovationItem(SQLModel, table=True):
    """The national renovation menu (菜单式改造); seeded by migration, codes are stable."""

    __tablename__ = "renovation_item"
    code: str = Field(primary_key=True, max_length=40)
    category: RenovationCategory = enum_field(RenovationCategory)
    name: str = Field(max_length=50)
    description: str | None = Field(default=None, max_length=200)
    sort_order: int = 0


class FundingSource(StrEnum):
    central_provincial = "central_provincial"  # 中央和省级补助资金
    local = "local"  # 地方财政资金
    special_bonds = "special_bonds"  # 专项债券
    residents = "residents"  # 居民出资
    utilities = "utilities"  # 管线单位出资
    social_capital = "social_capital"  # 社会资本


class ProjectItem(SQLModel, table=True):
    """A menu item selected for a project, with its estimate and where the money comes from."""

    __tablename__ = "project_item"
    __table_args__ = (
        UniqueConstraint("project_id", "item_code"),
        CheckConstraint("estimated_cost_fen >= 0", name="cost_not_negative"),
        CheckConstraint("progress_percent >= 0 AND progress_percent <= 100", name="percent_range"),
    )
    id: uuid.UUID = id_field()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    item_code: str = Field(foreign_key="renovation_item.code", max_length=40)
    estimated_cost_fen: int = Field(sa_type=BigInteger)
    funding_source: FundingSource = enum_field(FundingSource)
    scope_note: str | None = Field(default=None, max_length=1000)
    progress_percent: int = 0
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ItemProgress(SQLModel, table=True):
    """One progress report on an item: the history residents see of what was built."""

    __tablename__ = "item_progress"
    __table_args__ = (CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),)
    id: uuid.UUID = id_field()
    project_item_id: uuid.UUID = Field(foreign_key="project_item.id", index=True, ondelete="CASCADE")
    percent: int
    note: str | None = Field(default=None, max_length=1000)
    file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
