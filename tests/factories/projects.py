"""Projects factories: projects, their selected items and linked organisations."""

import uuid

from app.projects.models import FundingSource, Project, ProjectItem, ProjectOrganization, ProjectOrganizationRole
from tests.factories._base import add as _add
from tests.factories._base import n as _n


async def project(db, estate_id: uuid.UUID, **kw):
    return await _add(db, Project(**{"estate_id": estate_id, "name": f"测试改造项目{_n()}", "year": 2025, **kw}))


async def project_item(db, project_id: uuid.UUID, item_code: str = "basic.roads", **kw):
    values = {"project_id": project_id, "item_code": item_code, "estimated_cost_fen": 100_000_00,
              "funding_source": FundingSource.central_provincial, **kw}
    return await _add(db, ProjectItem(**values))


async def project_organization(db, project_id: uuid.UUID, organization_id: uuid.UUID, role=None):
    return await _add(db, ProjectOrganization(project_id=project_id, organization_id=organization_id,
                                              role=role or ProjectOrganizationRole.contractor))
