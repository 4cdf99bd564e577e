"""WeChat and password logins, lockout, token rotation and reuse detection, logout."""

from datetime import timedelta

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import select

from app.auth.models import AuthSession, User
from app.core import clock
from app.core.config import get_settings
from app.wechat import fake
from app.wechat.client import WechatClient, get_wechat
from tests import factories as f
from tests.auth.conftest import API, bearer, wechat_login

PHONE = "13900000001"
PASSWORD = "correct horse"


# ---- WeChat -----------------------------------------------------------------------------------------


async def test_wechat_login_creates_user_once_and_keeps_session_key_private(client, db):
    first = await wechat_login(client, "alice")
    assert first["token_type"] == "bearer" and first["expires_in"] == get_settings().access_token_ttl_seconds
    assert first["user"]["roles"] == []
    user = (await db.exec(select(User).where(User.wechat_openid == fake.openid_for("alice")))).one()
    assert str(user.id) == first["user"]["id"]
    key_1 = user.wechat_session_key
    assert key_1

    r = await client.post(f"{API}/auth/wechat/login", json={"code": "alice"})
    assert r.status_code == 200 and r.json()["user"]["id"] == first["user"]["id"]
    await db.refresh(user)
    assert user.wechat_session_key != key_1  # updated on each login
    for text in (r.text, (await client.get(f"{API}/me", headers=bearer(r.json()))).text):
        assert "session_key" not in text and user.wechat_session_key not in text and key_1 not in text
    assert (await client.get(f"{API}/me", headers=bearer(first))).status_code == 200


@pytest.mark.parametrize(
    "code,status,error",
    [
        ("invalid", 400, "wechat_code_invalid"),
        ("rate-limited", 429, "wechat_rate_limited"),
        ("risky", 403, "wechat_user_blocked"),
        ("busy", 503, "wechat_busy"),
        ("http-500", 503, "wechat_unavailable"),
    ],
)
async def test_wechat_login_errors(client, db, code, status, error):
    r = await client.post(f"{API}/auth/wechat/login", json={"code": code})
    assert r.status_code == status and r.json()["error"]["code"] == error
    assert (await db.exec(select(User))).all() == []


async def test_wechat_login_timeout(app, client):
    quick = WechatClient(get_settings().model_copy(update={"wechat_timeout_seconds": 0.2}))
    app.dependency_overrides[get_wechat] = lambda: quick
    try:
        r = await client.post(f"{API}/auth/wechat/login", json={"code": "slow"})
    finally:
        await quick.aclose()
    assert r.status_code == 503 and r.json()["error"]["code"] == "wechat_unavailable"


