"""The grid worker's roster: every unit of the grid in pages, with its people and bound accounts."""

import uuid

from sqlmodel import func, select

from app.auth.models import User
from app.demo import _seed
from app.registry.models import Building, Grid, PropertyUnit
from tests import factories as f

API = "/api/v1"


async def _walk(client, url, headers, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = (await client.get(url, params={"limit": 20, **params, **({"cursor": cursor} if cursor else {})},
                                 headers=headers)).json()
        items += page["items"]
        if not (cursor := page["next_cursor"]):
            return items


async def test_the_demo_grid_roster_in_pages_with_the_unbound_filter(client, db):
    await _seed(db)
    grid = (await db.exec(select(Grid).where(Grid.name == "官黎坪第一网格"))).one()
    expected = (await db.exec(select(func.count()).select_from(PropertyUnit)
                              .join(Building, Building.id == PropertyUnit.building_id)
                              .where(Building.grid_id == grid.id))).one()
    worker = (await db.exec(select(User).where(User.phone == "13900000004"))).one()
    wh = await f.headers(db, worker)
    url = f"{API}/grids/{grid.id}/roster"

    roster = await _walk(client, url, wh)
    assert len(roster) == expected == len({u["unit_id"] for u in roster}) > 20  # several pages, none twice
    assert {u["building_name"] for u in roster} == {"1栋", "2栋"}
    first = next(u for u in roster if (u["building_name"], u["entrance_name"], u["room_number"]) == ("1栋", "1单元", "101"))
    assert [(p["name"], p["phone"], p["relation"]) for p in first["occupants"]] == [("黄军强", "13184986729", "owner")]
    assert all(u["bound_accounts"] == 0 and not u["owner_bound"] for u in roster)

    # Two bindings: an owner of 101 and a tenant of another unit.
    owner = await f.user(db)
    await f.bind(db, owner, await db.get(PropertyUnit, uuid.UUID(first["unit_id"])))
    other = roster[1]
    from app.auth.residence import BindingRelation

    await f.bind(db, await f.user(db), await db.get(PropertyUnit, uuid.UUID(other["unit_id"])), relation=BindingRelation.tenant)
    bound = {u["unit_id"]: u for u in await _walk(client, url, wh)}
    assert (bound[first["unit_id"]]["bound_accounts"], bound[first["unit_id"]]["owner_bound"]) == (1, True)
    assert (bound[other["unit_id"]]["bound_accounts"], bound[other["unit_id"]]["owner_bound"]) == (1, False)
    unbound = await _walk(client, url, wh, unbound="true")
    assert len(unbound) == expected - 2 and {first["unit_id"], other["unit_id"]}.isdisjoint(u["unit_id"] for u in unbound)

    by_name = await _walk(client, url, wh, q="黄军强")
    assert [u["unit_id"] for u in by_name] == [first["unit_id"]]
    by_room = await _walk(client, url, wh, q="101")
    assert first["unit_id"] in {u["unit_id"] for u in by_room}


async def test_the_roster_is_the_grids_own(client, db, world):
    url = f"{API}/grids/{world.a.grid_id}/roster"
    for variant, status in (("grid_worker:in", 200), ("community_staff:in", 200), ("grid_worker:out", 404),
                            ("committee_member:in", 404), ("resident:in", 404), ("community_staff:out", 404)):
        r = await client.get(url, headers=await world.headers_for(db, variant))
        assert r.status_code == status, (variant, r.text)
