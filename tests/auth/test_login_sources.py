"""Failed logins per source address (the shared throttle): one address trying many staff phones, or many
WeChat codes, is stopped for a while with 429 ``login_throttled`` and ``Retry-After``, audited with the
address and never the phone tried; other addresses are not affected."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from sqlmodel import select

from app.core import clock
from app.core.config import get_settings
from app.core.models import AuditEntry
from tests import factories as f
from tests.auth.conftest import API

PASSWORD = "long enough"


@asynccontextmanager
async def _from(app, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_many_staff_phones_from_one_address_are_stopped(app, db):
    limit = get_settings().login_source_max_failures
    await f.user(db, password=PASSWORD, phone="13500000900")
    start = clock.now()
    async with _from(app, "203.0.113.7") as attacker, _from(app, "198.51.100.2") as colleague:
        with clock.freeze(start):
            for i in range(limit):
                r = await attacker.post(f"{API}/auth/login", json={"phone": f"135000{i:05d}", "password": "guess"})
                assert r.status_code == 401, (i, r.text)
            r = await attacker.post(f"{API}/auth/login", json={"phone": "13500000900", "password": PASSWORD})
            assert r.status_code == 429 and r.json()["error"]["code"] == "login_throttled"
            window = get_settings().login_source_window_seconds
            assert r.headers["Retry-After"] == str(window)
            assert r.json()["error"]["details"] == {"retry_after_seconds": window}
            assert "该网络登录失败次数过多" in r.json()["error"]["message"]
            # Another address logs in as usual.
            assert (await colleague.post(f"{API}/auth/login",
                                         json={"phone": "13500000900", "password": PASSWORD})).status_code == 200
        with clock.freeze(start + timedelta(seconds=get_settings().login_source_window_seconds + 1)):
            r = await attacker.post(f"{API}/auth/login", json={"phone": "13500000900", "password": PASSWORD})
            assert r.status_code == 200
    [entry] = (await db.exec(select(AuditEntry).where(AuditEntry.action == "login.throttled"))).all()
    assert (entry.entity_type, entry.entity_id) == ("login_source", "203.0.113.7")
    assert entry.after == {"channel": "password", "failures": limit, "window_seconds": window}
    assert "135000" not in str(entry.after)


async def test_many_refused_wechat_codes_from_one_address_are_stopped(app, db):
    limit = get_settings().login_source_max_failures
    async with _from(app, "203.0.113.8") as attacker, _from(app, "198.51.100.3") as resident:
        for _ in range(limit):
            r = await attacker.post(f"{API}/auth/wechat/login", json={"code": "invalid"})
            assert r.status_code == 400 and r.json()["error"]["code"] == "wechat_code_invalid"
        r = await attacker.post(f"{API}/auth/wechat/login", json={"code": "a-good-code"})
        assert r.status_code == 429 and r.json()["error"]["code"] == "login_throttled" and r.headers["Retry-After"]
        assert (await resident.post(f"{API}/auth/wechat/login", json={"code": "a-good-code"})).status_code == 200
    # Successful logins never count.
    async with _from(app, "203.0.113.9") as busy:
        for i in range(limit + 5):
            assert (await busy.post(f"{API}/auth/wechat/login", json={"code": f"resident-{i}"})).status_code == 200
