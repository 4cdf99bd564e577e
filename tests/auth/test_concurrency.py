"""Races between requests that each commit their own transaction, on a live app (PostgreSQL or SQLite).

SQLite serialises writers, PostgreSQL runs these truly concurrently; the outcome must hold on both.
"""

import asyncio
import random
from collections import Counter
from datetime import timedelta

from sqlmodel import delete, select

from app.auth.models import User
from app.core import clock
from app.core.config import get_settings
from app.residency.models import BindingStatus, InviteCode, UnitBinding
from app.residency.service import new_invite_code
from app.wechat import fake
from app.wechat.client import WechatClient
from app.wechat.models import WechatAccessToken
from tests import factories as f
from tests.auth.conftest import API, accept_notice, bearer
from tests.conftest import TEST_DATABASE_URL

PASSWORD = "correct horse"


def _phone() -> str:
    return f"139{random.randrange(10**8):08d}"


async def test_concurrent_wrong_passwords_each_count_towards_the_lock(live):
    async with live.sessions() as s:
        user_id = (await f.user(s, password=PASSWORD, phone=(phone := _phone()))).id
        await s.commit()

    answers = await asyncio.gather(
        *[live.client.post(f"{API}/auth/login", json={"phone": phone, "password": "wrong password"}) for _ in range(30)]
    )
    statuses = Counter(r.status_code for r in answers)
    assert set(statuses) <= {401, 429}, [r.text for r in answers if r.status_code not in (401, 429)]
    async with live.sessions() as s:
        user = await s.get(User, user_id)
    # Every refusal that checked the password was counted (the others met the lock and checked nothing).
    assert user.failed_logins == statuses[401] >= get_settings().login_max_failures
    assert user.locked_until is not None and user.locked_until > clock.now()
    r = await live.client.post(f"{API}/auth/login", json={"phone": phone, "password": PASSWORD})
    assert r.status_code == 429 and r.json()["error"]["code"] == "account_locked"


async def _unit(s):
    est = await f.estate(s)
    return await f.unit(s, await f.entrance(s, (await f.building(s, est.id)).id), est.id)


async def test_concurrent_redemptions_of_one_invite_code_bind_one_user(live):
    async with live.sessions() as s:
        unit = await _unit(s)
        owner = await f.owner(s, unit)
        code = new_invite_code()
        s.add(InviteCode(code=code, unit_id=unit.id, person_id=owner.id, expires_at=clock.now() + timedelta(days=1)))
        unit_id = unit.id
        await s.commit()
    logins = []
    for i in range(10):
        r = await live.client.post(f"{API}/auth/wechat/login", json={"code": f"race-{code}-{i}"})
        assert r.status_code == 200, r.text
        await accept_notice(live.client, r.json())
        logins.append(r.json())

    answers = await asyncio.gather(
        *[live.client.post(f"{API}/me/unit-bindings", json={"invite_code": code}, headers=bearer(t)) for t in logins]
    )
    statuses = Counter(r.status_code for r in answers)
    assert statuses == {201: 1, 400: 9}, [r.text for r in answers]
    assert all(r.json()["error"]["code"] == "invite_code_invalid" for r in answers if r.status_code == 400)
    async with live.sessions() as s:
        bound = (await s.exec(select(UnitBinding).where(UnitBinding.unit_id == unit_id))).all()
        invite = (await s.exec(select(InviteCode).where(InviteCode.code == code))).one()
    assert [b.status for b in bound] == [BindingStatus.approved]
    assert invite.used_by == bound[0].user_id


async def test_cached_access_token_survives_failed_requests(live):
    async with live.sessions() as s:
        await s.exec(delete(WechatAccessToken))
        await s.commit()
    me = (await live.client.post(f"{API}/auth/wechat/login", json={"code": "token-cache"})).json()
    await accept_notice(live.client, me)
    for _ in range(3):
        r = await live.client.post(f"{API}/me/phone", json={"code": "invalid"}, headers=bearer(me))
        assert r.status_code == 400 and r.json()["error"]["code"] == "wechat_code_invalid"
    r = await live.client.post(f"{API}/me/phone", json={"code": f"phone:{_phone()}"}, headers=bearer(me))
    assert r.status_code == 200, r.text
    # The token fetched by the first request was kept although that request's transaction rolled back.
    assert _token_fetches() == 1
    if TEST_DATABASE_URL.startswith("sqlite"):
        return  # one process, memory is the cache: nothing is shared through the database
    # Another process finds it in the database, committed.
    async with live.sessions() as s:
        stored = await s.get(WechatAccessToken, get_settings().wechat_app_id)
    other_process = WechatClient(get_settings())
    try:
        assert await other_process.access_token() == stored.access_token
    finally:
        await other_process.aclose()
    assert _token_fetches() == 1


def _token_fetches() -> int:
    return sum(1 for x in fake.state.requests if x["path"] == "/cgi-bin/token")