async def test_disabled_wechat_user_is_refused(client, db):
    await wechat_login(client, "carol")
    user = (await db.exec(select(User).where(User.wechat_openid == fake.openid_for("carol")))).one()
    user.is_active = False
    await db.flush()
    r = await client.post(f"{API}/auth/wechat/login", json={"code": "carol"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_disabled"


# ---- password ---------------------------------------------------------------------------------------


async def _login(client, phone=PHONE, password=PASSWORD, **kw):
    return await client.post(f"{API}/auth/login", json={"phone": phone, "password": password}, **kw)


async def test_password_login_success_and_failures(client, db, tree):
    from app.auth.roles import Role

    await f.user(db, (Role.community_staff, tree.community.id), password=PASSWORD, phone=PHONE)
    r = await _login(client)
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["roles"] == ["community_staff"]
    assert (await client.get(f"{API}/me", headers=bearer(body))).json()["has_password"] is True

    wrong = await _login(client, password="wrong password")
    unknown = await _login(client, phone="13900009999")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()  # an unknown phone is indistinguishable
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    assert wrong.json()["error"]["message"] == "手机号或密码错误"
    en = await _login(client, password="wrong password", headers={"Accept-Language": "en"})
    assert en.json()["error"]["message"] == "Wrong phone number or password"


async def test_wechat_only_user_cannot_password_login(client, db):
    await f.user(db, phone=PHONE, wechat_openid="o-someone")
    r = await _login(client)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"


async def test_disabled_staff_only_told_after_correct_password(client, db):
    await f.user(db, password=PASSWORD, phone=PHONE, is_active=False)
    assert (await _login(client, password="nope-nope")).json()["error"]["code"] == "invalid_credentials"
    r = await _login(client)
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_disabled"


async def test_lockout_persists_doubles_and_expires(client, db):
    settings = get_settings()
    user = await f.user(db, password=PASSWORD, phone=PHONE)
    start = clock.now()
    with clock.freeze(start):
        for _ in range(settings.login_max_failures):
            assert (await _login(client, password="bad password")).status_code == 401
        # The failures were committed although each answer was an error: now even the right password waits.
        r = await _login(client)
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "account_locked"
        assert r.headers["Retry-After"] == str(settings.login_lock_seconds)
        assert r.json()["error"]["details"] == {"retry_after_seconds": settings.login_lock_seconds}
    with clock.freeze(start + timedelta(seconds=settings.login_lock_seconds - 10)):
        r = await _login(client)
        assert r.status_code == 429 and r.headers["Retry-After"] == "10"
    # After the lock, one more failure locks again for twice as long.
    later = start + timedelta(seconds=settings.login_lock_seconds + 1)
    with clock.freeze(later):
        assert (await _login(client, password="bad password")).status_code == 401
        r = await _login(client)
        assert r.status_code == 429 and r.headers["Retry-After"] == str(2 * settings.login_lock_seconds)
    with clock.freeze(later + timedelta(seconds=2 * settings.login_lock_seconds + 1)):
        assert (await _login(client)).status_code == 200
    await db.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


async def test_lock_is_capped(client, db):
    settings = get_settings()
    await f.user(db, password=PASSWORD, phone=PHONE, failed_logins=40)
    r = await _login(client, password="bad password")
    assert r.status_code == 401
    r = await _login(client)
    assert r.status_code == 429 and r.headers["Retry-After"] == str(settings.login_lock_max_seconds)


async def test_successful_login_resets_failure_count(client, db):
    user = await f.user(db, password=PASSWORD, phone=PHONE)
    for _ in range(get_settings().login_max_failures - 1):
        await _login(client, password="bad password")
    assert (await _login(client)).status_code == 200
    await db.refresh(user)
    assert user.failed_logins == 0
    assert (await _login(client, password="bad password")).status_code == 401  # not locked


async def test_outdated_hash_is_replaced_on_login(client, db):
    weak = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8 * 1024, parallelism=1),))
    old_hash = weak.hash(PASSWORD)
    user = await f.user(db, phone=PHONE, password_hash=old_hash)
    assert (await _login(client)).status_code == 200
    await db.refresh(user)
    assert user.password_hash != old_hash and "m=8192" not in user.password_hash
    assert (await _login(client)).status_code == 200  # the new hash verifies


# ---- refresh and logout -----------------------------------------------------------------------------


async def _refresh(client, token):
    return await client.post(f"{API}/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates(client):
    first = await wechat_login(client, "dave")
    r = await _refresh(client, first["refresh_token"])
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"] and second["user"] == first["user"]
    assert (await client.get(f"{API}/me", headers=bearer(second))).status_code == 200
    third = await _refresh(client, second["refresh_token"])
    assert third.status_code == 200


async def test_refresh_reuse_revokes_the_whole_login(client, db):
    first = await wechat_login(client, "erin")
    second = (await _refresh(client, first["refresh_token"])).json()
    other_login = await wechat_login(client, "erin")  # another device: a separate family

    later = clock.now() + timedelta(seconds=get_settings().refresh_reuse_grace_seconds + 1)
    with clock.freeze(later):
        reused = await _refresh(client, first["refresh_token"])
        assert reused.status_code == 401 and reused.json()["error"]["code"] == "refresh_token_reused"
        # The revocation was committed despite the 401: the newest token and both access tokens are dead.
        fresh = await _refresh(client, second["refresh_token"])
        assert fresh.status_code == 401 and fresh.json()["error"]["code"] == "refresh_token_invalid"
        for tokens in (first, second):
            r = await client.get(f"{API}/me", headers=bearer(tokens))
            assert r.status_code == 401 and r.json()["error"]["code"] == "token_invalid"
        revoked = (await db.exec(select(AuthSession).where(AuthSession.revoke_reason == "reuse"))).all()
        assert len(revoked) == 1
        # The other login is untouched.
        assert (await client.get(f"{API}/me", headers=bearer(other_login))).status_code == 200
        assert (await _refresh(client, other_login["refresh_token"])).status_code == 200


async def test_concurrent_refreshes_of_one_token_within_the_grace_keep_the_login(client, db):
    """Parallel requests of one client each refresh with the same token: all get a working pair."""
    first = await wechat_login(client, "iris")
    second = await _refresh(client, first["refresh_token"])
    sibling = await _refresh(client, first["refresh_token"])  # a moment later, same token
    assert second.status_code == sibling.status_code == 200
    assert sibling.json()["refresh_token"] not in (first["refresh_token"], second.json()["refresh_token"])
    for pair in (second.json(), sibling.json()):
        assert (await client.get(f"{API}/me", headers=bearer(pair))).status_code == 200
        assert (await _refresh(client, pair["refresh_token"])).status_code == 200
    assert (await db.exec(select(AuthSession).where(AuthSession.revoke_reason == "reuse"))).all() == []


async def test_refresh_invalid_and_expired(client):
    r = await _refresh(client, "not-a-token")
    assert r.status_code == 401 and r.json()["error"]["code"] == "refresh_token_invalid"
    tokens = await wechat_login(client, "frank")
    with clock.freeze(clock.now() + timedelta(seconds=get_settings().refresh_token_ttl_seconds + 1)):
        r = await _refresh(client, tokens["refresh_token"])
    assert r.status_code == 401 and r.json()["error"]["code"] == "refresh_token_invalid"


async def test_expired_access_token_says_so_so_that_the_client_refreshes(client):
    tokens = await wechat_login(client, "gina")
    with clock.freeze(clock.now() + timedelta(seconds=get_settings().access_token_ttl_seconds + 1)):
        r = await client.get(f"{API}/me", headers=bearer(tokens))
        assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"
        assert r.headers["www-authenticate"] == "Bearer"
        refreshed = await _refresh(client, tokens["refresh_token"])
        assert (await client.get(f"{API}/me", headers=bearer(refreshed.json()))).status_code == 200


def _signed(claims: dict) -> str:
    from jose import jwt

    settings = get_settings()
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)


