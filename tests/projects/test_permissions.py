"""Permission matrix: every project endpoint, called by every role from inside and outside its scope.

The target project is in world A. "in" callers are scoped to A (supervisors appointed to A's project,
contractor staff of the organisation linked to it as contractor; "contractor:designer" is staff of the
organisation linked as designer), "out" callers to the separate world B.
Expected: a status, or for lists "seen"/"hidden". Outside the read scope is 404, never 403.
"""

import pytest
from sqlmodel import select

from app.projects.models import Project, ProjectItem, ProjectOrganization, ProjectStatus
from tests import factories as f
from tests.matrix import MANAGE, VARIANTS, Matrix, Route, mismatches, unauthenticated

# Who reads A's estate: its registry readers and the supervisor of its project.
ESTATE_READ = MANAGE | {"grid_worker:in", "committee_member:in", "resident:in", "supervisor:in"}
READ = ESTATE_READ | {"contractor:in", "contractor:designer"}
PROGRESS = MANAGE | {"contractor:in"}


_matrix = Matrix(VARIANTS, manage=MANAGE, read=READ)
expect, read, write, listed = _matrix.expect, _matrix.read, _matrix.write, _matrix.listed


ITEMS = [{"item_code": "basic.roads", "estimated_cost_fen": 100, "funding_source": "local"}]

# state: the project status to start from (None: as made)
ENDPOINTS = {
    "list_projects": Route("GET", "/projects", listed(READ), item="project"),
    "create_project": Route("POST", "/projects", write(201, visible=ESTATE_READ),
                            body={"estate_id": "{estate}", "name": "二期"}),
    "get_project": Route("GET", "/projects/{project}", read()),
    "update_project": Route("PATCH", "/projects/{project}", write(200), body={"year": 2026}),
    "transition_project": Route("POST", "/projects/{project}/transitions", write(200), body={"to": "designing"}),
    "get_project_timeline": Route("GET", "/projects/{project}/timeline", read()),
    "list_project_organizations": Route("GET", "/projects/{project}/organizations", read()),
    "link_project_organization": Route("POST", "/projects/{project}/organizations", write(201),
                                       body={"organization_id": "{designer}", "role": "supervision"}),
    "unlink_project_organization": Route("DELETE", "/projects/{project}/organizations/{link}", write(204)),
    "list_renovation_items": Route("GET", "/renovation-items", expect(default=200)),
    "list_project_items": Route("GET", "/projects/{project}/items", read()),
    "replace_project_items": Route("PUT", "/projects/{project}/items", write(200), body=ITEMS),
    "report_item_progress": Route("POST", "/projects/{project}/items/{item}/progress", write(201, allowed=PROGRESS),
                                  body={"percent": 30}, state=ProjectStatus.constructing),
    "list_item_progress": Route("GET", "/projects/{project}/items/{item}/progress", read()),
}


async def _setup(db, world, start: ProjectStatus | None = None) -> dict[str, str]:
    """A's project (in ``start`` if given) with an item: the ids for the paths and bodies."""
    a = world.a
    project = (await db.exec(select(Project).where(Project.id == a.project_id))).one()
    if start is not None:
        project.status = start
        db.add(project)
    item = (await db.exec(select(ProjectItem).where(ProjectItem.project_id == a.project_id))).first()
    item = item or await f.project_item(db, a.project_id)
    link = (await db.exec(select(ProjectOrganization).where(ProjectOrganization.project_id == a.project_id))).first()
    await db.flush()
    return {"project": str(a.project_id), "item": str(item.id), "link": str(link.id), "estate": str(a.estate_id),
            "designer": str(a.designer_id)}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_permission_matrix(client, db, world, endpoint):
    """Every role against one endpoint, each from the same state (its changes rolled back after it)."""
    ids = await _setup(db, world, ENDPOINTS[endpoint].state)
    assert await mismatches(client, db, world, ENDPOINTS[endpoint], ids) == []


async def test_anonymous_callers_get_401(client, db, world):
    assert await unauthenticated(client, ENDPOINTS, await _setup(db, world)) == []


async def test_items_and_links_of_another_project_are_not_found(client, db, world):
    """An id from project B under project A's path is 404 even for an admin."""
    other_item = await f.project_item(db, world.b.project_id)
    other_link = await f.project_organization(db, world.b.project_id, world.b.organization_id)
    item_id, link_id = other_item.id, other_link.id
    headers = await world.headers_for(db, "admin")
    base = f"/api/v1/projects/{world.a.project_id}"
    assert (await client.get(f"{base}/items/{item_id}/progress", headers=headers)).status_code == 404
    assert (await client.delete(f"{base}/organizations/{link_id}", headers=headers)).status_code == 404
    assert (await db.exec(select(ProjectItem).where(ProjectItem.id == item_id))).first() is not None
