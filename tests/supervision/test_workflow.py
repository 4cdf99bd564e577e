"""Supervision through the API: appointing supervisors, inspections filed online and offline, the
rectification workflow with who may do what, complaints, overdue reminders and the lifecycle guard."""

import uuid
from datetime import timedelta

from sqlmodel import select

from app.auth.models import RoleAssignment, User
from app.auth.roles import Role
from app.core import clock
from app.notifications.models import NotificationOutbox as Outbox
from app.projects.models import Project, ProjectStatus
from app.supervision import tasks
from tests import factories as f

API = "/api/v1"


async def _headers(world, db, variant):
    return await world.headers_for(db, variant)


def _inspection(**extra):
    return {"inspection_id": str(uuid.uuid4()), "category": "safety", "occurred_at": clock.now().isoformat(),
            "location": {"lat": 31.2304, "lng": 121.4737}, "summary": "脚手架检查",
            "checklist": [{"code": "fence", "text": "围挡封闭", "result": "pass"},
                          {"code": "scaffold", "text": "脚手架牢固", "result": "fail", "note": "3号楼西侧未绑扎"}],
            **extra}


async def _order(client, headers, world, **extra):
    body = {"title": "脚手架加固", "organization_id": str(world.a.organization_id),
            "due_at": (clock.now() + timedelta(days=3)).isoformat(), **extra}
    return await client.post(f"{API}/projects/{world.a.project_id}/rectifications", headers=headers, json=body)


async def test_appointing_supervisors(client, db, world):
    staff = await _headers(world, db, "community_staff:in")
    volunteer = await f.user(db, display_name="李监督", phone="13900001111")
    r = await client.post(f"{API}/projects/{world.a.project_id}/supervisors", headers=staff,
                          json={"user_id": str(volunteer.id)})
    assert r.status_code == 201, r.text
    assert [(s["name"], s["phone"]) for s in r.json()] == [("李监督", "13900001111")]
    resident = await _headers(world, db, "resident:in")
    seen = (await client.get(f"{API}/projects/{world.a.project_id}/supervisors", headers=resident)).json()
    assert [(s["name"], s["phone"]) for s in seen] == [("李监督", "139****1111")]
    # The contractor's own staff never supervise the project.
    builder = await world.user_for(db, "contractor:in")
    r = await client.post(f"{API}/projects/{world.a.project_id}/supervisors", headers=staff,
                          json={"user_id": str(builder.id)})
    assert r.status_code == 409 and r.json()["error"]["code"] == "supervisor_conflict_of_interest"
    r = await client.post(f"{API}/projects/{world.a.project_id}/supervisors", headers=resident,
                          json={"user_id": str(volunteer.id)})
    assert r.status_code == 403


