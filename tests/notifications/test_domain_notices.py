"""Notices that fire: a binding decided or put back to be checked, a project's stage change. They reach
the people concerned through the outbox, and the worker turns them into inbox messages."""

import uuid
from contextlib import asynccontextmanager

from sqlmodel import select

from app.auth.roles import Role
from app.notifications import worker
from app.notifications.models import NotificationOutbox
from app.wechat.client import WechatClient
from tests import factories as f
from tests.auth.conftest import bearer, wechat_login

API = "/api/v1"


async def _outbox(db, user_id) -> list[NotificationOutbox]:
    return list((await db.exec(select(NotificationOutbox).where(NotificationOutbox.user_id == user_id)
                               .order_by(NotificationOutbox.created_at))).all())


async def _deliver(db) -> None:
    """One worker pass, its units of work as savepoints of the test's transaction."""
    @asynccontextmanager
    async def sessions():
        async with db.begin_nested():
            yield db

    from app.core.config import get_settings

    client = WechatClient(get_settings())
    try:
        await worker.run_once(sessions, client)
    finally:
        await client.aclose()


async def test_the_applicant_learns_the_decision_in_their_inbox(client, db, world):
    resident = await wechat_login(client, "notice-applicant")
    asked = (await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(world.a.unit.id)},
                               headers=bearer(resident))).json()
    owner = (await client.get(f"{API}/units/{world.a.unit.id}", headers=await world.headers_for(db, "grid_worker:in")))
    person_id = owner.json()["occupants"][0]["person_id"]
    r = await client.post(f"{API}/unit-bindings/{asked['id']}/approve", json={"person_id": person_id},
                          headers=await world.headers_for(db, "grid_worker:in"))
    assert r.status_code == 200
    [notice] = await _outbox(db, uuid.UUID(resident["user"]["id"]))
    assert notice.template == "binding_decided" and notice.data["phrase2"] == "已通过"
    assert notice.data["thing1"].endswith(asked["unit_label"])
    await _deliver(db)
    inbox = (await client.get(f"{API}/me/notifications", headers=bearer(resident))).json()
    assert [m["title"] for m in inbox["items"]] == [notice.title] and inbox["unread"] == 1


async def test_a_rejection_says_why(client, db, world):
    resident = await wechat_login(client, "notice-rejected")
    asked = (await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(world.a.unit.id)},
                               headers=bearer(resident))).json()
    await client.post(f"{API}/unit-bindings/{asked['id']}/reject", json={"reason": "查无此人"},
                      headers=await world.headers_for(db, "community_staff:in"))
    [notice] = await _outbox(db, uuid.UUID(resident["user"]["id"]))
    assert notice.data["phrase2"] == "未通过" and "查无此人" in notice.body and notice.data["thing3"] == "查无此人"


async def test_a_stage_change_reaches_the_estates_residents_only(client, db, world):
    here, elsewhere, staff = await f.user(db), await f.user(db), await world.user_for(db, "community_staff:in")
    await f.bind(db, here, world.a.unit)
    await f.bind(db, elsewhere, world.b.unit)
    r = await client.post(f"{API}/projects/{world.a.project_id}/transitions", json={"to": "designing"},
                          headers=await f.headers(db, staff))
    assert r.status_code == 200
    [notice] = await _outbox(db, here.id)
    assert notice.template == "project_stage" and notice.data["phrase2"] == "方案设计"
    assert notice.data["thing1"] == world.a.project.name
    assert await _outbox(db, elsewhere.id) == [] and await _outbox(db, staff.id) == []


async def test_a_binding_put_back_to_be_checked_is_told(client, db, world):
    resident = await f.user(db)
    binding = await f.bind(db, resident, world.a.unit)
    unit = (await client.get(f"{API}/units/{world.a.unit.id}", headers=await world.headers_for(db, "admin"))).json()
    binding.person_id = uuid.UUID(unit["occupants"][0]["person_id"])
    db.add(binding)
    await db.flush()
    r = await client.patch(f"{API}/units/{world.a.unit.id}", headers=await world.headers_for(db, "community_staff:in"),
                           json={"occupants": [{"name": "新业主", "phone": "13900009999", "relation": "owner"}]})
    assert r.status_code == 200
    [notice] = await _outbox(db, resident.id)
    assert notice.data["phrase2"] == "待核实"


async def test_the_timeline_says_who_and_in_what_role(client, db, world):
    staff = await world.user_for(db, "community_staff:in")
    await client.post(f"{API}/projects/{world.a.project_id}/transitions", json={"to": "designing"},
                      headers=await f.headers(db, staff))
    timeline = (await client.get(f"{API}/projects/{world.a.project_id}/timeline",
                                 headers=await world.headers_for(db, "resident:in"))).json()["items"]
    [move] = [e for e in timeline if e["kind"] == "transition"]
    assert move["actor"] == {"id": str(staff.id), "display_name": staff.display_name, "role": Role.community_staff}
