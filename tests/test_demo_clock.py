"""The demo's clock: off unless APP_DEMO_CLOCK (then POST /demo/clock moves the server's time, admins
only), never in production; freeze (tests) still wins; no test leaks an offset (tests/conftest.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from app.auth.roles import Role
from app.core import clock
from app.core.config import Settings, get_settings
from tests import factories as f

API = "/api/v1"
STRONG = "k" * 40


@pytest.fixture
def demo_clock_on(monkeypatch):
    monkeypatch.setattr(get_settings(), "demo_clock", True)


@pytest.fixture
async def demo_client(demo_clock_on, client):
    """A client of an app created with the demo clock on."""
    return client


def test_advance_moves_now_and_freeze_still_wins():
    before = clock.now()
    assert clock.offset() == timedelta(0)
    assert clock.advance(timedelta(days=8)) == timedelta(days=8) == clock.offset()
    assert clock.now() - before >= timedelta(days=8)
    at = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    with clock.freeze(at):
        assert clock.now() == at
    with pytest.raises(ValueError):
        clock.advance(timedelta(days=-1))
    clock.reset_offset()
    assert clock.now() - before < timedelta(days=1)


async def test_the_route_is_absent_unless_the_setting_is_on(client, db):
    assert get_settings().demo_clock is False
    admin = await f.user(db, (Role.admin, None))
    h = await f.headers(db, admin)
    assert (await client.post(f"{API}/demo/clock", json={"days": 8}, headers=h)).status_code == 404
    assert (await client.get(f"{API}/demo/clock", headers=h)).status_code == 404
    assert clock.offset() == timedelta(0)


async def test_an_admin_moves_the_clock_forward(demo_client, db):
    admin = await f.user(db, (Role.admin, None))
    h = await f.headers(db, admin)
    before = clock.now()
    r = await demo_client.post(f"{API}/demo/clock", json={"days": 8}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["offset_days"] == 8
    assert clock.offset() == timedelta(days=8) and clock.now() - before >= timedelta(days=8)
    assert datetime.fromisoformat(r.json()["now"]) - before >= timedelta(days=8)

    # Tokens expire by the moved clock: the admin logs in again to read it.
    assert (await demo_client.get(f"{API}/demo/clock", headers=h)).json()["error"]["code"] == "token_expired"
    r = await demo_client.get(f"{API}/demo/clock", headers=await f.headers(db, admin))
    assert r.status_code == 200 and r.json()["offset_days"] == 8

    r = await demo_client.post(f"{API}/demo/clock", json={"days": 2}, headers=await f.headers(db, admin))
    assert r.json()["offset_days"] == 10
    audit = await demo_client.get(f"{API}/audit", params={"entity_type": "demo_clock"},
                                  headers=await f.headers(db, admin))
    assert [e["after"]["offset_days"] for e in audit.json()["items"]] == [10, 8]
    # Kept in the database, where the worker - and this service after a restart - take it up again.
    from app.core import demo_clock

    clock.reset_offset()
    assert await demo_clock.follow(db) == timedelta(days=10) == clock.offset()


@pytest.mark.parametrize("days", [0, 61, -1, "soon"])
async def test_days_are_between_1_and_60(demo_client, db, days):
    h = await f.headers(db, await f.user(db, (Role.admin, None)))
    r = await demo_client.post(f"{API}/demo/clock", json={"days": days}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    assert clock.offset() == timedelta(0)


async def test_only_an_admin_moves_it(demo_client, db, world):
    for role in ("street_staff", "community_staff", "grid_worker", "supervisor", "contractor", "committee_member",
                 "resident"):
        h = await world.headers_for(db, role)
        r = await demo_client.post(f"{API}/demo/clock", json={"days": 8}, headers=h)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden"), role
        assert (await demo_client.get(f"{API}/demo/clock", headers=h)).json()["offset_days"] == 0
    r = await demo_client.post(f"{API}/demo/clock", json={"days": 8})
    assert (r.status_code, r.json()["error"]["code"]) == (401, "not_authenticated")
    assert (await demo_client.get(f"{API}/demo/clock")).status_code == 401
    assert clock.offset() == timedelta(0)


def test_production_refuses_the_demo_clock():
    prod = {"env": "prod", "public_base_url": "https://gaizao.example.cn", "jwt_secret": STRONG, "audit_key": "a" * 40,
            "wechat_app_secret": "real-secret", "database_url": "postgresql+asyncpg://app:pw@db:5432/app"}
    with pytest.raises(ValidationError, match="APP_DEMO_CLOCK"):
        Settings(_env_file=None, **prod, demo_clock=True)
    assert Settings(_env_file=None, **prod).demo_clock is False
    assert Settings(_env_file=None, env="dev", demo_clock=True).demo_clock is True
