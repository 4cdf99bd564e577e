"""The projects domain's read API: what supervision, acceptance and the other participation domains may
know of a project, as plain values. They never import the projects' tables.

- Scope: ``project_ids`` (subquery of the projects a principal may touch at a level) and
  ``require_project`` (404 outside read scope, 403 below the level).
- The project: ``project``, its selected renovation ``items`` with progress, its linked ``organizations``.

What other domains add to a project's lifecycle they declare with ``app.projects.lifecycle``
(``guard``, ``on_enter``), the other public module of this domain.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.authz import in_scope, load_scoped
from app.auth.principal import Principal
from app.files import service as files
from app.projects import access
from app.projects.access import ProjectLevel
from app.projects.catalog import MENU
from app.projects.models import (
    ItemProgress,
    Project,
    ProjectEvent,
    ProjectItem,
    ProjectOrganization,
    ProjectOrganizationRole,
    ProjectStatus,
    RenovationItem,
)
from app.projects.progress import percent_string, weighted_progress
from app.registry import reads as registry

__all__ = [
    "MenuItem", "menu", "ItemRef", "LinkedOrganization", "ProjectOrganizationRole", "ProjectRef", "ProjectStatus", "items",
    "organization_ids", "organizations", "project", "project_ids", "project_in", "published_condition", "require_project",
]


ITEM_PROGRESS_KIND = "item_progress"  # the photos of a progress report


@dataclass(frozen=True)
class ProjectRef:
    id: uuid.UUID
    estate_id: uuid.UUID
    name: str
    year: int | None
    status: ProjectStatus


def project_ref(p: Project) -> ProjectRef:
    return ProjectRef(p.id, p.estate_id, p.name, p.year, ProjectStatus(p.status))


def project_ids(p: Principal, level: ProjectLevel = "read") -> Select:
    """Subquery of the ids of the projects ``p`` may touch at ``level``."""
    return select(Project.id).where(access.project_condition(p, level))


def project_in(column: Any, p: Principal, level: ProjectLevel = "read") -> ColumnElement[bool]:
    """``column`` (a project id) is one of the projects ``p`` may touch at ``level`` (plain false for none)."""
    return in_scope(column, Project.id, access.project_condition(p, level))


def published_condition(p: Principal, level: str, project_id: Any, estate_id: Any,
                        published: ColumnElement[bool]) -> ColumnElement[bool]:
    """The access rule of what a participation domain publishes on a project (a questionnaire, a plan
    version, a ballot), given its ``project_id`` and ``estate_id`` columns and what "published" means:

    - ``manage``: those who manage the project;
    - ``collect``: they, and once published the estate's grid workers (who act only within their grids,
      each unit checked on its own);
    - ``read``: they (drafts too), and once published everyone who may read the project.
    """
    if p.is_admin:
        return true()
    manage = project_in(project_id, p, "manage")
    if level == "manage":
        return manage
    if level == "collect":
        return or_(manage, and_(published, registry.estate_in(estate_id, p, "contact")))
    return or_(manage, and_(published, project_in(project_id, p, "read")))


async def project(session: AsyncSession, project_id: uuid.UUID) -> ProjectRef | None:
    found = await session.get(Project, project_id)
    return project_ref(found) if found else None


async def require_project(session: AsyncSession, p: Principal, project_id: uuid.UUID, level: ProjectLevel) -> ProjectRef:
    """The project if ``p`` may touch it at ``level``: 404 outside their read scope, 403 below ``level``."""
    return project_ref(await load_scoped(session, Project, project_id, access.project_condition, p, level))


@dataclass(frozen=True)
class MenuItem:
    code: str
    category: str  # basic, improvement, upgrade
    name: str


def menu() -> list[MenuItem]:
    """The national renovation menu in its order (the same rows as the renovation_item table)."""
    return [MenuItem(code, category.value, name) for code, category, name, _ in MENU]


@dataclass(frozen=True)
class ItemRef:
    id: uuid.UUID
    item_code: str
    name: str
    estimated_cost_fen: int
    progress_percent: int
    scope_note: str | None = None  # where, as the project recorded it


async def items(session: AsyncSession, project_id: uuid.UUID) -> list[ItemRef]:
    """The project's selected renovation items in menu order."""
    rows = await session.exec(
        select(ProjectItem, RenovationItem.name)
        .join(RenovationItem, col(RenovationItem.code) == ProjectItem.item_code)
        .where(ProjectItem.project_id == project_id)
        .order_by(col(RenovationItem.sort_order))
    )
    return [ItemRef(i.id, i.item_code, name, i.estimated_cost_fen, i.progress_percent, i.scope_note)
            for i, name in rows.all()]


