"""The mini-program's path on the demo estate: a new WeChat user finds 电力小区 by name, picks
1栋 / 1单元 / 101, and asks to bind: at once with a phone that matches the ledger; otherwise the grid worker
sees what to check, approves, and the resident's inbox has the decision."""

import uuid
from contextlib import asynccontextmanager

from sqlmodel import select

from app.auth.models import User
from app.demo import _seed
from app.notifications import worker
from app.wechat.client import WechatClient
from tests import factories as f
from tests.auth.conftest import bearer, wechat_login

API = "/api/v1"


async def _pick(client, headers, room: str) -> str:
    """Estate by name, then building, entrance and room, as the pickers show them: no names, no phones."""
    [estate] = (await client.get(f"{API}/lookup/estates", params={"q": "电力"}, headers=headers)).json()
    assert estate["name"] == "电力小区" and estate["community_name"] == "官黎坪社区"
    by_code = (await client.get(f"{API}/lookup/estates/by-code/{estate['short_code'].lower()}", headers=headers))
    assert by_code.json()["id"] == estate["id"]
    buildings = (await client.get(f"{API}/lookup/estates/{estate['id']}/buildings", headers=headers)).json()
    building = next(b for b in buildings if b["name"] == "1栋")
    entrances = (await client.get(f"{API}/lookup/buildings/{building['id']}/entrances", headers=headers)).json()
    entrance = next(e for e in entrances if e["name"] == "1单元")
    rooms = await client.get(f"{API}/lookup/entrances/{entrance['id']}/units", headers=headers)
    assert all(set(r) == {"unit_id", "floor", "room_number"} for r in rooms.json())  # nobody's name or phone
    return next(r["unit_id"] for r in rooms.json() if r["room_number"] == room)


async def _deliver(db):
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


async def test_a_resident_finds_their_unit_and_is_bound(client, db):
    await _seed(db)
    await db.commit()

    # A phone matching the ledger's owner of 101: approved at once.
    owner = await wechat_login(client, "journey-owner")
    await client.post(f"{API}/me/phone", json={"code": "phone:13184986729"}, headers=bearer(owner))
    unit_id = await _pick(client, bearer(owner), "101")
    r = await client.post(f"{API}/me/unit-bindings", json={"unit_id": unit_id}, headers=bearer(owner))
    assert (r.json()["status"], r.json()["method"], r.json()["relation"]) == ("approved", "phone_match", "owner")

    # A phone the ledger does not know (102's owner): pending, for the grid worker.
    other = await wechat_login(client, "journey-other")
    await client.post(f"{API}/me/phone", json={"code": "phone:13700000001"}, headers=bearer(other))
    unit_102 = await _pick(client, bearer(other), "102")
    asked = (await client.post(f"{API}/me/unit-bindings", json={"unit_id": unit_102}, headers=bearer(other))).json()
    assert asked["status"] == "pending"

    grid_worker = (await db.exec(select(User).where(User.phone == "13900000004"))).one()
    gh = await f.headers(db, grid_worker)
    [task] = (await client.get(f"{API}/me/tasks", headers=gh)).json()["unit_bindings"]
    assert task["id"] == asked["id"] and task["applicant"]["phone"] == "*******0001"
    [on_record] = task["on_record"]
    assert (on_record["name"], on_record["relation"]) == ("邱超建", "owner")
    r = await client.post(f"{API}/unit-bindings/{asked['id']}/approve", json={"person_id": on_record["person_id"]},
                          headers=gh)
    assert r.status_code == 200 and r.json()["status"] == "approved"

    await _deliver(db)
    inbox = (await client.get(f"{API}/me/notifications", headers=bearer(other))).json()
    assert inbox["unread"] == 1 and inbox["items"][0]["title"].startswith("房屋绑定已通过")


async def test_lookups_are_limited_per_account(client, db, monkeypatch):
    from app.registry import lookup

    await f.estate(db, name="限流测试小区")
    monkeypatch.setattr(lookup, "LOOKUPS_PER_HOUR", 3)
    me = await wechat_login(client, "journey-scraper")
    for _ in range(3):
        assert (await client.get(f"{API}/lookup/estates", params={"q": "限流"}, headers=bearer(me))).status_code == 200
    r = await client.get(f"{API}/lookup/estates", params={"q": "限流"}, headers=bearer(me))
    assert r.status_code == 429 and r.json()["error"]["code"] == "lookup_rate_limited" and r.headers["retry-after"]
    fresh = await wechat_login(client, "journey-neighbour")
    assert (await client.get(f"{API}/lookup/estates", params={"q": "限流"}, headers=bearer(fresh))).status_code == 200
    missing = await client.get(f"{API}/lookup/estates/{uuid.uuid4()}/buildings", headers=bearer(fresh))
    assert missing.status_code == 404
    assert (await client.get(f"{API}/lookup/estates", params={"q": "限流"})).status_code == 401
