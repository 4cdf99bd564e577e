"""Every registry change leaves one audit entry with the acting user; an import leaves one in all."""

import pytest
from sqlmodel import select

from app.auth.roles import Role
from app.core import audit
from app.core.models import AuditEntry
from tests import factories as f
from tests.fixtures import DEMO_LEDGER

API = "/api/v1"


async def _entries(db, actor_id) -> list[AuditEntry]:
    return list((await db.exec(select(AuditEntry).where(AuditEntry.actor_id == actor_id).order_by(AuditEntry.id))).all())


async def test_every_registry_change_is_audited_once_with_its_actor(client, db):
    admin = await f.user(db, (Role.admin, None))
    headers = await f.headers(db, admin)
    admin_id = admin.id
    await db.commit()

    async def post(url, body, status=201):
        r = await client.post(f"{API}{url}", headers=headers, json=body)
        assert r.status_code == status, r.text
        return r.json()

    street = await post("/streets", {"district": "审计区", "name": "审计街道"})
    community = await post("/communities", {"street_id": street["id"], "name": "审计社区"})
    estate = await post("/estates", {"community_id": community["id"], "name": "审计小区"})
    grid = await post("/grids", {"community_id": community["id"], "name": "审计网格"})
    building = await post(f"/estates/{estate['id']}/buildings", {"name": "审计楼"})
    entrance = await post(f"/buildings/{building['id']}/entrances", {"name": "1单元"})
    unit = await post(f"/buildings/{building['id']}/units",
                      {"entrance_id": entrance["id"], "floor": 1, "room_number": "101", "area": "50.00"})
    organization = await post("/organizations", {"name": "审计施工单位", "kind": "contractor"})
    r = await client.patch(f"{API}/units/{unit['id']}", headers=headers,
                           json={"area": "55.50", "occupants": [{"name": "张三", "phone": "13800138000", "relation": "owner"}]})
    assert r.status_code == 200, r.text
    r = await client.put(f"{API}/grids/{grid['id']}/buildings", headers=headers, json={"building_ids": [building["id"]]})
    assert r.status_code == 200, r.text
    r = await client.post(f"{API}/estates/{estate['id']}/registry-imports", headers=headers,
                          files={"file": ("台账.csv", DEMO_LEDGER.read_bytes(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 84

    entries = await _entries(db, admin_id)
    assert [(e.action, e.entity_type, e.entity_id) for e in entries] == [
        ("street.create", "street", street["id"]),
        ("community.create", "community", community["id"]),
        ("estate.create", "estate", estate["id"]),
        ("grid.create", "grid", grid["id"]),
        ("building.create", "building", building["id"]),
        ("entrance.create", "entrance", entrance["id"]),
        ("unit.create", "unit", unit["id"]),
        ("organization.create", "organization", organization["id"]),
        ("unit.update", "unit", unit["id"]),
        ("grid.buildings_set", "grid", grid["id"]),
        ("registry.import", "estate", estate["id"]),  # one entry for 84 rows
    ]
    by_action = {e.action: e for e in entries}
    assert by_action["street.create"].after["name"] == "审计街道" and by_action["street.create"].before is None
    assert {str(by_action[a].estate_id) for a in ("estate.create", "building.create", "unit.update")} == {estate["id"]}
    update = by_action["unit.update"]
    assert (update.before["area_centi"], update.after["area_centi"]) == (5000, 5550)
    assert update.before["occupants"] == [] and [o["relation"] for o in update.after["occupants"]] == ["owner"]
    assert by_action["grid.buildings_set"].after == {"building_ids": [building["id"]]}
    assert by_action["registry.import"].after == {
        "created": 84, "updated": 0, "unchanged": 0, "errors": 0, "filename": "台账.csv"
    }
    assert (await audit.verify(db)).ok


@pytest.mark.parametrize("what", ["street", "community", "estate", "grid", "building", "entrance", "organization"])
async def test_duplicate_names_answer_409_and_leave_no_entry(client, db, what):
    admin = await f.user(db, (Role.admin, None))
    headers = await f.headers(db, admin)
    admin_id = admin.id
    estate = await f.estate(db)
    building = await f.building(db, estate.id)
    await db.commit()
    url, body = {
        "street": ("/streets", {"district": "重名区", "name": "重名街道"}),
        "community": ("/communities", {"street_id": None, "name": "重名社区"}),
        "estate": ("/estates", {"community_id": str(estate.community_id), "name": "重名小区"}),
        "grid": ("/grids", {"community_id": str(estate.community_id), "name": "重名网格"}),
        "building": (f"/estates/{estate.id}/buildings", {"name": "重名楼"}),
        "entrance": (f"/buildings/{building.id}/entrances", {"name": "重名单元"}),
        "organization": ("/organizations", {"name": "重名单位", "kind": "other"}),
    }[what]
    if what == "community":
        body["street_id"] = str((await f.street(db)).id)
        await db.commit()
    assert (await client.post(f"{API}{url}", headers=headers, json=body)).status_code == 201
    r = await client.post(f"{API}{url}", headers=headers, json=body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_name"
    assert len(await _entries(db, admin_id)) == 1
