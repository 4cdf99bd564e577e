"""The real-name provider behind its interface: the bundled fake, and the HTTP adapter's contract."""

import httpx
import pytest

from app.core.config import Settings
from app.residency.realname import FakeRealName, HttpRealName, RealNameResult, RealNameUnavailable


async def test_the_fake_passes_fails_and_times_out():
    fake = FakeRealName()
    assert await fake.verify("pass:黄军强") == RealNameResult(True, "黄军强")
    assert await fake.verify("fail") == RealNameResult(False)
    assert await fake.verify("pass:") == RealNameResult(False)
    with pytest.raises(RealNameUnavailable):
        await fake.verify("timeout")


async def test_the_http_adapter_sends_the_token_and_reads_the_answer():
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization"), request.content))
        token = request.read().decode()
        if "broken" in token:
            return httpx.Response(502)
        if "odd" in token:
            return httpx.Response(200, json={"ok": True})
        return httpx.Response(200, json={"verified": "good" in token, "name": "黄军强" if "good" in token else None})

    provider = HttpRealName("https://realname.example/api/", "secret", 2.0, transport=httpx.MockTransport(answer))
    assert await provider.verify("good-token") == RealNameResult(True, "黄军强")
    assert await provider.verify("bad-token") == RealNameResult(False, None)
    for token in ("broken", "odd"):  # an error status, an answer without a verdict
        with pytest.raises(RealNameUnavailable):
            await provider.verify(token)
    assert seen[0][:2] == ("/api/verify", "Bearer secret") and b'"token":"good-token"' in seen[0][2].replace(b" ", b"")


def test_production_refuses_the_fake():
    prod = {"env": "prod", "public_base_url": "https://gaizao.example.cn", "jwt_secret": "x" * 40, "audit_key": "y" * 40,
            "wechat_app_secret": "s" * 20, "database_url": "postgresql+asyncpg://app:pw@db:5432/app"}
    with pytest.raises(ValueError, match="APP_REALNAME_FAKE"):
        Settings(**prod, realname_fake=True)
    assert Settings(**prod).realname_fake is False
    assert Settings(env="dev").realname_fake is True
    assert Settings(env="dev", realname_url="http://adapter").realname_fake is False