@pytest.mark.parametrize("exp", [1e20, 10**30, -(10**20), "soon", None])
async def test_an_undecodable_expiry_is_token_invalid_not_a_500(client, exp):
    """exp=1e20 overflowed datetime and answered 500."""
    import uuid

    claims = {"sub": str(uuid.uuid4()), "sid": str(uuid.uuid4()), "jti": str(uuid.uuid4()), "typ": "access",
              "exp": exp}
    r = await client.get(f"{API}/me", headers={"Authorization": f"Bearer {_signed(claims)}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_invalid"


async def test_logout_revokes_and_is_idempotent(client):
    tokens = await wechat_login(client, "hank")
    r = await client.post(f"{API}/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 204 and r.content == b""
    assert (await client.get(f"{API}/me", headers=bearer(tokens))).status_code == 401
    assert (await _refresh(client, tokens["refresh_token"])).json()["error"]["code"] == "refresh_token_invalid"
    again = await client.post(f"{API}/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    unknown = await client.post(f"{API}/auth/logout", json={"refresh_token": "whatever"})
    assert again.status_code == unknown.status_code == 204


async def test_english_messages(client):
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": "x"}, headers={"Accept-Language": "en"})
    assert r.json()["error"]["message"] == "The refresh token is invalid or expired"
    r = await client.get(f"{API}/me", headers={"Accept-Language": "en-US"})
    assert r.status_code == 401 and r.json()["error"]["message"] == "Authentication required"


async def test_one_phone_rule_for_logins_and_accounts(client, db, tree):
    from app.auth.roles import Role
    from tests.auth.conftest import staff_headers

    for phone in ("12345678901", "1380013800x", "+1 650 555 0100", "138001380001"):
        r = await _login(client, phone=phone)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", phone
    # A mainland number as people type it (+86, spaces, hyphens) is that number, and meets the rule.
    assert (await _login(client, phone="+86 138-0013-8000")).status_code != 422
    h = await staff_headers(db, (Role.admin, None))
    r = await client.post(f"{API}/users", json={"display_name": "x", "phone": "12345678901", "password": "long enough"},
                          headers=h)
    assert r.status_code == 422


async def test_password_hashing_runs_off_the_event_loop(client, db, tree, monkeypatch):
    import threading

    from app.auth import service, users
    from app.auth.roles import Role
    from tests.auth.conftest import staff_headers

    threads: list[str] = []

    def watch(fn):
        def wrapper(*args):
            threads.append(threading.current_thread().name)
            return fn(*args)
        return wrapper

    monkeypatch.setattr(service, "verify_password", watch(service.verify_password))
    monkeypatch.setattr(users, "hash_password", watch(users.hash_password))
    h = await staff_headers(db, (Role.admin, None))
    r = await client.post(f"{API}/users", json={"display_name": "x", "phone": PHONE, "password": PASSWORD}, headers=h)
    assert r.status_code == 201
    assert (await _login(client)).status_code == 200
    assert (await _login(client, password="wrong password")).status_code == 401
    assert len(threads) == 3 and threading.main_thread().name not in threads
