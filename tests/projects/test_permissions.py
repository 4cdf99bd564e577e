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
from tests.matrix import Matrix

VARIANTS = [
    "admin",
    "street_staff:in", "street_staff:out",
    "community_staff:in", "community_staff:out",
    "grid_worker:in", "grid_worker:out",
    "committee_member:in", "committee_member:out",
    "resident:in", "resident:out",
    "supervisor:in", "supervisor:out",
    "contractor:in", "contractor:designer", "contractor:out",
]
MANAGE = {"admin", "street_staff:in", "community_staff:in"}
# Who reads A's estate: its registry readers and the supervisor of its project.
ESTATE_READ = MANAGE | {"grid_worker:in", "committee_member:in", "resident:in", "supervisor:in"}
READ = ESTATE_READ | {"contractor:in", "contractor:designer"}
PROGRESS = MANAGE | {"contractor:in"}


_matrix = Matrix(VARIANTS, manage=MANAGE, read=READ)
expect, read, write, listed = _matrix.expect, _matrix.read, _matrix.write, _matrix.listed


ITEMS = [{"item_code": "basic.roads", "estimated_cost_fen": 100, "funding_source": "local"}]

# name: (method, path, request kwargs, project status to start from, expected per variant)
ENDPOINTS = {
    "list_projects": ("GET", "/projects", lambda a: {}, None, listed(READ)),
    "create_project": ("POST", "/projects", lambda a: {"json": {"estate_id": str(a.estate_id), "name": "二期"}}, None,
                       write(201, visible=ESTATE_READ)),
    "get_project": ("GET", "/projects/{project}", lambda a: {}, None, read()),
    "update_project": ("PATCH", "/projects/{project}", lambda a: {"json": {"year": 2026}}, None, write(200)),
    "transition_project": ("POST", "/projects/{project}/transitions", lambda a: {"json": {"to": "designing"}}, None,
                           write(200)),
    "get_project_timeline": ("GET", "/projects/{project}/timeline", lambda a: {}, None, read()),
    "list_project_organizations": ("GET", "/projects/{project}/organizations", lambda a: {}, None, read()),
    "link_project_organization": ("POST", "/projects/{project}/organizations",
                                  lambda a: {"json": {"organization_id": str(a.designer_id), "role": "supervision"}},
                                  None, write(201)),
    "unlink_project_organization": ("DELETE", "/projects/{project}/organizations/{link}", lambda a: {}, None,
                                    write(204)),
    "list_renovation_items": ("GET", "/renovation-items", lambda a: {}, None, expect(default=200)),
    "list_project_items": ("GET", "/projects/{project}/items", lambda a: {}, None, read()),
    "replace_project_items": ("PUT", "/projects/{project}/items", lambda a: {"json": ITEMS}, None, write(200)),
    "report_item_progress": ("POST", "/projects/{project}/items/{item}/progress", lambda a: {"json": {"percent": 30}},
                             ProjectStatus.constructing, write(201, allowed=PROGRESS)),
    "list_item_progress": ("GET", "/projects/{project}/items/{item}/progress", lambda a: {}, None, read()),
}

CASES = [
    pytest.param(name, variant, table[variant], id=f"{name}-{variant}")
    for name, (_, _, _, _, table) in ENDPOINTS.items()
    for variant in VARIANTS
]


async def _target_urls(db, world, path: str, start: ProjectStatus | None) -> str:
    a = world.a
    project = (await db.exec(select(Project).where(Project.id == a.project_id))).one()
    if start is not None:
        project.status = start
        db.add(project)
    item = (await db.exec(select(ProjectItem).where(ProjectItem.project_id == a.project_id))).first()
    item = item or await f.project_item(db, a.project_id)
    link = (await db.exec(select(ProjectOrganization).where(ProjectOrganization.project_id == a.project_id))).first()
    await db.flush()
    return "/api/v1" + path.format(project=a.project_id, item=item.id, link=link.id)


@pytest.mark.parametrize("endpoint, variant, expected", CASES)
async def test_permission_matrix(client, db, world, endpoint, variant, expected):
    method, path, kwargs, start, _ = ENDPOINTS[endpoint]
    url = await _target_urls(db, world, path, start)
    headers = await world.headers_for(db, variant)
    response = await client.request(method, url, headers=headers, **kwargs(world.a))
    if expected in ("seen", "hidden"):
        assert response.status_code == 200, response.text
        ids = {item["id"] for item in response.json()["items"]}
        assert (str(world.a.project_id) in ids) == (expected == "seen"), ids
    else:
        assert response.status_code == expected, response.text
        if expected >= 400:
            assert response.json()["error"]["code"] == {403: "forbidden", 404: "not_found"}[expected]


async def test_anonymous_callers_get_401(client, db, world):
    for name, (method, path, kwargs, start, _) in ENDPOINTS.items():
        url = await _target_urls(db, world, path, start)
        response = await client.request(method, url, **kwargs(world.a))
        assert response.status_code == 401, name


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
