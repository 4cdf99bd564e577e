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
from tests.matrix import MANAGE, PROJECT_READ, VARIANTS, Matrix, Route, mismatches, unauthenticated
from tests.plans.conftest import API, ROADS

READ = PROJECT_READ
COLLECT = MANAGE | {"grid_worker:in"}

_m = Matrix(VARIANTS, manage=MANAGE, read=READ)
expect, read, write = _m.expect, _m.read, _m.write

NOT_RESIDENT = (403, "not_a_resident_here")
NO_PROXY = (403, "plan_proxy_not_allowed")

# state: what exists first (None: the project only; "draft", "published", or "opinion": published with one)
ROUTES = {
    "list_plans": Route("GET", "/projects/{project}/plans", read(), state="published"),
    "create_plan": Route("POST", "/projects/{project}/plans", write(201), body={"title": "方案"}),
    "get_plan": Route("GET", "/plans/{plan}", read(), state="published"),
    "get_draft_plan": Route("GET", "/plans/{plan}", expect(rules=[(200, MANAGE)]), state="draft"),
    "update_plan": Route("PATCH", "/plans/{plan}", write(200, visible=MANAGE), body={"summary": "改"}, state="draft"),
    "publish_plan": Route("POST", "/plans/{plan}/publish", write(200, visible=MANAGE), body={}, state="draft"),
    "revise_plan": Route("POST", "/plans/{plan}/revise", write(201), body={"change_notes": "改"}, state="published"),
    "record_plan_view": Route("POST", "/plans/{plan}/views", read(), state="published"),
    "plan_non_viewers": Route("GET", "/plans/{plan}/non-viewers", write(200, allowed=COLLECT), state="published"),
    "list_plan_opinions": Route("GET", "/plans/{plan}/opinions", read(), state="opinion"),
    "create_plan_opinion": Route("POST", "/plans/{plan}/opinions",
                                 expect(rules=[(NOT_RESIDENT, READ), (201, {"resident:in"})]),
                                 body={"content": "意见"}, state="published"),
    "create_plan_opinion_proxy": Route("POST", "/plans/{plan}/opinions", expect(rules=[(NO_PROXY, READ), (201, COLLECT)]),
                                       body={"content": "代填意见", "channel": "proxy", "unit_id": "{unit}"},
                                       state="published"),
    "plan_opinion_summary": Route("GET", "/plans/{plan}/opinions/summary", read(), state="opinion"),
    "plan_pdf": Route("GET", "/plans/{plan}/pdf", read(), state="published"),
    "reply_to_opinion": Route("POST", "/opinions/{opinion}/reply", write(200),
                              body={"status": "noted", "reply": "收到"}, state="opinion"),
    "hide_opinion": Route("POST", "/opinions/{opinion}/hide", write(200), body={"reason": "重复"}, state="opinion"),
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


@pytest.mark.parametrize("route", ROUTES)
async def test_permission_matrix(client, db, world, route):
    """Every role against one route, each from the same state (its changes rolled back after it)."""
    ids = await _setup(client, db, world, ROUTES[route].state)
    assert await mismatches(client, db, world, ROUTES[route], ids) == []


async def test_anonymous_callers_get_401(client, db, world):
    assert await unauthenticated(client, ROUTES, await _setup(client, db, world, "opinion")) == []


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
