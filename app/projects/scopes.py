"""The projects domain's scope kind for role assignment (``app.auth.scopes``): projects (supervisors); and
the estates supervisors may read (``app.registry.hooks``)."""

import uuid
from collections.abc import Collection

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.authz import in_ids
from app.auth.principal import Principal
from app.auth.roles import Role, ScopeType
from app.auth.rules import Ancestry
from app.auth.scopes import ScopeKind
from app.projects import access
from app.projects.models import Project
from app.registry import reads as registry
from app.registry.hooks import EstateReaders


async def _project_names(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    return dict((await session.exec(select(Project.id, Project.name).where(col(Project.id).in_(list(ids))))).all())


async def _locate_project(session: AsyncSession, p: Principal, project_id: uuid.UUID) -> Ancestry | None:
    """The street and community of a project the principal can read."""
    estate_id = (
        await session.exec(select(Project.estate_id).where(Project.id == project_id, access.project_condition(p)))
    ).first()
    estate = await registry.estate(session, estate_id) if estate_id else None
    return Ancestry(street_id=estate.street_id, community_id=estate.community_id) if estate else None


def _managed_projects(p: Principal):
    return select(Project.id).where(access.project_condition(p, "manage"))


PROJECT_SCOPE = ScopeKind(ScopeType.project, _project_names, _locate_project, _managed_projects)


def _supervised_estates(p: Principal):
    """A supervisor reads the estate (and its buildings) of the projects they supervise (others: None)."""
    supervised = p.scope_ids(Role.supervisor)
    return select(Project.estate_id).where(in_ids(Project.id, supervised)) if supervised else None


SUPERVISED_ESTATES = EstateReaders(_supervised_estates)
