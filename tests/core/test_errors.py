"""Every error answers in the docs/api.md shape, in Chinese by default and English on request."""

import httpx
import pytest
from pydantic import BaseModel

from app.core.errors import CATALOGUE, INTERNAL_ERROR, AppError, ErrorCode, define, responses
from app.residency.errors import BINDING_EXISTS, BINDING_TARGET_REQUIRED


class Payload(BaseModel):
    count: int


@pytest.fixture
async def probe(app):
    @app.get("/probe/app-error")
    async def probe_app_error():
        raise BINDING_EXISTS(details={"unit_id": "x"})

    @app.post("/probe/validate")
    async def probe_validate(payload: Payload):
        return payload

    @app.get("/probe/crash")
    async def probe_crash():
        raise RuntimeError("secret internals: password=hunter2")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_app_error_shape_in_chinese_by_default(probe):
    r = await probe.get("/probe/app-error")
    assert r.status_code == 409
    assert r.json() == {"error": {"code": "binding_exists", "message": BINDING_EXISTS.zh,
                                  "details": {"unit_id": "x"}}}


async def test_english_on_accept_language_en(probe):
    r = await probe.get("/probe/app-error", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert r.json()["error"]["message"] == BINDING_EXISTS.en


async def test_validation_error_uses_the_shape(probe):
    r = await probe.post("/probe/validate", json={"count": "many"})
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["code"] == "validation_error" and body["message"] == "请求参数有误"
    assert body["details"][0]["loc"] == ["body", "count"]


async def test_unknown_route_and_method(probe):
    r = await probe.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await probe.delete("/probe/validate")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


async def test_crash_answers_500_without_traceback_and_with_request_id(probe):
    r = await probe.get("/probe/crash", headers={"X-Request-ID": "req-42"})
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal_error", "message": INTERNAL_ERROR.zh, "details": None}}
    assert "hunter2" not in r.text and "Traceback" not in r.text
    assert r.headers["x-request-id"] == "req-42"


async def test_request_id_generated_when_missing_or_unsafe(probe):
    r = await probe.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert r.headers["x-request-id"] != "bad id\nwith newline" and len(r.headers["x-request-id"]) == 32


def test_unknown_code_is_a_programming_error():
    with pytest.raises(KeyError):
        AppError("no_such_code")


def test_every_message_has_both_languages():
    import app.main  # noqa: F401  (every domain registers its codes)

    assert len(CATALOGUE) > 40
    for code, entry in CATALOGUE.items():
        assert entry.code == code and entry.zh and entry.en and entry.zh != entry.en, code
        assert 400 <= entry.status <= 599


def test_a_code_registered_twice_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        define("binding_exists", 409, "重复", "duplicate")
    assert CATALOGUE["binding_exists"] is BINDING_EXISTS


def test_an_error_code_raises_with_its_own_status():
    error = BINDING_EXISTS(details={"a": 1}, headers={"X": "1"})
    assert isinstance(error, AppError)
    assert (error.code, error.status, error.details, error.headers) == ("binding_exists", 409, {"a": 1}, {"X": "1"})
    assert AppError("binding_exists").status == 409


def test_responses_document_codes_under_their_status():
    other = ErrorCode("other_conflict", 409, "另一冲突", "Another conflict")  # not registered: docs only
    documented = responses(404, BINDING_EXISTS, other)
    assert set(documented) == {404, 409}
    # A status alone stands for its generic code; the codes travel to the document's enum (typed_errors).
    assert documented[404]["x-error-codes"] == ["not_found"]
    assert documented[404]["description"] == "Not Found. Error codes:\n- `not_found`: Not found (资源不存在)"
    assert documented[409]["x-error-codes"] == ["binding_exists", "other_conflict"]
    assert responses(422, BINDING_TARGET_REQUIRED)[422]["x-error-codes"] == ["binding_target_required",
                                                                              "validation_error"]
    description = documented[409]["description"]
    assert description.startswith("Conflict. Error codes:")
    assert "- `binding_exists`: You already asked to bind this unit (已提交过该房屋的绑定申请)" in description
    assert description.index("binding_exists") < description.index("other_conflict")


async def test_routes_document_their_domain_codes(client):
    spec = (await client.get("/openapi.json")).json()
    transition = spec["paths"]["/api/v1/projects/{project_id}/transitions"]["post"]["responses"]
    assert "`transition_not_allowed`" in transition["409"]["description"]


async def test_concurrent_duplicate_create_is_a_409_not_a_500(app, db):
    """The unique constraint is the last word when two creates race past the services' own checks."""
    from sqlalchemy.exc import IntegrityError

    @app.get("/probe/integrity")
    async def probe_integrity():
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key"))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        r = await c.get("/probe/integrity")
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert "INSERT" not in r.text


async def test_nul_character_never_yields_a_500(client, db):
    from app.auth.roles import Role
    from tests import factories

    admin = await factories.user(db, (Role.admin, None))
    r = await client.post("/api/v1/streets", json={"district": "a\u0000b", "name": "x"},
                          headers=await factories.headers(db, admin))
    # SQLite stores NUL, PostgreSQL refuses it; either way the client gets an answer, not a crash.
    assert r.status_code in (201, 422), r.text
