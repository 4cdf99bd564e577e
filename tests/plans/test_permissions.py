"""Permission matrix: every plan route, called by every role from inside and outside its scope.

The plan belongs to world A's project ("in" callers are scoped to A, "out" callers to world B). A draft is
seen by those who manage the project only; a published version by everyone who reads the project.
Outside the read scope is 404, never 403. Expected: a status, or (status, error code) where the refusal
has a code of its own.
"""

import pytest
from sqlmodel import select

from app.projects.models import Project, ProjectStatus
from tests import factories as f
from tests.files.conftest import PNG
from tests.matrix import MANAGE, PROJECT_READ, VARIANTS, Matrix, mismatches
from tests.plans.conftest import API, ROADS

READ = PROJECT_READ
COLLECT = MANAGE | {"grid_worker:in"}

_m = Matrix(VARIANTS, manage=MANAGE, read=READ)
expect, read, write = _m.expect, _m.read, _m.write

NOT_RESIDENT = (403, "not_a_resident_here")
NO_PROXY = (403, "plan_proxy_not_allowed")

# name: (method, path, body, what exists first, expected per variant)
ROUTES = {
    "list_plans": ("GET", "/projects/{project}/plans", None, "published", read()),
    "create_plan": ("POST", "/projects/{project}/plans", {"title": "方案"}, None, write(201)),
    "get_plan": ("GET", "/plans/{plan}", None, "published", read()),
    "get_draft_plan": ("GET", "/plans/{plan}", None, "draft", expect(rules=[(200, MANAGE)])),
    "update_plan": ("PATCH", "/plans/{plan}", {"summary": "改"}, "draft", write(200, visible=MANAGE)),
    "publish_plan": ("POST", "/plans/{plan}/publish", {}, "draft", write(200, visible=MANAGE)),
    "revise_plan": ("POST", "/plans/{plan}/revise", {"change_notes": "改"}, "published", write(201)),
    "record_plan_view": ("POST", "/plans/{plan}/views", None, "published", read()),
    "plan_non_viewers": ("GET", "/plans/{plan}/non-viewers", None, "published", write(200, allowed=COLLECT)),
    "list_plan_opinions": ("GET", "/plans/{plan}/opinions", None, "opinion", read()),
    "create_plan_opinion": ("POST", "/plans/{plan}/opinions", {"content": "意见"}, "published",
                            expect(rules=[(NOT_RESIDENT, READ), (201, {"resident:in"})])),
    "create_plan_opinion_proxy": ("POST", "/plans/{plan}/opinions",
                                  {"content": "代填意见", "channel": "proxy", "unit_id": "{unit}"}, "published",
                                  expect(rules=[(NO_PROXY, READ), (201, COLLECT)])),
    "plan_opinion_summary": ("GET", "/plans/{plan}/opinions/summary", None, "opinion", read()),
    "plan_pdf": ("GET", "/plans/{plan}/pdf", None, "published", read()),
    "reply_to_opinion": ("POST", "/opinions/{opinion}/reply", {"status": "noted", "reply": "收到"}, "opinion",
                         write(200)),
    "hide_opinion": ("POST", "/opinions/{opinion}/hide", {"reason": "重复"}, "opinion", write(200)),
}

async def _setup(client, db, world, state: str | None) -> dict[str, str]:
    """The project in design with an item, and the plan in ``state``: its ids for the paths."""
    a = world.a
    project = (await db.exec(select(Project).where(Project.id == a.project_id))).one()
    project.status = ProjectStatus.designing
    db.add(project)
    await f.project_item(db, a.project_id, ROADS)
    ids = {"project": str(a.project_id), "unit": str(a.unit.id)}
    if state is None:
        return ids
    admin = await world.headers_for(db, "admin")
    r = await client.post(f"{API}/projects/{a.project_id}/plans", headers=admin, json={"title": "方案", "summary": "说明"})
    ids["plan"] = r.json()["id"]
    if state == "draft":
        return ids
    assert (await client.post(f"{API}/plans/{ids['plan']}/publish", headers=admin, json={})).status_code == 200
    if state == "opinion":
        r = await client.post(f"{API}/plans/{ids['plan']}/opinions", headers=admin,
                              json={"content": "意见", "channel": "proxy", "unit_id": ids["unit"]})
        ids["opinion"] = r.json()["id"]
    return ids


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("route", ROUTES)
async def test_permission_matrix(client, db, world, route):
    """Every role against one route, each from the same state (its changes rolled back after it)."""
    method, path, body, state, table = ROUTES[route]
    ids = await _setup(client, db, world, state)

    async def call(headers):
        return await client.request(method, API + path.format(**ids), headers=headers, json=_fill(body, ids))

    assert await mismatches(db, world, VARIANTS, table, call) == []


async def test_anonymous_callers_get_401(client, db, world):
    ids = await _setup(client, db, world, "opinion")
    for name, (method, path, body, *_) in ROUTES.items():
        r = await client.request(method, API + path.format(**ids), json=_fill(body, ids))
        assert r.status_code == 401, name


async def test_a_resident_of_another_estate_sees_nothing_of_the_plan(client, db, world):
    """Not the plan, its versions, opinions, summary, PDF, attachments, nor a task to read it."""
    ids = await _setup(client, db, world, None)
    admin = await world.headers_for(db, "admin")
    upload = await client.post(f"{API}/files", headers=admin, files={"file": ("效果图.png", PNG, "image/png")})
    file_id = upload.json()["id"]
    r = await client.post(f"{API}/projects/{ids['project']}/plans", headers=admin,
                          json={"title": "方案", "summary": "说明", "attachment_file_ids": [file_id]})
    ids["plan"] = r.json()["id"]
    await client.post(f"{API}/plans/{ids['plan']}/publish", headers=admin, json={})
    insider = await world.headers_for(db, "resident:in")
    outsider = await world.headers_for(db, "resident:out")
    assert (await client.get(f"{API}/files/{file_id}", headers=insider)).status_code == 200
    for path in ("/projects/{project}/plans", "/plans/{plan}", "/plans/{plan}/opinions", "/plans/{plan}/opinions/summary",
                 "/plans/{plan}/pdf", f"/files/{file_id}"):
        r = await client.get(API + path.format(**ids), headers=outsider)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
    assert (await client.get(f"{API}/me/tasks", headers=outsider)).json()["plans"] == []
