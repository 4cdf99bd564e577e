"""Notification test harness: worker sessions as savepoints of the test's transaction, the fake WeChat."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from app.core.config import get_settings
from app.wechat import client as client_module
from app.wechat.client import WechatClient

API = "/api/v1"
T0 = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)
TEMPLATE_IDS = {"ballot_open": "tmpl-ballot-open", "plan_published": "tmpl-plan", "ballot_closing": "tmpl-closing"}


@pytest.fixture
def sessions(db):
    """The worker's session factory: each unit of work is a SAVEPOINT of the test's one connection (a second
    SQLite connection would wait on the test's write lock)."""

    @asynccontextmanager
    async def factory() -> AsyncIterator:
        async with db.begin_nested():
            yield db

    return factory


@pytest.fixture
def settings(monkeypatch):
    s = get_settings()
    monkeypatch.setattr(s, "wechat_templates", dict(TEMPLATE_IDS))
    monkeypatch.setattr(s, "notify_max_attempts", 4)
    monkeypatch.setattr(s, "notify_backoff_base_seconds", 30)
    monkeypatch.setattr(s, "notify_backoff_max_seconds", 3600)
    monkeypatch.setattr(s, "notify_claim_timeout_seconds", 300)
    return s


@pytest.fixture
async def wechat(settings, sessions, monkeypatch) -> AsyncIterator[WechatClient]:
    # The access-token cache may be kept in transactions of its own: keep them inside the test's too.
    monkeypatch.setattr(client_module, "token_sessions", sessions, raising=False)
    client = WechatClient(settings)  # routed to the in-process fake (APP_ENV=test)
    yield client
    await client.aclose()
