"""Idempotency-Key: replay, 422 on another payload, 409 while in flight, per user, 24 h, race-safe."""

import asyncio
from datetime import timedelta

import httpx
from sqlmodel import func, select

from app.auth.roles import Role
from app.core import clock
from app.core.idempotency import fingerprint
from app.core.models import IdempotencyRecord
from app.registry.models import Street
from tests import factories


def test_fingerprint_ignores_json_key_order_and_whitespace():
    a = fingerprint("POST", "/x", b"", "application/json", b'{"a": 1, "b": [1, 2]}')
    b = fingerprint("POST", "/x", b"", "application/json", b'{"b":[1,2],"a":1}')
    assert a == b
    assert a != fingerprint("POST", "/x", b"", "application/json", b'{"a": 2, "b": [1, 2]}')
    assert a != fingerprint("POST", "/y", b"", "application/json", b'{"a": 1, "b": [1, 2]}')
    assert a != fingerprint("POST", "/x", b"q=1", "application/json", b'{"a": 1, "b": [1, 2]}')


def test_fingerprint_ignores_the_multipart_boundary_but_not_the_content():
    def body(boundary: bytes, content: bytes) -> tuple[str, bytes]:
        return (f"multipart/form-data; boundary={boundary.decode()}",
                b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + content
                + b"\r\n--" + boundary + b"--\r\n")

    first, second, other = body(b"aaa111", b"PNGDATA"), body(b"zzz999", b"PNGDATA"), body(b"aaa111", b"OTHER")
    assert fingerprint("POST", "/f", b"", *first) == fingerprint("POST", "/f", b"", *second)
    assert fingerprint("POST", "/f", b"", *first) != fingerprint("POST", "/f", b"", *other)


async def _admin(db):
    return await factories.headers(db, await factories.user(db, (Role.admin, None)))


async def _streets(db, name):
    return (await db.exec(select(func.count()).select_from(Street).where(Street.name == name))).one()