async def test_inspections_online_and_offline(client, db, world):
    supervisor = await _headers(world, db, "supervisor:in")
    body = _inspection()
    r = await client.post(f"{API}/projects/{world.a.project_id}/inspections", headers=supervisor, json=body)
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["failed_items"] == 1 and report["far_from_estate"] is False and report["distance_m"] is None
    # Re-sent after a lost response: the same report; the same id with other content: 409.
    again = await client.post(f"{API}/projects/{world.a.project_id}/inspections", headers=supervisor, json=body)
    assert again.status_code == 200 and again.json() == report
    r = await client.post(f"{API}/projects/{world.a.project_id}/inspections", headers=supervisor,
                          json={**body, "summary": "另一份"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "inspection_conflict"
    # A supervisor of another project cannot file here; a resident reads it, without phones.
    other = await _headers(world, db, "supervisor:out")
    r = await client.post(f"{API}/projects/{world.a.project_id}/inspections", headers=other, json=_inspection())
    assert r.status_code == 404
    resident = await _headers(world, db, "resident:in")
    listed = (await client.get(f"{API}/projects/{world.a.project_id}/inspections", headers=resident)).json()["items"]
    assert [i["id"] for i in listed] == [report["id"]] and "phone" not in str(listed)

    # The estate has a position: a report filed 5 km away is accepted but flagged.
    admin = await _headers(world, db, "admin")
    r = await client.put(f"{API}/estates/{world.a.estate_id}/location", headers=admin,
                         json={"latitude": 31.2304, "longitude": 121.4737})
    assert r.status_code == 200
    far = _inspection(location={"lat": 31.2754, "lng": 121.4737})
    bad = {**_inspection(), "category": "nonsense"}
    taken = {**body, "summary": "改过的", "project_id": str(world.a.project_id)}
    r = await client.post(f"{API}/sync/inspections", headers=supervisor, json={"items": [
        {**far, "project_id": str(world.a.project_id)}, bad | {"project_id": str(world.a.project_id)},
        {**body, "project_id": str(world.a.project_id)}, taken]})
    assert [i["status"] for i in r.json()] == ["created", "rejected", "duplicate", "conflict"]
    stored = (await client.get(f"{API}/inspections/{far['inspection_id']}", headers=supervisor)).json()
    assert stored["far_from_estate"] is True and 4900 < stored["distance_m"] < 5100


async def test_the_rectification_workflow(client, db, world):
    supervisor = await _headers(world, db, "supervisor:in")
    contractor = await _headers(world, db, "contractor:in")
    street = await _headers(world, db, "street_staff:in")
    resident = await _headers(world, db, "resident:in")
    report = (await client.post(f"{API}/projects/{world.a.project_id}/inspections", headers=supervisor,
                                json=_inspection())).json()
    # From the failed item (the passed one is not a source).
    r = await _order(client, supervisor, world, inspection_id=report["id"], checklist_index=0)
    assert r.status_code == 422 and r.json()["error"]["code"] == "rectification_source_invalid"
    r = await _order(client, supervisor, world, inspection_id=report["id"], checklist_index=1)
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["number"], order["status"], order["organization_name"]) == (1, "open", order["organization_name"])
    assert (await _order(client, contractor, world)).status_code == 403  # a contractor issues nothing
    assert (await _order(client, resident, world)).status_code == 403
    told = (await db.exec(select(Outbox.template))).all()
    assert "rectification_assigned" in told

    url = f"{API}/rectifications/{order['id']}"
    # Who may do what: a contractor cannot verify, a resident cannot respond, another project's supervisor
    # does not even see it.
    assert (await client.post(f"{url}/verify", headers=contractor, json={"accepted": True})).status_code == 403
    assert (await client.post(f"{url}/respond", headers=resident, json={"note": "修好了"})).status_code == 403
    other = await _headers(world, db, "supervisor:out")
    assert (await client.post(f"{url}/verify", headers=other, json={"accepted": True})).status_code == 404
    # Verifying before a response is refused by the workflow.
    r = await client.post(f"{url}/verify", headers=supervisor, json={"accepted": True})
    assert r.status_code == 409 and r.json()["error"]["message"] == "整改单当前状态为「待整改」，不能进行此操作"

    assert (await client.post(f"{url}/respond", headers=contractor, json={"note": "已加固"})).status_code == 200
    # Sending it back says what is still wrong.
    r = await client.post(f"{url}/verify", headers=supervisor, json={"accepted": False, "note": "  "})
    assert r.status_code == 422 and r.json()["error"]["code"] == "rectification_reason_required"
    assert (await client.get(url, headers=supervisor)).json()["status"] == "responded"
    r = await client.post(f"{url}/verify", headers=supervisor, json={"accepted": False, "note": "仍有松动"})
    assert r.json()["status"] == "reopened"
    await client.post(f"{url}/respond", headers=contractor, json={"note": "重新加固"})
    r = await client.post(f"{url}/verify", headers=supervisor, json={"accepted": True, "note": "复查合格"})
    done = r.json()
    assert done["status"] == "closed" and done["closed_at"] is not None
    assert [e["kind"] for e in done["timeline"]] == ["created", "respond", "reject", "respond", "accept"]
    seen = (await client.get(f"{API}/projects/{world.a.project_id}/rectifications", headers=resident)).json()["items"]
    assert [(o["number"], o["status_name"]) for o in seen] == [(1, "已整改")]

    # A second order is waived by street staff, with the reason; community staff cannot waive.
    second = (await _order(client, supervisor, world, title="围挡破损")).json()
    community = await _headers(world, db, "community_staff:in")
    r = await client.post(f"{API}/rectifications/{second['id']}/waive", headers=community, json={"reason": "不需要"})
    assert r.status_code == 403
    r = await client.post(f"{API}/rectifications/{second['id']}/waive", headers=street, json={"reason": "围挡已拆除"})
    assert r.json()["status"] == "waived" and r.json()["timeline"][-1]["note"] == "围挡已拆除"


async def _constructing(db, world):
    project = await db.get(Project, world.a.project_id)
    project.status = ProjectStatus.constructing
    db.add(project)
    await db.flush()


async def test_overdue_orders_and_the_acceptance_guard(client, db, world):
    await _constructing(db, world)
    supervisor = await _headers(world, db, "supervisor:in")
    contractor = await _headers(world, db, "contractor:in")
    order = (await _order(client, supervisor, world)).json()
    due = clock.now().fromisoformat(order["due_at"])
    await tasks.remind_overdue(db)
    assert (await db.exec(select(Outbox.id).where(Outbox.template == "rectification_overdue"))).all() == []
    with clock.freeze(due + timedelta(hours=30)):
        await tasks.remind_overdue(db)
        await tasks.remind_overdue(db)  # once per lateness
        headers = await f.headers(db, await _user(db, world, "supervisor"))
        late = (await client.get(f"{API}/projects/{world.a.project_id}/rectifications", headers=headers,
                                 params={"overdue": True})).json()["items"]
    assert [(o["id"], o["days_overdue"]) for o in late] == [(order["id"], 2)]
    reminded = (await db.exec(select(Outbox.user_id).where(Outbox.template == "rectification_overdue"))).all()
    assert len(reminded) == 2  # the contractor's staff and the supervisor

    staff = await _headers(world, db, "community_staff:in")
    r = await client.post(f"{API}/projects/{world.a.project_id}/transitions", headers=staff, json={"to": "accepting"})
    assert r.status_code == 409
    unmet = {g["name"]: g["message"] for g in r.json()["error"]["details"]["unmet_guards"]}
    assert unmet["rectifications_closed"].startswith("还有1张整改单未完成，最近的整改期限为")
    await client.post(f"{API}/rectifications/{order['id']}/respond", headers=contractor, json={"note": "已处理"})
    await client.post(f"{API}/rectifications/{order['id']}/verify", headers=supervisor, json={"accepted": True})
    r = await client.post(f"{API}/projects/{world.a.project_id}/transitions", headers=staff, json={"to": "accepting"})
    unmet = [g["name"] for g in r.json()["error"]["details"]["unmet_guards"]] if r.status_code == 409 else []
    assert "rectifications_closed" not in unmet


async def _user(db, world, role):
    """The holder of a role scoped to world A's project (made by ``headers_for`` above)."""
    user_id = (await db.exec(select(RoleAssignment.user_id).where(
        RoleAssignment.role == Role(role), RoleAssignment.scope_id == world.a.project_id))).first()
    return await db.get(User, user_id)


async def test_a_complaint_becomes_an_order_and_its_author_hears_the_outcome(client, db, world):
    resident_user = await world.user_for(db, "resident:in")
    resident = await f.headers(db, resident_user)
    r = await client.post(f"{API}/projects/{world.a.project_id}/feedback", headers=resident,
                          json={"content": "楼道里堆满了建筑垃圾，老人出入不便"})
    assert r.status_code == 201, r.text
    complaint = r.json()
    outsider = await _headers(world, db, "resident:out")
    r = await client.post(f"{API}/projects/{world.a.project_id}/feedback", headers=outsider, json={"content": "看看"})
    assert r.status_code == 404
    neighbour = await _headers(world, db, "resident:in")
    assert (await client.get(f"{API}/projects/{world.a.project_id}/feedback", headers=neighbour)).json()["items"] == []

    staff = await _headers(world, db, "community_staff:in")
    body = {"reply": "已通知施工单位清运", "rectification": {
        "title": "清运楼道建筑垃圾", "organization_id": str(world.a.organization_id),
        "due_at": (clock.now() + timedelta(days=1)).isoformat()}}
    assert (await client.post(f"{API}/feedback/{complaint['id']}/triage", headers=resident, json=body)).status_code == 403
    r = await client.post(f"{API}/feedback/{complaint['id']}/triage", headers=staff, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rectifying" and r.json()["rectification_status"] == "open"
    again = await client.post(f"{API}/feedback/{complaint['id']}/triage", headers=staff, json={"reply": "再答"})
    assert again.status_code == 409
    order_id = r.json()["rectification_id"]
    contractor = await _headers(world, db, "contractor:in")
    await client.post(f"{API}/rectifications/{order_id}/respond", headers=contractor, json={"note": "已清运"})
    supervisor = await _headers(world, db, "supervisor:in")
    await client.post(f"{API}/rectifications/{order_id}/verify", headers=supervisor, json={"accepted": True})
    mine = (await client.get(f"{API}/projects/{world.a.project_id}/feedback", headers=resident)).json()["items"]
    assert [(c["id"], c["rectification_status"]) for c in mine] == [(complaint["id"], "closed")]
    told = (await db.exec(select(Outbox.template).where(Outbox.user_id == resident_user.id))).all()
    assert "feedback_replied" in told and "rectification_update" in told
