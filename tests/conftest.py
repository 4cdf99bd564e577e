"""Test harness: a real database built by the migrations, each test inside a rolled-back transaction.

``APP_TEST_DATABASE_URL`` selects PostgreSQL (its database is dropped and re-created); without it the
tests run on a fresh SQLite file.
"""

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

_tmp = Path(tempfile.mkdtemp(prefix="app-tests-"))
TEST_DATABASE_URL = os.environ.get("APP_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{_tmp / 'test.db'}"
os.environ.update(
    APP_ENV="test",
    APP_DATABASE_URL=TEST_DATABASE_URL,
    APP_STORAGE_DIR=str(_tmp / "files"),
    APP_JWT_SECRET="test-secret-" + "x" * 32,
    APP_LOG_LEVEL="WARNING",
    # Tests chain audit entries where they look at them (``audit.chain``), not in the background.
    APP_AUDIT_CHAIN_AFTER_COMMIT="false",
)

import httpx  # noqa: E402
import pytest  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from hypothesis import settings  # noqa: E402
from sqlalchemy import make_url, text  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402
from sqlmodel.ext.asyncio.session import AsyncSession  # noqa: E402

from app import domains  # noqa: E402
from app.core import audit, clock, idempotency, throttle  # noqa: E402
from app.core import db as core_db  # noqa: E402
from app.core.config import get_settings  # noqa: E402
from app.core.db import get_session, make_engine  # noqa: E402
from app.core.logging import configure_logging  # noqa: E402
from app.main import build_routes, create_app  # noqa: E402
from app.privacy import disclosures  # noqa: E402
from app.wechat import fake  # noqa: E402
from tests.worlds import world  # noqa: E402, F401  (the two-world fixture of every permission matrix)

# Property tests assert what the rules promise, not how fast: speed targets live in bench/. Without a
# deadline, a CI machine busy with the other database's suite cannot fail an example on time alone.
settings.register_profile("project", deadline=None)
settings.load_profile("project")

get_settings.cache_clear()
# What the API and the worker do at start: tests that call services directly see the same guards,
# reactions, jobs and hooks as those that go through the app.
domains.install()


async def recreate_postgres_database(url: str) -> None:
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    await admin.dispose()


def _migrate() -> None:
    from app.__main__ import migrate

    migrate()


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    if TEST_DATABASE_URL.startswith("postgresql"):
        await recreate_postgres_database(TEST_DATABASE_URL)
    await asyncio.to_thread(_migrate)  # the schema comes from the migrations, never create_all
    engine = make_engine(TEST_DATABASE_URL)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        session = AsyncSession(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            await session.close()
            await outer.rollback()


_APPS: dict[str, tuple[FastAPI, int]] = {}


def _app_for_settings() -> FastAPI:
    """The suite's app for the settings in force, built once: building an app's routes (FastAPI does it on
    the first request to each router) took a quarter of the suite's time, and an app made from the same
    settings is the same app. Each test gets it as new: no overrides, its middleware built again (the
    notice board's in-memory copies), logging set up as ``create_app`` does; one a test added routes to
    is built again."""
    settings = get_settings()
    key = settings.model_dump_json()
    application, routes = _APPS.get(key, (None, 0))
    if application is None or len(application.routes) != routes:
        application = create_app()
        build_routes(application)
        _APPS[key] = application, len(application.routes)
    configure_logging(settings.log_level)
    application.dependency_overrides.clear()
    application.middleware_stack = None
    return application


@pytest.fixture
def app(db: AsyncSession, monkeypatch):
    application = _app_for_settings()

    @asynccontextmanager
    async def _idempotency_scope() -> AsyncIterator[AsyncSession]:
        async with db.begin_nested():
            yield db

    monkeypatch.setattr(idempotency, "session_scope", _idempotency_scope)
    monkeypatch.setattr(idempotency, "statement_scope", _idempotency_scope)

    async def _guard(on: bool) -> None:  # what ``core_db.reading`` sets on its connection
        await (await db.connection()).execution_options(**{core_db.READS_ONLY_OPTION: on})

    @asynccontextmanager
    async def _own_write_scope() -> AsyncIterator[AsyncSession]:
        # A write of its own from a request that only reads: a savepoint of the test's transaction, the
        # guard lifted for it as the real one is on its own connection.
        guarded = core_db.on_reading_connection(await db.connection())
        await _guard(False)
        try:
            async with db.begin_nested():
                yield db
        finally:
            await _guard(guarded)

    monkeypatch.setattr(disclosures, "statement_scope", _own_write_scope)
    monkeypatch.setattr(throttle, "session_scope", _own_write_scope)

    async def _session(request: Request) -> AsyncIterator[AsyncSession]:
        # Each request is a SAVEPOINT inside the test's transaction: a failed request rolls back its own
        # writes only, and the test's setup stays. A request that only reads (a GET) may not write here either.
        reads_only = core_db.reads_only(request)
        if reads_only:
            await _guard(True)
        try:
            async with db.begin_nested():
                yield db
        finally:  # once the savepoint has ended (a refused write rolls it back), the next request may write
            if reads_only:
                await _guard(False)
        await audit.chain(db)  # where the request's commit would have its audit entries chained

    application.dependency_overrides[get_session] = _session
    return application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest.fixture(autouse=True)
def _reset_fake_wechat():
    fake.state.reset()
    yield


@pytest.fixture(autouse=True)
def _reset_demo_clock():
    """No test leaks the demo clock's offset (app.core.clock.advance) to the next."""
    yield
    clock.reset_offset()


def _upgrade(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from app.__main__ import ROOT

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes.update(database_url=url, configure_logger=False)
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
async def live_database_url(engine) -> str:
    """A second database, migrated once, where requests commit for real (concurrency tests).

    Nothing there is rolled back, so tests using it make their own uniquely named data.
    """
    if TEST_DATABASE_URL.startswith("postgresql"):
        url = make_url(TEST_DATABASE_URL)
        live_url = url.set(database=f"{url.database}_live").render_as_string(hide_password=False)
        await recreate_postgres_database(live_url)
    else:
        live_url = f"sqlite+aiosqlite:///{_tmp / 'live.db'}"
    await asyncio.to_thread(_upgrade, live_url)
    return live_url


LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
async def postgres_live_url(live_database_url) -> AsyncIterator[str]:
    """A live database on PostgreSQL whatever the suite runs on, for what only PostgreSQL has (row locks per
    chain, LISTEN/NOTIFY): the live database of a PostgreSQL run, else one of this process's own on the
    server at 127.0.0.1, which CI and the quickstart machine have (skipped where none answers)."""
    if live_database_url.startswith("postgresql"):
        yield live_database_url
        return
    url = make_url(LOCAL_POSTGRES).set(database=f"app_test_pglive_{os.getpid()}").render_as_string(hide_password=False)
    try:
        await recreate_postgres_database(url)
    except (OSError, DBAPIError, TimeoutError) as exc:
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 ({type(exc).__name__})")
    await asyncio.to_thread(_upgrade, url)
    yield url
    admin = make_engine(LOCAL_POSTGRES)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    await admin.dispose()


async def _app_on(url: str, monkeypatch) -> AsyncIterator:
    monkeypatch.setattr(get_settings(), "database_url", url)
    live_engine = make_engine(url)
    monkeypatch.setattr(core_db, "_engine", live_engine)
    monkeypatch.setattr(core_db, "_sessionmaker", core_db.async_sessionmaker(
        live_engine, class_=AsyncSession, expire_on_commit=False))
    try:
        yield _app_for_settings()
    finally:
        await core_db.dispose_engine()


@pytest.fixture
async def live_app(live_database_url, monkeypatch) -> AsyncIterator:
    """The app on the live database: requests run in separate transactions on separate connections."""
    async for app in _app_on(live_database_url, monkeypatch):
        yield app


@pytest.fixture
async def postgres_live_app(postgres_live_url, monkeypatch) -> AsyncIterator:
    """``live_app`` on PostgreSQL whatever the suite runs on (``postgres_live_url``)."""
    async for app in _app_on(postgres_live_url, monkeypatch):
        yield app
