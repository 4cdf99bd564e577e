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
from tests.matrix import MANAGE, PROJECT_READ, VARIANTS, Matrix, mismatches

READ = PROJECT_READ
_m = Matrix(VARIANTS, manage=MANAGE, read=READ)
expect, read, write = _m.expect, _m.read, _m.write
API = "/api/v1"
OVERSEE = MANAGE | {"supervisor:in"}


def _inspection(ids):
    return {"inspection_id": str(uuid.uuid4()), "category": "quality", "occurred_at": clock.now().isoformat(),
            "checklist": [{"text": "防水层", "result": "fail"}]}


def _order(ids):
    return {"title": "防水层返工", "organization_id": ids["organization"],
            "due_at": (clock.now() + timedelta(days=3)).isoformat()}


# name: (method, path, body, the order's state first, expected per variant)
ROUTES = {
    "list_supervisors": ("GET", "/projects/{project}/supervisors", None, None, read()),
    "appoint_supervisor": ("POST", "/projects/{project}/supervisors", lambda ids: {"user_id": ids["volunteer"]},
                           None, write(201)),
    "dismiss_supervisor": ("DELETE", "/projects/{project}/supervisors/{appointed}", None, None, write(204)),
    "project_checklists": ("GET", "/projects/{project}/checklist-templates", None, None, read()),
    "set_checklist": ("PUT", "/streets/{street}/checklist-templates/safety",
                      {"items": [{"code": "fence", "text": "围挡"}]}, None,
                      expect(rules=[(200, {"admin", "street_staff:in"})])),
    "list_inspections": ("GET", "/projects/{project}/inspections", None, None, read()),
    "file_inspection": ("POST", "/projects/{project}/inspections", _inspection, None,
                        write(201, allowed={"admin", "supervisor:in"})),
    "get_inspection": ("GET", "/inspections/{inspection}", None, None, read()),
    "list_rectifications": ("GET", "/projects/{project}/rectifications", None, "open", read()),
    "create_rectification": ("POST", "/projects/{project}/rectifications", _order, None, write(201, allowed=OVERSEE)),
    "get_rectification": ("GET", "/rectifications/{order}", None, "open", read()),
    "respond": ("POST", "/rectifications/{order}/respond", {"note": "已返工"}, "open",
                write(200, allowed={"admin", "contractor:in"})),
    "verify": ("POST", "/rectifications/{order}/verify", {"accepted": True}, "responded", write(200, allowed=OVERSEE)),
    "waive": ("POST", "/rectifications/{order}/waive", {"reason": "已不需要"}, "open",
              write(200, allowed={"admin", "street_staff:in"})),
    "list_feedback": ("GET", "/projects/{project}/feedback", None, None, read()),
    "file_feedback": ("POST", "/projects/{project}/feedback", {"content": "夜间施工噪声大"}, None,
                      expect(rules=[((403, "not_a_resident"), READ), (201, {"resident:in"})])),
    # A complaint is read by its author, the project's managers and supervisors; managers triage it.
    "triage_feedback": ("POST", "/feedback/{feedback}/triage", {"reply": "已要求施工单位调整作业时间"}, None,
                        expect(rules=[(403, {"supervisor:in"}), (200, MANAGE)])),
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
    r = await client.post(f"{API}/projects/{a.project_id}/inspections", headers=admin, json=_inspection(ids))
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


def _body(body, ids):
    return body(ids) if callable(body) else body


@pytest.mark.parametrize("route", ROUTES)
async def test_permission_matrix(client, db, world, route):
    """Every role against one route, each from the same state (its changes rolled back after it)."""
    method, path, body, state, table = ROUTES[route]
    ids = await _setup(client, db, world, state)

    async def call(headers):
        return await client.request(method, API + path.format(**ids), headers=headers, json=_body(body, ids))

    assert await mismatches(db, world, VARIANTS, table, call) == []


async def test_offline_inspections_of_a_project_out_of_reach_are_refused_one_by_one(client, db, world):
    other = await world.headers_for(db, "supervisor:out")
    mine = {**_inspection({}), "project_id": str(world.b.project_id)}
    theirs = {**_inspection({}), "project_id": str(world.a.project_id)}
    r = await client.post(f"{API}/sync/inspections", headers=other, json={"items": [mine, theirs]})
    assert [(i["status"], (i["error"] or {}).get("code")) for i in r.json()] == [
        ("created", None), ("rejected", "not_found")]


async def test_anonymous_callers_get_401(client, db, world):
    ids = await _setup(client, db, world, "open")
    for name, (method, path, body, *_) in ROUTES.items():
        r = await client.request(method, API + path.format(**ids), json=_body(body, ids))
        assert r.status_code == 401, name
    assert (await client.post(f"{API}/sync/inspections", json={"items": [{}]})).status_code == 401