async def test_same_key_and_payload_replays_the_first_response(client, db):
    headers = {**await _admin(db), "Idempotency-Key": "create-street-1"}
    body = {"district": "幂等区", "name": "重放街道"}
    first = await client.post("/api/v1/streets", json=body, headers=headers)
    second = await client.post("/api/v1/streets", json=dict(reversed(body.items())), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _streets(db, "重放街道") == 1


async def test_same_key_other_payload_is_a_422(client, db):
    headers = {**await _admin(db), "Idempotency-Key": "k-422"}
    assert (await client.post("/api/v1/streets", json={"district": "幂等区", "name": "甲"}, headers=headers)).status_code == 201
    r = await client.post("/api/v1/streets", json={"district": "幂等区", "name": "乙"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key_reused"
    assert await _streets(db, "乙") == 0


async def test_request_still_in_flight_is_a_409(client, db):
    admin = await factories.user(db, (Role.admin, None))
    headers = {**await factories.headers(db, admin), "Idempotency-Key": "k-409"}
    body = '{"district":"幂等区","name":"进行中"}'.encode()
    db.add(IdempotencyRecord(user_id=admin.id, key="k-409", expires_at=clock.now() + timedelta(hours=1),
                             locked_until=clock.now() + timedelta(minutes=5),
                             fingerprint=fingerprint("POST", "/api/v1/streets", b"", "application/json", body)))
    await db.flush()
    r = await client.post("/api/v1/streets", content=body, headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_in_flight"


async def test_keys_are_scoped_to_the_user(client, db):
    body = {"district": "幂等区", "name": "每人一次"}
    a = await client.post("/api/v1/streets", json=body, headers={**await _admin(db), "Idempotency-Key": "shared"})
    b = await client.post("/api/v1/streets", json={**body, "name": "另一人"},
                          headers={**await _admin(db), "Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


async def test_an_error_answer_is_replayed_too(client, db):
    headers = {**await _admin(db), "Idempotency-Key": "k-err"}
    bad = {"district": "", "name": ""}
    first = await client.post("/api/v1/streets", json=bad, headers=headers)
    second = await client.post("/api/v1/streets", json=bad, headers=headers)
    assert first.status_code == 422 and second.status_code == 422 and second.headers["idempotent-replayed"] == "true"


async def _record(db, key):
    return (await db.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == key))).first()


async def test_a_5xx_rolls_back_the_writes_and_releases_the_key(app, db):
    from app.core.db import SessionDep

    @app.post("/api/v1/probe/half-done")
    async def probe_half_done(session: SessionDep):
        await factories.street(session, district="幂等区", name="半途")
        raise RuntimeError("crash after a write")

    headers = {**await _admin(db), "Idempotency-Key": "k-500"}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.post("/api/v1/probe/half-done", json={}, headers=headers)
    assert r.status_code == 500
    assert await _streets(db, "半途") == 0 and await _record(db, "k-500") is None  # a retry may run again


async def test_a_retry_takes_over_a_key_whose_request_died(client, db):
    admin = await factories.user(db, (Role.admin, None))
    headers = {**await factories.headers(db, admin), "Idempotency-Key": "k-dead"}
    body = '{"district":"幂等区","name":"接管"}'.encode()
    db.add(IdempotencyRecord(user_id=admin.id, key="k-dead", expires_at=clock.now() + timedelta(hours=23),
                             locked_until=clock.now() - timedelta(seconds=1),  # its process died long ago
                             fingerprint=fingerprint("POST", "/api/v1/streets", b"", "application/json", body)))
    await db.flush()
    r = await client.post("/api/v1/streets", content=body, headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 201 and await _streets(db, "接管") == 1
    record = await _record(db, "k-dead")
    assert record.completed and record.response_status == 201


async def test_a_request_whose_lease_was_taken_over_cannot_commit(app, client, db):
    """While it ran, its lease passed and a retry took the key: its writes must not land twice."""
    from app.core.db import SessionDep

    @app.post("/api/v1/probe/slow-create")
    async def probe_slow_create(session: SessionDep):
        await factories.street(session, district="幂等区", name="慢请求")
        record = await _record(session, "k-slow")
        record.locked_until = clock.now() + timedelta(minutes=9)  # what a retry's takeover writes
        session.add(record)
        await session.flush()
        return {"ok": True}

    headers = {**await _admin(db), "Idempotency-Key": "k-slow"}
    r = await client.post("/api/v1/probe/slow-create", json={}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_in_flight"
    assert await _streets(db, "慢请求") == 0


async def test_nothing_runs_when_the_client_disconnects_mid_body(app, db):
    from app.core.idempotency import IdempotencyMiddleware

    calls = []

    async def inner(scope, receive, send):
        calls.append(scope["path"])

    messages = iter([{"type": "http.request", "body": b'{"district":', "more_body": True},
                     {"type": "http.disconnect"}])
    admin = await factories.user(db, (Role.admin, None))
    token = (await factories.headers(db, admin))["Authorization"].encode()
    scope = {"type": "http", "method": "POST", "path": "/api/v1/streets", "query_string": b"",
             "headers": [(b"authorization", token), (b"idempotency-key", b"k-gone"),
                         (b"content-type", b"application/json")]}
    sent = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    await IdempotencyMiddleware(inner)(scope, receive, send)
    assert calls == [] and sent == [] and await _record(db, "k-gone") is None


async def test_expired_key_runs_again(client, db):
    headers = {**await _admin(db), "Idempotency-Key": "k-exp"}
    assert (await client.post("/api/v1/streets", json={"district": "幂等区", "name": "过期一"}, headers=headers)).status_code == 201
    record = (await db.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "k-exp"))).one()
    assert record.expires_at - record.created_at == timedelta(hours=24)
    record.expires_at = clock.now() - timedelta(seconds=1)  # 24 h later
    db.add(record)
    await db.flush()
    r = await client.post("/api/v1/streets", json={"district": "幂等区", "name": "过期二"}, headers=headers)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers


async def test_malformed_key_is_a_400_and_anonymous_requests_are_untouched(client, db):
    r = await client.post("/api/v1/streets", json={"district": "x", "name": "y"},
                          headers={**await _admin(db), "Idempotency-Key": "has space"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "idempotency_key_invalid"
    assert r.json()["error"]["message"] == "Idempotency-Key 格式无效"
    r = await client.post("/api/v1/streets", json={"district": "x", "name": "y"},
                          headers={**await _admin(db), "Idempotency-Key": "has space", "Accept-Language": "en"})
    assert r.json()["error"]["message"] == "The Idempotency-Key header is malformed"
    r = await client.post("/api/v1/auth/login", json={"phone": "13900000999", "password": "wrong-pass"},
                          headers={"Idempotency-Key": "anon"})
    assert r.status_code == 401


async def test_twenty_concurrent_identical_requests_create_exactly_one(live_app):
    """Real transactions on separate connections (PostgreSQL in CI): the unique key decides the race."""
    from app.core.db import get_sessionmaker

    async with get_sessionmaker()() as session, session.begin():
        admin = await factories.user(session, (Role.admin, None))
        headers = {**await factories.headers(session, admin), "Idempotency-Key": "race-1"}
    body = {"district": "并发区", "name": "只建一次"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        responses = await asyncio.gather(*[c.post("/api/v1/streets", json=body, headers=headers) for _ in range(20)])
        later = await c.post("/api/v1/streets", json=body, headers=headers)
    statuses = sorted(r.status_code for r in responses)
    created = [r for r in responses if r.status_code == 201]
    assert set(statuses) <= {201, 409}, statuses
    assert len({r.json()["id"] for r in created}) == 1
    async with get_sessionmaker()() as session:
        count = (await session.exec(select(func.count()).select_from(Street).where(Street.name == "只建一次"))).one()
    assert count == 1
    assert later.status_code == 201 and later.json()["id"] == created[0].json()["id"]
    assert later.headers["idempotent-replayed"] == "true"


async def test_a_route_that_fails_has_its_writes_undone_and_its_answer_stored(live_app):
    """Real transactions (the app's own session handling): a route that wrote, then refused, under a key -
    the write is not committed, the refusal is stored with the key and replayed, and nothing runs twice."""
    from app.core.db import SessionDep, get_sessionmaker
    from app.core.errors import Forbidden

    ran = []

    @live_app.post("/api/v1/probe/write-then-refuse")
    async def probe_write_then_refuse(session: SessionDep):
        ran.append(1)
        await factories.street(session, district="幂等区", name="写后拒绝")
        raise Forbidden()

    async with get_sessionmaker()() as session, session.begin():
        admin = await factories.user(session, (Role.admin, None))
        headers = {**await factories.headers(session, admin), "Idempotency-Key": "refused-1"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        first = await c.post("/api/v1/probe/write-then-refuse", json={}, headers=headers)
        second = await c.post("/api/v1/probe/write-then-refuse", json={}, headers=headers)
    assert first.status_code == 403 and "idempotent-replayed" not in first.headers
    assert second.status_code == 403 and second.headers["idempotent-replayed"] == "true" and ran == [1]
    async with get_sessionmaker()() as session:
        assert (await session.exec(select(func.count()).select_from(Street).where(Street.name == "写后拒绝"))).one() == 0
        record = (await session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "refused-1"))).one()
    assert record.completed and record.response_status == 403


async def test_the_worker_purges_expired_keys(db):
    from app import domains
    from app.core.jobs import JOBS

    domains.install()  # what the worker does at start

    user = await factories.user(db)
    now = clock.now()
    for key, expires in (("old", now - timedelta(seconds=1)), ("fresh", now + timedelta(hours=1))):
        db.add(IdempotencyRecord(user_id=user.id, key=key, fingerprint="f", expires_at=expires, locked_until=now))
    await db.flush()
    await JOBS["idempotency.purge_expired"].fn(db)
    keys = (await db.exec(select(IdempotencyRecord.key).where(IdempotencyRecord.user_id == user.id))).all()
    assert keys == ["fresh"]


async def test_a_replay_needs_a_live_login(client, db):
    """After logout the stored answer (an invitation code, say) is not handed out again."""
    from app.auth.models import AuthSession

    user = await factories.user(db, (Role.admin, None))
    headers = {**await factories.headers(db, user), "Idempotency-Key": "after-logout"}
    body = {"district": "幂等区", "name": "注销后重放"}
    first = await client.post("/api/v1/streets", json=body, headers=headers)
    assert first.status_code == 201
    login = (await db.exec(select(AuthSession).where(AuthSession.user_id == user.id))).one()
    login.revoked_at = clock.now()
    db.add(login)
    await db.flush()
    again = await client.post("/api/v1/streets", json=body, headers=headers)
    assert again.status_code == 401 and again.json()["error"]["code"] == "token_invalid"
    assert "idempotent-replayed" not in again.headers and first.json()["id"] not in again.text