@dataclass(frozen=True)
class LinkedOrganization:
    organization_id: uuid.UUID
    name: str
    kind: registry.OrganizationKind
    role: ProjectOrganizationRole


async def organizations(
    session: AsyncSession, project_id: uuid.UUID, role: ProjectOrganizationRole | None = None
) -> list[LinkedOrganization]:
    """The organisations linked to the project (optionally in one role), in the order they were linked."""
    stmt = select(ProjectOrganization).where(ProjectOrganization.project_id == project_id)
    if role is not None:
        stmt = stmt.where(ProjectOrganization.role == role)
    links = (await session.exec(stmt.order_by(col(ProjectOrganization.created_at), col(ProjectOrganization.id)))).all()
    names = await registry.organizations(session, {link.organization_id for link in links})
    return [
        LinkedOrganization(link.organization_id, names[link.organization_id].name, names[link.organization_id].kind,
                           ProjectOrganizationRole(link.role))
        for link in links
    ]


async def organization_ids(
    session: AsyncSession, project_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, dict[ProjectOrganizationRole, set[uuid.UUID]]]:
    """The organisations linked to each of these projects, by role, in one statement (every project is a
    key; a role nobody holds is absent)."""
    out: dict[uuid.UUID, dict[ProjectOrganizationRole, set[uuid.UUID]]] = {i: {} for i in project_ids}
    if project_ids:
        for project_id, role, organization_id in (await session.exec(
                select(ProjectOrganization.project_id, ProjectOrganization.role, ProjectOrganization.organization_id)
                .where(col(ProjectOrganization.project_id).in_(list(project_ids))))).all():
            out[project_id].setdefault(ProjectOrganizationRole(role), set()).add(organization_id)
    return out


# ---- what the public notice board shows (docs/public-board.md) ----------------------------------------------


def overall_progress(items: list[ItemRef]) -> str:
    """The project's progress, each item weighted by its estimated cost, as a percentage with one decimal."""
    return percent_string(weighted_progress((i.estimated_cost_fen, i.progress_percent) for i in items))


async def estate_projects(session: AsyncSession, estate_id: uuid.UUID) -> list[ProjectRef]:
    """Every project of the estate, oldest first."""
    rows = (await session.exec(select(Project).where(Project.estate_id == estate_id)
                               .order_by(col(Project.created_at), col(Project.id)))).all()
    return [project_ref(p) for p in rows]


@dataclass(frozen=True)
class Milestone:
    """A timeline event as the board shows it: what happened and when, never who."""

    kind: str
    from_status: str | None
    to_status: str | None
    note: str | None
    created_at: datetime


async def milestones(session: AsyncSession, project_id: uuid.UUID) -> list[Milestone]:
    rows = (await session.exec(select(ProjectEvent).where(ProjectEvent.project_id == project_id)
                               .order_by(col(ProjectEvent.created_at), col(ProjectEvent.id)))).all()
    return [Milestone(e.kind, e.from_status, e.to_status, e.note, e.created_at) for e in rows]


@dataclass(frozen=True)
class ProgressReport:
    item_id: uuid.UUID
    percent: int
    note: str | None
    photo_ids: tuple[uuid.UUID, ...]
    created_at: datetime


async def progress_reports(session: AsyncSession, project_id: uuid.UUID) -> list[ProgressReport]:
    """Every progress report of the project's items, oldest first."""
    rows = (await session.exec(select(ItemProgress).join(
        ProjectItem, col(ProjectItem.id) == ItemProgress.project_item_id).where(ProjectItem.project_id == project_id)
        .order_by(col(ItemProgress.created_at), col(ItemProgress.id)))).all()
    return [ProgressReport(r.project_item_id, r.percent, r.note, tuple(uuid.UUID(f) for f in r.file_ids), r.created_at)
            for r in rows]


async def is_progress_photo(session: AsyncSession, file_id: uuid.UUID) -> bool:
    """Whether the file documents a progress report (such photos are as public as the board)."""
    return bool(await files.attached_to(session, file_id, ITEM_PROGRESS_KIND))
