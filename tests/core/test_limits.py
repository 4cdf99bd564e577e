"""Bodies over the request limit are refused before anything reads them whole."""

import httpx
import pytest

from app.auth.roles import Role
from app.core.config import get_settings
from tests import factories


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(get_settings(), "request_max_bytes", 1000)


async def test_declared_length_over_the_limit_is_a_413(small_limit, client, db):
    headers = await factories.headers(db, await factories.user(db, (Role.admin, None)))
    r = await client.post("/api/v1/streets", content=b"x" * 5000,
                          headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    assert r.json()["error"]["details"] == {"max_bytes": 1000}


async def test_chunked_body_is_cut_off_at_the_limit_even_under_an_idempotency_key(small_limit, app, db):
    reached = []

    @app.post("/api/v1/probe/sink")
    async def probe_sink():
        reached.append(True)
        return {}

    async def chunks():
        for _ in range(50):
            yield b"y" * 100

    headers = await factories.headers(db, await factories.user(db, (Role.admin, None)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        r = await c.post("/api/v1/probe/sink", content=chunks(), headers={**headers, "Idempotency-Key": "big"})
    assert r.status_code == 413 and reached == []


async def test_bodies_under_the_limit_pass(small_limit, client, db):
    headers = await factories.headers(db, await factories.user(db, (Role.admin, None)))
    r = await client.post("/api/v1/streets", json={"district": "限额区", "name": "小请求"}, headers=headers)
    assert r.status_code == 201


async def test_a_chunked_json_body_over_the_limit_is_a_413_not_a_400(small_limit, client, db):
    """The body parser turned the cut-off into 400 "error parsing the body"; the 413 is answered first."""
    async def chunks():
        yield b'{"district": "'
        for _ in range(50):
            yield b"y" * 100
        yield b'", "name": "x"}'

    headers = await factories.headers(db, await factories.user(db, (Role.admin, None)))
    r = await client.post("/api/v1/streets", content=chunks(), headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    assert r.json()["error"]["message"] == "请求内容过大"  # a JSON body is no "upload"
    r = await client.post("/api/v1/streets", content=chunks(), headers={**headers, "Accept-Language": "en"})
    assert r.json()["error"]["message"] == "The request body is too large"
