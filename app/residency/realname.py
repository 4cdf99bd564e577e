"""Real-name checks (实名核验) behind one small interface, with a bundled fake like WeChat's.

The mini-program runs the provider's check (WeChat 实名/人脸核身, or the 不动产登记 query) and receives a
one-time token; the server asks the provider what the token proves: whether the check passed and the
verified name. A face check is never the only way (人脸识别技术应用安全管理办法): an in-person check by a
grid worker raises a binding just as far.

- ``FakeRealName`` (outside production, ``APP_REALNAME_FAKE``): ``pass:<name>`` passes as that name;
  ``fail`` does not pass; ``timeout`` stands for a provider that does not answer.
- ``HttpRealName`` (``APP_REALNAME_URL``): the operator's adapter for the provider it contracts with,
  called as ``POST {url}/verify {"token": ...}`` with ``Authorization: Bearer APP_REALNAME_TOKEN``,
  answering ``{"verified": bool, "name": str | null}``.
"""

from dataclasses import dataclass
from typing import Protocol

import httpx

from app.core.config import get_settings


@dataclass(frozen=True)
class RealNameResult:
    verified: bool
    name: str | None = None


class RealNameUnavailable(Exception):
    """The provider did not answer, or answered nothing usable."""


class RealNameProvider(Protocol):
    async def verify(self, token: str) -> RealNameResult: ...


class FakeRealName:
    async def verify(self, token: str) -> RealNameResult:
        if token == "timeout":
            raise RealNameUnavailable("the fake provider does not answer")
        if token.startswith("pass:") and len(token) > 5:
            return RealNameResult(True, token[5:])
        return RealNameResult(False)


class HttpRealName:
    def __init__(self, url: str, token: str | None, timeout: float, transport: httpx.AsyncBaseTransport | None = None):
        self._url, self._token, self._timeout, self._transport = url.rstrip("/"), token, timeout, transport

    async def verify(self, token: str) -> RealNameResult:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as client:
                answer = await client.post(f"{self._url}/verify", json={"token": token}, headers=headers)
            answer.raise_for_status()
            body = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RealNameUnavailable(type(exc).__name__) from None
        if not isinstance(body, dict) or not isinstance(body.get("verified"), bool):
            raise RealNameUnavailable("unreadable answer")
        name = body.get("name")
        return RealNameResult(body["verified"], name if isinstance(name, str) else None)


def get_realname() -> RealNameProvider | None:
    """Dependency: the configured provider, or None where the operator has none."""
    settings = get_settings()
    if settings.realname_fake:
        return FakeRealName()
    if settings.realname_url:
        return HttpRealName(settings.realname_url, settings.realname_token, settings.realname_timeout_seconds)
    return None
