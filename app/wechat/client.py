"""Calls to WeChat's server API with timeouts and WeChat's error codes mapped to our errors.

``session_key`` from jscode2session is returned to the caller for server-side storage only.
The server access token is cached in the database (shared by every process) and refreshed when
WeChat reports it invalid. The cache is read and written in short transactions of its own, never in the
caller's: a token fetched during a request that later fails must stay cached (WeChat limits fetches).
Each client also keeps the token in memory. On SQLite (the embedded, single-process mode) memory is the
only cache: a commit from a second connection while a request's transaction is open would make that
request's own later writes fail (WAL snapshot), and one process needs nothing shared.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import httpx
from fastapi import Depends
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.config import Settings, get_settings
from app.core.db import get_engine, get_sessionmaker
from app.core.errors import ErrorCode
from app.core.logging import get_logger
from app.wechat.errors import (
    WECHAT_BUSY,
    WECHAT_CODE_INVALID,
    WECHAT_ERROR,
    WECHAT_RATE_LIMITED,
    WECHAT_UNAVAILABLE,
    WECHAT_USER_BLOCKED,
)
from app.wechat.models import WechatAccessToken

log = get_logger(__name__)

# WeChat errcode of code2session -> our error
LOGIN_ERRCODES: dict[int, ErrorCode] = {
    40029: WECHAT_CODE_INVALID,
    40163: WECHAT_CODE_INVALID,  # code already used
    45011: WECHAT_RATE_LIMITED,
    40226: WECHAT_USER_BLOCKED,
    -1: WECHAT_BUSY,
}
TOKEN_INVALID = {40001, 42001, 40014}  # invalid / expired access token


# A context giving the session of the shared token cache, or None when there is none.
TokenSessions = Callable[[], AbstractAsyncContextManager[AsyncSession | None]]
TOKEN_MARGIN = timedelta(minutes=5)  # a token this close to expiry is treated as expired


@asynccontextmanager
async def own_transaction() -> AsyncIterator[AsyncSession | None]:
    """A session on a connection of its own, committed as soon as the block ends (None on SQLite)."""
    if get_engine().dialect.name == "sqlite":
        yield None
        return
    async with get_sessionmaker()() as session, session.begin():
        yield session


# Where the token cache is read and written; tests whose data lives in one rolled-back transaction
# replace it (or pass ``token_sessions`` to the client).
token_sessions: TokenSessions = own_transaction


@dataclass(frozen=True)
class WechatSession:
    openid: str
    session_key: str
    unionid: str | None


class WechatClient:
    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        token_sessions: TokenSessions | None = None,
    ):
        self.settings = settings
        self._token_sessions = token_sessions
        self._token: tuple[str, datetime] | None = None  # this process's copy of the cached token
        base_url = settings.wechat_base_url
        if transport is None and settings.wechat_fake:
            from app.wechat.fake import fake_app

            transport, base_url = httpx.ASGITransport(app=fake_app), "http://wechat.fake"
        self.http = httpx.AsyncClient(
            base_url=base_url, transport=transport, timeout=httpx.Timeout(settings.wechat_timeout_seconds)
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self.settings.wechat_timeout_seconds):
                response = await self.http.request(method, path, **kw)
        except (TimeoutError, httpx.HTTPError) as exc:
            log.warning("wechat unreachable", extra={"path": path, "error": type(exc).__name__})
            raise WECHAT_UNAVAILABLE() from None
        if response.status_code >= 500:
            log.warning("wechat server error", extra={"path": path, "status": response.status_code})
            raise WECHAT_UNAVAILABLE()
        try:
            data = response.json()
        except ValueError:
            raise WECHAT_ERROR() from None
        if not isinstance(data, dict):
            raise WECHAT_ERROR()
        return data

    @staticmethod
    def _raise_for(data: dict[str, Any]) -> None:
        errcode = data.get("errcode") or 0
        if errcode == 0:
            return
        log.warning("wechat error", extra={"errcode": errcode})
        raise LOGIN_ERRCODES.get(errcode, WECHAT_ERROR)(details={"wechat_errcode": errcode})

    async def code_to_session(self, code: str) -> WechatSession:
        data = await self._call(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": self.settings.wechat_app_id,
                "secret": self.settings.wechat_app_secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )
        self._raise_for(data)
        if not data.get("openid") or not data.get("session_key"):
            raise WECHAT_ERROR()
        return WechatSession(data["openid"], data["session_key"], data.get("unionid"))

    def _token_session(self) -> AbstractAsyncContextManager[AsyncSession | None]:
        return (self._token_sessions or token_sessions)()

    async def access_token(self, session: AsyncSession | None = None, *, force_refresh: bool = False) -> str:
        """The server access token. ``session`` (the caller's) is deliberately not used: see the module.

        ``force_refresh`` means the current token was refused: another process may have stored a newer
        one already, else a new one is fetched."""
        app_id = self.settings.wechat_app_id
        fresh_after = clock.now() + TOKEN_MARGIN
        refused = self._token[0] if force_refresh and self._token else None
        if self._token and not force_refresh and self._token[1] > fresh_after:
            return self._token[0]
        async with self._token_session() as store:
            cached = await store.get(WechatAccessToken, app_id) if store is not None else None
            if cached and cached.expires_at > fresh_after and cached.access_token != refused:
                self._token = (cached.access_token, cached.expires_at)
                return cached.access_token
        data = await self._call(
            "GET",
            "/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self.settings.wechat_app_id,
                "secret": self.settings.wechat_app_secret,
            },
        )
        self._raise_for(data)
        token = data["access_token"]
        expires_at = clock.now() + timedelta(seconds=int(data.get("expires_in", 7200)))
        self._token = (token, expires_at)
        for attempt in range(2):
            try:
                async with self._token_session() as store:
                    if store is not None:
                        # merge: update the row or insert it; a concurrent first insert is retried as an update.
                        await store.merge(WechatAccessToken(app_id=app_id, access_token=token, expires_at=expires_at))
                        await store.flush()
                break
            except IntegrityError:
                if attempt:
                    raise
        return token

    async def _with_access_token(self, session: AsyncSession, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """Call an API that needs the access token, refreshing it once if WeChat says it is stale."""
        for attempt in range(2):
            token = await self.access_token(session, force_refresh=attempt > 0)
            data = await self._call(method, path, params={"access_token": token}, **kw)
            if data.get("errcode") not in TOKEN_INVALID:
                return data
        return data

    async def phone_number(self, session: AsyncSession, code: str) -> str:
        data = await self._with_access_token(session, "POST", "/wxa/business/getuserphonenumber", json={"code": code})
        self._raise_for(data)
        phone = (data.get("phone_info") or {}).get("purePhoneNumber")
        if not phone:
            raise WECHAT_ERROR()
        return phone

    async def send_subscribe_message(
        self,
        session: AsyncSession,
        openid: str,
        template_id: str,
        page: str | None,
        data: dict[str, dict[str, str]],
        miniprogram_state: str = "formal",
    ) -> "SendResult":
        """Send a one-time subscribe message. WeChat's answer is returned, not raised: the notification
        worker decides per errcode whether to retry. Transport failures raise ``wechat_unavailable``."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": data,
            "miniprogram_state": miniprogram_state,
            "lang": "zh_CN",
        }
        if page:
            body["page"] = page
        answer = await self._with_access_token(session, "POST", "/cgi-bin/message/subscribe/send", json=body)
        return SendResult(int(answer.get("errcode") or 0), str(answer.get("errmsg") or ""))


@dataclass(frozen=True)
class SendResult:
    errcode: int
    errmsg: str

    @property
    def ok(self) -> bool:
        return self.errcode == 0


_client: WechatClient | None = None


def get_wechat() -> WechatClient:
    """Dependency: the process-wide client (tests override it)."""
    global _client
    if _client is None:
        _client = WechatClient(get_settings())
    return _client


WechatDep = Annotated[WechatClient, Depends(get_wechat)]
