"""The whole project lifecycle through the API: every guard refuses first, then allows once its
condition is met; the timeline shows every step to the estate's residents and to nobody outside it.

The guards of domains not built yet are stood in for by the ``later_guards`` fixture; without it their
edges are closed.
"""

import pytest
from sqlmodel import select

from app.core.models import AuditEntry
from app.projects import lifecycle
from app.projects.models import ProjectStatus
from tests import factories as f

API = "/api/v1"


async def _move(client, headers, project_id, to, note=None, headers_extra=None):
    body = {"to": to} | ({"note": note} if note else {})
    return await client.post(f"{API}/projects/{project_id}/transitions", headers=headers | (headers_extra or {}),
                             json=body)


def _refused_by(response, *guards):
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "transition_not_allowed"
    assert [g["name"] for g in error["details"]["unmet_guards"]] == list(guards)
    return error


async def test_whole_lifecycle_every_guard_refuses_then_allows(client, db, world, later_guards):
    a = world.a
    staff = await world.headers_for(db, "community_staff:in")
    contractor = await world.headers_for(db, "contractor:in")
    r = await client.post(f"{API}/projects", headers=staff, json={"estate_id": str(a.estate_id), "name": "幸福小区改造",
                                                                  "year": 2025})
    assert r.status_code == 201, r.text
    project = r.json()
    pid = project["id"]
    assert project["status"] == "surveying" and project["next_statuses"] == ["designing"]
    steps = []

    async def step(to, note=None):
        r = await _move(client, staff, pid, to, note)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == to
        steps.append((steps[-1][1] if steps else "surveying", to))

    await step("designing", "问卷回收率 82%")

    # items_selected and plan_published: designing -> publicizing needs menu items and a published plan.
    error = _refused_by(await _move(client, staff, pid, "publicizing"), "items_selected", "plan_published")
    assert error["details"]["from"] == "designing" and error["details"]["to"] == "publicizing"
    assert error["details"]["unmet_guards"][0]["message"] == "请先从改造菜单中选择至少一项改造内容"
    assert error["details"]["unmet_guards"][1]["message"] == "测试：plan_published 未满足"
    r = await client.post(f"{API}/projects/{pid}/transitions", headers=staff | {"Accept-Language": "en"},
                          json={"to": "publicizing"})
    assert r.json()["error"]["details"]["unmet_guards"][0]["message"] == "Select at least one item of the renovation menu first"
    assert r.json()["error"]["message"] == "The project cannot move to this stage now"
    items = [{"item_code": "basic.roof_waterproofing", "estimated_cost_fen": 30_000_000, "funding_source": "central_provincial"},
             {"item_code": "improvement.elevator", "estimated_cost_fen": 10_000_000, "funding_source": "residents",
              "scope_note": "3栋1单元"}]
    assert (await client.put(f"{API}/projects/{pid}/items", headers=staff, json=items)).status_code == 200
    _refused_by(await _move(client, staff, pid, "publicizing"), "plan_published")
    later_guards.allow("plan_published")
    await step("publicizing")

    # notice_period_ended: no vote before the notice period is over.
    _refused_by(await _move(client, staff, pid, "voting"), "notice_period_ended")
    later_guards.allow("notice_period_ended")
    await step("voting")

    # ballot_passed / ballot_rejected: the outcome is the ballot's, not the staff's.
    _refused_by(await _move(client, staff, pid, "approved"), "ballot_passed")
    _refused_by(await _move(client, staff, pid, "rejected"), "ballot_rejected")
    later_guards.allow("ballot_rejected")
    await step("rejected", "加装电梯未获通过")
    await step("designing")
    await step("publicizing")
    await step("voting")
    _refused_by(await _move(client, staff, pid, "approved"), "ballot_passed")
    later_guards.allow("ballot_passed")
    await step("approved")

    # contractor_assigned: approved -> constructing needs a contractor; a designer does not count.
    _refused_by(await _move(client, staff, pid, "constructing"), "contractor_assigned")
    designer_link = {"organization_id": str(a.designer_id), "role": "designer"}
    assert (await client.post(f"{API}/projects/{pid}/organizations", headers=staff, json=designer_link)).status_code == 201
    _refused_by(await _move(client, staff, pid, "constructing"), "contractor_assigned")
    contractor_link = {"organization_id": str(a.organization_id), "role": "contractor"}
    assert (await client.post(f"{API}/projects/{pid}/organizations", headers=staff, json=contractor_link)).status_code == 201
    await step("constructing")

    # items_complete and rectifications_closed: constructing -> accepting needs every item at 100 % and
    # no open rectification.
    listed = (await client.get(f"{API}/projects/{pid}/items", headers=staff)).json()["items"]
    roof, elevator = (next(i["id"] for i in listed if i["item_code"] == code)
                      for code in ("basic.roof_waterproofing", "improvement.elevator"))
    for item_id, percent in ((roof, 100), (elevator, 60)):
        r = await client.post(f"{API}/projects/{pid}/items/{item_id}/progress", headers=contractor,
                              json={"percent": percent, "note": "按计划推进"})
        assert r.status_code == 201, r.text
    _refused_by(await _move(client, staff, pid, "accepting"), "items_complete", "rectifications_closed")
    r = await client.post(f"{API}/projects/{pid}/items/{elevator}/progress", headers=contractor, json={"percent": 100})
    assert r.status_code == 201
    _refused_by(await _move(client, staff, pid, "accepting"), "rectifications_closed")
    later_guards.allow("rectifications_closed")
    await step("accepting")

    # acceptance_rejected / acceptance_signed: the signatories decide.
    _refused_by(await _move(client, staff, pid, "accepted"), "acceptance_signed")
    _refused_by(await _move(client, staff, pid, "constructing"), "acceptance_rejected")
    later_guards.allow("acceptance_rejected")
    await step("constructing", "验收未通过，整改")
    later_guards.refuse("rectifications_closed")  # the rejection opened new rectifications
    _refused_by(await _move(client, staff, pid, "accepting"), "rectifications_closed")
    later_guards.allow("rectifications_closed")
    await step("accepting")
    later_guards.allow("acceptance_signed")
    await step("accepted")
    await step("maintaining")
    assert (await client.get(f"{API}/projects/{pid}", headers=staff)).json()["next_statuses"] == []

    # The timeline, oldest first, read by a resident of the estate page by page.
    resident = await world.headers_for(db, "resident:in")
    events, cursor = [], None
    while True:
        r = await client.get(f"{API}/projects/{pid}/timeline", headers=resident,
                             params={"limit": 5} | ({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        events += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    transitions = [(e["from_status"], e["to_status"]) for e in events if e["kind"] == "transition"]
    assert transitions == steps
    assert [e["kind"] for e in events][:2] == ["created", "transition"]
    assert [e["kind"] for e in events].count("item_progress") == 3
    assert {e["kind"] for e in events} == {"created", "transition", "items_selected", "organization_linked",
                                           "item_progress"}
    notes = [e["note"] for e in events if e["kind"] == "transition"]
    assert "加装电梯未获通过" in notes and "验收未通过，整改" in notes
    assert all(e["actor_id"] for e in events)
    times = [e["created_at"] for e in events]
    assert times == sorted(times)

    outsider = await world.headers_for(db, "resident:out")
    r = await client.get(f"{API}/projects/{pid}/timeline", headers=outsider)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    # Every step is in the audit log as well.
    audited = (await db.exec(select(AuditEntry).where(AuditEntry.entity_id == pid,
                                                      AuditEntry.action == "project.transition"))).all()
    assert [(e.before["status"], e.after["status"]) for e in sorted(audited, key=lambda e: e.id)] == steps


async def test_a_refusal_names_every_unmet_guard(client, db, world, later_guards):
    """Two domains' guards on one edge: both are named, in name order, and both must be met."""
    staff = await world.headers_for(db, "street_staff:in")
    project = await f.project(db, world.a.estate_id, status=ProjectStatus.designing)
    pid = project.id
    error = _refused_by(await _move(client, staff, pid, "publicizing"), "items_selected", "plan_published")
    assert error["details"]["unmet_guards"][1]["message"] == "测试：plan_published 未满足"
    await f.project_item(db, pid)
    _refused_by(await _move(client, staff, pid, "publicizing"), "plan_published")
    later_guards.allow("plan_published")
    assert (await _move(client, staff, pid, "publicizing")).status_code == 200


@pytest.mark.parametrize("target, guard, message", [
    ("accepted", "acceptance_signed", "竣工验收尚未经各方签字通过"),
    ("constructing", "acceptance_rejected", "竣工验收未被否决，不能退回施工"),
])
async def test_no_acceptance_no_way_out_of_accepting(client, db, world, target, guard, message):
    """No estate manager accepts a project without the signatures, nor sends it back without a rejection."""
    admin = await world.headers_for(db, "admin")
    project = await f.project(db, world.a.estate_id, status=ProjectStatus.accepting)
    pid = project.id
    await f.project_item(db, pid, progress_percent=100)
    error = _refused_by(await _move(client, admin, pid, target), guard)
    assert error["details"]["unmet_guards"][-1]["message"] == message
    assert (await client.get(f"{API}/projects/{pid}", headers=admin)).json()["status"] == "accepting"


async def test_a_guard_whose_module_was_not_imported_refuses(client, db, world):
    """A process that never registered a check (its module not imported) refuses rather than skipping it."""
    admin = await world.headers_for(db, "admin")
    project = await f.project(db, world.a.estate_id, status=ProjectStatus.approved)
    await f.project_organization(db, project.id, world.a.organization_id)
    pid = project.id
    saved = lifecycle.registry.get("contractor_assigned")
    lifecycle.registry.unregister("contractor_assigned")
    try:
        error = _refused_by(await _move(client, admin, pid, "constructing"), "contractor_assigned")
        assert error["details"]["unmet_guards"][0]["message"] == "尚未启用：此步骤需要「项目管理」功能"
    finally:
        lifecycle.registry.register(saved)
    assert (await _move(client, admin, pid, "constructing")).status_code == 200


@pytest.mark.parametrize("start, target, allowed", [
    ("surveying", "voting", ["designing"]),
    ("voting", "constructing", ["designing", "approved", "rejected"]),
    ("maintaining", "surveying", []),
    ("accepted", "accepted", ["maintaining"]),
])
async def test_a_move_outside_the_table_names_the_allowed_ones(client, db, world, start, target, allowed):
    staff = await world.headers_for(db, "admin")
    project = await f.project(db, world.a.estate_id, status=ProjectStatus(start))
    r = await _move(client, staff, project.id, target)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "transition_not_allowed"
    assert r.json()["error"]["details"] == {"from": start, "to": target, "allowed": allowed, "unmet_guards": []}


async def test_unknown_status_is_a_validation_error(client, db, world):
    staff = await world.headers_for(db, "admin")
    r = await _move(client, staff, world.a.project_id, "demolished")
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
