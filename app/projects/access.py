"""Object-level access to projects, in one place (docs/roles.md).

Levels:
- ``read``: see the project, its items, progress and timeline - everyone who may read its estate
  (admin, street/community staff, grid workers, committee members, residents), staff of any
  organisation linked to the project (contractor role), and supervisors appointed to it.
- ``manage``: create and change the project, move it through the lifecycle, choose items and link
  organisations - those who manage the estate (admin, street staff, community staff).
- ``progress``: report item progress - managers, and contractor-role staff of an organisation linked
  to the project *as its contractor* (施工单位); a designer or supervision company builds nothing.

Like the registry's, each function returns a SQL condition; loaders add it to an ``id ==`` query so that
a project outside the read scope is simply not found.
"""

from typing import Literal

from sqlalchemy import false, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from app.auth.authz import condition
from app.auth.authz import in_ids as _in
from app.auth.principal import Principal
from app.auth.roles import Role
from app.projects.models import Project, ProjectOrganization, ProjectOrganizationRole
from app.registry import reads as registry

ProjectLevel = Literal["read", "manage", "progress"]


def _estate(p: Principal, level: Literal["read", "manage"]) -> ColumnElement[bool]:
    return registry.estate_in(Project.estate_id, p, level)


def _linked(p: Principal, role: ProjectOrganizationRole | None = None) -> ColumnElement[bool]:
    organizations = p.scope_ids(Role.contractor)
    if not organizations:
        return false()
    links = select(ProjectOrganization.project_id).where(_in(ProjectOrganization.organization_id, organizations))
    if role is not None:
        links = links.where(ProjectOrganization.role == role)
    return col(Project.id).in_(links)


@condition
def project_condition(p: Principal, level: ProjectLevel = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    manage = _estate(p, "manage")
    if level == "manage":
        return manage
    if level == "progress":
        return or_(manage, _linked(p, ProjectOrganizationRole.contractor))
    return or_(_estate(p, "read"), _linked(p), _in(Project.id, p.scope_ids(Role.supervisor)))
