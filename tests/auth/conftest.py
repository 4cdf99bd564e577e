"""A small registry tree for the auth tests: one street with two communities, grids, units."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import db as core_db
from app.registry.models import Community, Estate, Grid, OccupantRelation, PropertyUnit, Street
from app.wechat import client as wechat_client
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
    owner: object  # the people on `unit`'s record: its owner, a co-owner and a tenant
    co_owner: object
    tenant: object


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
    people = [await f.owner(db, unit, name="张三", phone="13800138000"),
              await f.owner(db, unit, name="王芳", phone=None, relation=OccupantRelation.co_owner),
              await f.owner(db, unit, name="赵六", phone=None, relation=OccupantRelation.tenant)]
    await f.owner(db, unit2, name="孙七", phone="13800138001")
    await f.owner(db, other_unit, name="周八", phone="13800138002")
    objs = [street, community, estate, grid, other_grid, unit, unit2, other_street, other_community, other_estate,
            other_unit, *people]
    await db.commit()
    # Plain snapshots: an error answer rolls the session back and expires ORM objects, whose lazy reload
    # would then fail outside a greenlet.
    return Tree(*[SimpleNamespace(**o.model_dump()) for o in objs])


async def _fresh_wechat_client(monkeypatch) -> AsyncIterator[None]:
    """A new process-wide WeChat client, so that no token stays in memory from an earlier test."""
    monkeypatch.setattr(wechat_client, "_client", None)
    yield
    if wechat_client._client is not None:
        await wechat_client._client.aclose()


@pytest.fixture
async def app(app, db, monkeypatch):
    """The shared test app, with the WeChat token cache kept inside the test's transaction.

    In production the cache is written on a connection of its own and committed at once. Here that
    would commit rows past the test's rollback (PostgreSQL); a SAVEPOINT of the test session stands in
    for it, on SQLite too, so that the database cache is exercised on both.
    """

    @asynccontextmanager
    async def _in_test_transaction() -> AsyncIterator[AsyncSession]:
        async with db.begin_nested():
            yield db

    monkeypatch.setattr(wechat_client, "token_sessions", _in_test_transaction)
    async for _ in _fresh_wechat_client(monkeypatch):
        yield app


async def staff_headers(db, *roles, **kw) -> dict[str, str]:
    """Headers of a new user holding ``roles``, who accepted the privacy notice, committed so that later
    error answers keep it."""
    u = await f.user(db, *roles, **kw)
    await f.consent(db, u)
    h = await f.headers(db, u)
    await db.commit()
    return h


async def wechat_login(client, code: str, consent: bool = True) -> dict:
    """A resident logged in through WeChat who - unless ``consent`` is false - accepted the privacy notice
    in force for ``service``, as the mini-program asks before binding a unit or a phone."""
    r = await client.post(f"{API}/auth/wechat/login", json={"code": code})
    assert r.status_code == 200, r.text
    if consent:
        await accept_notice(client, r.json())
    return r.json()


async def accept_notice(client, tokens: dict, *purposes: str) -> None:
    version = (await client.get(f"{API}/privacy")).json()["version"]
    r = await client.post(f"{API}/me/consents", headers=bearer(tokens),
                          json={"notice_version": version, "purposes": list(purposes or ["service"])})
    assert r.status_code == 200, r.text


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


# ---- a live application on its own database, for real concurrent transactions ------------------------
#
# The ``client`` fixture runs every request inside the test's one transaction, which serialises them. The
# races below need requests that each commit their own transaction, as in production: a separate
# database, migrated once per test session, and an app with no session override.

@dataclass
class Live:
    client: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]


@pytest.fixture
async def live(live_app, monkeypatch) -> AsyncIterator[Live]:
    """An app whose requests use real, separately committed transactions on the live database."""
    fresh = _fresh_wechat_client(monkeypatch)
    await anext(fresh)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://live") as c:
            yield Live(c, core_db.get_sessionmaker())
    finally:
        await anext(fresh, None)
