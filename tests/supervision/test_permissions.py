"""Permission matrix: every supervision route, called by every role from inside and outside its scope.

World A's project has a supervisor ("supervisor:in"), a contractor ("contractor:in") and a designer
("contractor:designer"). Outside the read scope is 404, never 403. Expected: a status, or (status, code)
where the refusal has a code of its own.
"""

import uuid
from datetime import timedelta

import pytest

from app.core import clock
from tests import factories as f
from tests.matrix import API, MANAGE, PROJECT_READ, VARIANTS, Matrix, Route, mismatches, unauthenticated

READ = PROJECT_READ
_m = Matrix(VARIANTS, manage=MANAGE, read=READ)
expect, read, write = _m.expect, _m.read, _m.write
OVERSEE = MANAGE | {"supervisor:in"}


def _inspection():
    return {"inspection_id": str(uuid.uuid4()), "category": "quality", "occurred_at": clock.now().isoformat(),
            "checklist": [{"text": "防水层", "result": "fail"}]}


def _order(ids):
    return {"title": "防水层返工", "organization_id": ids["organization"],
            "due_at": (clock.now() + timedelta(days=3)).isoformat()}


# state: the rectification order made first ("open" or "responded"; None: no order)
ROUTES = {
    "list_supervisors": Route("GET", "/projects/{project}/supervisors", read()),
    "appoint_supervisor": Route("POST", "/projects/{project}/supervisors", write(201), body={"user_id": "{volunteer}"}),
    "dismiss_supervisor": Route("DELETE", "/projects/{project}/supervisors/{appointed}", write(204)),
    "project_checklists": Route("GET", "/projects/{project}/checklist-templates", read()),
    "set_checklist": Route("PUT", "/streets/{street}/checklist-templates/safety",
                           expect(rules=[(200, {"admin", "street_staff:in"})]),
                           body={"items": [{"code": "fence", "text": "围挡"}]}),
    "list_inspections": Route("GET", "/projects/{project}/inspections", read()),
    "file_inspection": Route("POST", "/projects/{project}/inspections", write(201, allowed={"admin", "supervisor:in"}),
                             body=lambda *_: _inspection()),
    "get_inspection": Route("GET", "/inspections/{inspection}", read()),
    "list_rectifications": Route("GET", "/projects/{project}/rectifications", read(), state="open"),
    "create_rectification": Route("POST", "/projects/{project}/rectifications", write(201, allowed=OVERSEE),
                                  body=lambda ids, *_: _order(ids)),
    "get_rectification": Route("GET", "/rectifications/{order}", read(), state="open"),
    "respond": Route("POST", "/rectifications/{order}/respond", write(200, allowed={"admin", "contractor:in"}),
                     body={"note": "已返工"}, state="open"),
    "verify": Route("POST", "/rectifications/{order}/verify", write(200, allowed=OVERSEE), body={"accepted": True},
                    state="responded"),
    "waive": Route("POST", "/rectifications/{order}/waive", write(200, allowed={"admin", "street_staff:in"}),
                   body={"reason": "已不需要"}, state="open"),
    "list_feedback": Route("GET", "/projects/{project}/feedback", read()),
    "file_feedback": Route("POST", "/projects/{project}/feedback",
                           expect(rules=[((403, "not_a_resident"), READ), (201, {"resident:in"})]),
                           body={"content": "夜间施工噪声大"}),
    # A complaint is read by its author, the project's managers and supervisors; managers triage it.
    "triage_feedback": Route("POST", "/feedback/{feedback}/triage", expect(rules=[(403, {"supervisor:in"}), (200, MANAGE)]),
                             body={"reply": "已要求施工单位调整作业时间"}),
}


async def _setup(client, db, world, state: str | None) -> dict[str, str]:
    a = world.a
    ids = {"project": str(a.project_id), "street": str(a.street_id), "organization": str(a.organization_id)}
    admin = await world.headers_for(db, "admin")
    ids["volunteer"] = str((await f.user(db)).id)
    appointed = await f.user(db)
    r = await client.post(f"{API}/projects/{a.project_id}/supervisors", headers=admin, json={"user_id": str(appointed.id)})
    assert r.status_code == 201, r.text
    ids["appointed"] = str(appointed.id)
    r = await client.post(f"{API}/projects/{a.project_id}/inspections", headers=admin, json=_inspection())
    ids["inspection"] = r.json()["id"]
    author = await f.headers(db, await world.user_for(db, "resident:in"))
    r = await client.post(f"{API}/projects/{a.project_id}/feedback", headers=author, json={"content": "材料堆放占道"})
    ids["feedback"] = r.json()["id"]
    if state is not None:
        r = await client.post(f"{API}/projects/{a.project_id}/rectifications", headers=admin, json=_order(ids))
        ids["order"] = r.json()["id"]
        if state == "responded":
            r = await client.post(f"{API}/rectifications/{ids['order']}/respond", headers=admin, json={"note": "已处理"})
            assert r.status_code == 200, r.text
    return ids


@pytest.mark.parametrize("route", ROUTES)
async def test_permission_matrix(client, db, world, route):
    """Every role against one route, each from the same state (its changes rolled back after it)."""
    ids = await _setup(client, db, world, ROUTES[route].state)
    assert await mismatches(client, db, world, ROUTES[route], ids) == []


async def test_offline_inspections_of_a_project_out_of_reach_are_refused_one_by_one(client, db, world):
    other = await world.headers_for(db, "supervisor:out")
    mine = {**_inspection(), "project_id": str(world.b.project_id)}
    theirs = {**_inspection(), "project_id": str(world.a.project_id)}
    r = await client.post(f"{API}/sync/inspections", headers=other, json={"items": [mine, theirs]})
    assert [(i["status"], (i["error"] or {}).get("code")) for i in r.json()] == [
        ("created", None), ("rejected", "not_found")]


async def test_anonymous_callers_get_401(client, db, world):
    assert await unauthenticated(client, ROUTES, await _setup(client, db, world, "open")) == []
    assert (await client.post(f"{API}/sync/inspections", json={"items": [{}]})).status_code == 401
