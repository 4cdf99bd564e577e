"""A small registry tree for the auth tests: one street with two communities, grids, units."""

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from app.registry.models import Community, Estate, Grid, PropertyUnit, Street
from tests import factories as f

API = "/api/v1"


@dataclass
class Tree:
    street: Street
    community: Community
    estate: Estate
    grid: Grid  # holds `unit`'s building
    other_grid: Grid  # same community, another building
    unit: PropertyUnit
    unit_other_grid: PropertyUnit
    other_street: Street
    other_community: Community  # in other_street
    other_estate: Estate
    other_unit: PropertyUnit


@pytest.fixture
async def tree(db) -> Tree:
    street = await f.street(db)
    community = await f.community(db, street.id)
    estate = await f.estate(db, community.id)
    grid = await f.grid(db, community.id)
    other_grid = await f.grid(db, community.id)
    b1 = await f.building(db, estate.id, grid.id, name="1栋")
    b2 = await f.building(db, estate.id, other_grid.id, name="2栋")
    unit = await f.unit(db, await f.entrance(db, b1.id, name="1单元"), estate.id, room_number="101")
    unit2 = await f.unit(db, await f.entrance(db, b2.id, name="1单元"), estate.id, room_number="202")
    other_street = await f.street(db)
    other_community = await f.community(db, other_street.id)
    other_estate = await f.estate(db, other_community.id)
    ob = await f.building(db, other_estate.id)
    other_unit = await f.unit(db, await f.entrance(db, ob.id), other_estate.id)
    objs = [street, community, estate, grid, other_grid, unit, unit2, other_street, other_community, other_estate,
            other_unit]
    await db.commit()
    # Plain snapshots: an error answer rolls the session back and expires ORM objects, whose lazy reload
    # would then fail outside a greenlet.
    return Tree(*[SimpleNamespace(**o.model_dump()) for o in objs])


async def staff_headers(db, *roles, **kw) -> dict[str, str]:
    """Headers of a new user holding ``roles``, committed so that later error answers keep it."""
    u = await f.user(db, *roles, **kw)
    h = await f.headers(db, u)
    await db.commit()
    return h


async def wechat_login(client, code: str) -> dict:
    r = await client.post(f"{API}/auth/wechat/login", json={"code": code})
    assert r.status_code == 200, r.text
    return r.json()


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}
