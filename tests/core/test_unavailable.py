"""A database that is down, goes away mid-request or comes back, and the request timeout: 503 with
Retry-After, never a 500 or a hung request, and back to 200 without a restart.

The exception shapes are the ones PostgreSQL 15 and asyncpg produce when the server stops (see
``app.core.errors.is_unavailable`` and bench/fault.py, which stops a real cluster under load). Here they
are raised by probe routes, a database URL nothing listens on, and - on PostgreSQL - a TCP proxy in front
of the test database that is cut and restored, so that the shared server itself is never stopped.
"""

import asyncio
import contextlib
import time
import uuid
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from fastapi.responses import StreamingResponse
from sqlalchemy import event, make_url, text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi as adapted
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, ProgrammingError

from app.core import db as core_db
from app.core import idempotency
from app.core.config import get_settings
from app.core.deadline import RequestDeadlineMiddleware
from app.core.errors import UNAVAILABLE_RETRY_AFTER_SECONDS, is_unavailable
from app.core.security import create_access_token
from tests.conftest import TEST_DATABASE_URL


def _as_sqlalchemy_raises(sa_error: type[DBAPIError], adapted_error: type[Exception], driver_error: Exception):
    """The chain SQLAlchemy's asyncpg dialect raises: its DB-API error (``orig``) raised from asyncpg's."""
    try:
        try:
            raise driver_error
        except Exception as error:
            raise adapted_error(str(error), error) from error
    except Exception as dbapi_error:
        return sa_error("SELECT 1", {}, dbapi_error)


def _chained(outer: Exception, inner: Exception) -> Exception:
    outer.__cause__ = inner
    return outer


def _refused() -> ConnectionRefusedError:
    return ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")


UNAVAILABLE = {
    # a pooled connection's pre-ping fails, the reconnect is refused: raised unwrapped
    "refused": _refused,
    "connect-timeout": lambda: TimeoutError(),
    "reset": lambda: ConnectionResetError(104, "Connection reset by peer"),
    # a statement running when the server stops (pg_ctl stop -m fast)
    "terminated-mid-statement": lambda: _as_sqlalchemy_raises(DBAPIError, adapted.Error, _chained(
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"))),
    "admin-shutdown": lambda: _as_sqlalchemy_raises(DBAPIError, adapted.Error, asyncpg.exceptions.AdminShutdownError(
        "terminating connection due to administrator command")),
    # the next statement, or the commit, of a transaction whose connection the server closed
    "closed-between-statements": lambda: _as_sqlalchemy_raises(InterfaceError, adapted.InterfaceError,
                                                               asyncpg.exceptions.InterfaceError("connection is closed")),
    "closed-at-commit": lambda: _as_sqlalchemy_raises(InterfaceError, adapted.InterfaceError, asyncpg.exceptions.InterfaceError(
        "cannot call Transaction.commit(): the underlying connection is closed")),
    # connecting while the server shuts down or starts up
    "shutting-down": lambda: _as_sqlalchemy_raises(DBAPIError, adapted.Error, asyncpg.exceptions.CannotConnectNowError(
        "the database system is shutting down")),
    "starting-up": lambda: _as_sqlalchemy_raises(DBAPIError, adapted.Error, asyncpg.exceptions.CannotConnectNowError(
        "the database system is starting up")),
    # other drivers' and dialects' shapes: an OSError wrapped by SQLAlchemy, a disconnect it recognised
    "operational-wrapping-refused": lambda: OperationalError("SELECT 1", {}, _refused()),
    "interface-wrapping-refused": lambda: InterfaceError("SELECT 1", {}, _refused()),
    "dbapi-wrapping-refused": lambda: DBAPIError("SELECT 1", {}, _refused()),
    "invalidated": lambda: DBAPIError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                                      connection_invalidated=True),
}

REAL_FAULTS = {
    "syntax": lambda: _as_sqlalchemy_raises(ProgrammingError, adapted.ProgrammingError,
                                            asyncpg.exceptions.PostgresSyntaxError("syntax error at or near")),
    "other-interface-error": lambda: _as_sqlalchemy_raises(InterfaceError, adapted.InterfaceError,
                                                           asyncpg.exceptions.InterfaceError("another operation is in progress")),
    "file-missing": lambda: FileNotFoundError(2, "No such file or directory"),
}


@pytest.fixture
async def probe(app):
    @app.get("/probe/raise/{kind}")
    async def probe_raise(kind: str):
        raise {**UNAVAILABLE, **REAL_FAULTS}[kind]()

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def _assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "service_unavailable"
    assert int(r.headers["retry-after"]) > 0
    assert "x-request-id" in r.headers


@pytest.mark.parametrize("kind", sorted(UNAVAILABLE))
async def test_the_database_gone_away_answers_503_with_retry_after(probe, kind):
    r = await probe.get(f"/probe/raise/{kind}")
    _assert_unavailable(r)
    assert r.headers["retry-after"] == str(UNAVAILABLE_RETRY_AFTER_SECONDS)
    assert r.json()["error"]["details"] == {"reason": "database_unavailable"}
    assert "SELECT" not in r.text and "127.0.0.1" not in r.text


@pytest.mark.parametrize("kind", sorted(REAL_FAULTS))
async def test_other_faults_stay_500(probe, kind):
    r = await probe.get(f"/probe/raise/{kind}")
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    assert not is_unavailable(REAL_FAULTS[kind]())


async def test_a_lock_timeout_is_still_busy_not_unavailable(probe):
    """The busy 503 (lock timeout) keeps its own, shorter Retry-After."""
    assert not is_unavailable(_as_sqlalchemy_raises(DBAPIError, adapted.Error, asyncpg.exceptions.LockNotAvailableError(
        "canceling statement due to lock timeout")))


def _token_headers() -> dict[str, str]:
    token, _ = create_access_token(uuid.uuid4(), uuid.uuid4())
    return {"Authorization": f"Bearer {token}"}


async def test_the_database_failing_inside_a_middleware_is_503_not_500(app, monkeypatch):
    """The idempotency middleware records the key before the route runs, outside the exception handlers."""

    @asynccontextmanager
    async def _unreachable():
        raise _refused()
        yield  # pragma: no cover

    monkeypatch.setattr(idempotency, "statement_scope", _unreachable)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.post("/api/v1/streets", json={"district": "区", "name": "街道"},
                         headers={**_token_headers(), "Idempotency-Key": "fault-1"})
    _assert_unavailable(r)


# ---- the request timeout -------------------------------------------------------------------------


@pytest.fixture
def short_timeout(app, monkeypatch):
    """Call once the test's routes are added: sets a short request timeout."""

    async def arm(seconds: float = 0.3) -> float:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            await c.get("/healthz")  # FastAPI prepares its routes on the first request: not part of the test
        monkeypatch.setattr(get_settings(), "request_timeout_seconds", seconds)
        return seconds

    return arm


async def test_a_request_past_the_timeout_answers_503_at_once_and_is_cancelled(app, short_timeout):
    outcome = {}

    @app.get("/probe/slow")
    async def probe_slow():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            outcome["cancelled"] = True
            await asyncio.sleep(2)  # cleanup that takes a while (a rollback): the 503 does not wait
            outcome["cleaned_up"] = time.perf_counter()
            raise
        return {}

    async def observed(scope, receive, send):
        """The app, noting when the answer's first message leaves it."""
        async def sending(message):
            if message["type"] == "http.response.start":
                outcome.setdefault("answered", time.perf_counter())
            await send(message)

        await app(scope, receive, sending)

    seconds = await short_timeout()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=observed), base_url="http://test") as c:
        r = await c.get("/probe/slow", headers={"X-Request-ID": "slow-1"})
    _assert_unavailable(r)
    assert r.json()["error"]["details"] == {"reason": "request_timeout", "seconds": seconds}
    assert r.headers["x-request-id"] == "slow-1"
    assert outcome.keys() == {"cancelled", "answered", "cleaned_up"}
    # The 503 left at the deadline, before the cancelled handler's cleanup ended (the transport itself
    # returns only after it).
    assert outcome["answered"] < outcome["cleaned_up"]


async def test_a_registered_export_gets_the_longer_timeout(app, short_timeout, monkeypatch):
    """An export builds its whole file before its first byte (100,000 questionnaire responses: about half a
    minute): its path is registered for the export timeout, and only its path."""
    from app.core import deadline

    monkeypatch.setattr(deadline, "_LONGER", {("GET", "/probe/export")})

    @app.get("/probe/export")
    async def probe_export():
        await asyncio.sleep(seconds * 2)
        return {"ok": True}

    @app.get("/probe/report")
    async def probe_report():
        await asyncio.sleep(seconds * 2)
        return {"ok": True}

    seconds = await short_timeout()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        assert (await c.get("/probe/export")).status_code == 200
        _assert_unavailable(await c.get("/probe/report"))
    assert get_settings().export_timeout_seconds > get_settings().request_timeout_seconds


async def test_a_streaming_response_that_began_is_not_cut_off(app, short_timeout):
    """An XLSX export starts its response in time and may stream for longer than the timeout."""

    @app.get("/probe/stream")
    async def probe_stream():
        async def chunks():
            for i in range(4):
                await asyncio.sleep(seconds / 2)
                yield f"{i}".encode()

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    seconds = await short_timeout()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        r = await c.get("/probe/stream")
    assert r.status_code == 200 and r.content == b"0123"


async def test_the_time_a_slow_client_takes_to_send_its_body_does_not_count():
    """A photo upload over a poor mobile link is not the server hanging."""
    chunks = [b"a" * 10, b"b" * 10, b"c" * 10]

    async def app(scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})

    async def slow_client():
        await asyncio.sleep(0.15)
        data = chunks.pop(0)
        return {"type": "http.request", "body": data, "more_body": bool(chunks)}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/upload", "headers": []}
    await RequestDeadlineMiddleware(app, seconds=0.2)(scope, slow_client, send)
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"30"


async def test_a_handler_that_is_merely_slow_within_the_timeout_answers(app, short_timeout):
    @app.get("/probe/quick")
    async def probe_quick():
        await asyncio.sleep(0.2)
        return {"ok": True}

    await short_timeout(5.0)  # far above the 0.2 s it sleeps: a CI machine running two suites at once stalls for seconds
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        r = await c.get("/probe/quick")
    assert r.status_code == 200 and r.json() == {"ok": True}


# ---- a real unreachable database ------------------------------------------------------------------


@asynccontextmanager
async def _app_on(url: str, monkeypatch):
    """The app with its own engine on ``url`` (no test transaction: requests commit for real)."""
    from app.main import create_app

    monkeypatch.setattr(get_settings(), "database_url", url)
    engine = core_db.make_engine(url)
    monkeypatch.setattr(core_db, "_engine", engine)
    monkeypatch.setattr(core_db, "_sessionmaker", core_db.async_sessionmaker(
        engine, class_=core_db.AsyncSession, expire_on_commit=False))
    app = create_app()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield app, c
    finally:
        await core_db.dispose_engine()


async def _free_port() -> int:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return port


async def test_a_postgresql_nothing_listens_on_answers_503_and_readyz_says_so(monkeypatch):
    """Connection refused, for real: every kind of request answers 503 with Retry-After, promptly."""
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{await _free_port()}/nowhere"
    async with _app_on(url, monkeypatch) as (_, c):
        started = time.perf_counter()
        ready = await c.get("/readyz")
        me = await c.get("/api/v1/me", headers=_token_headers())
        write = await c.post("/api/v1/streets", json={"district": "区", "name": "街道"},
                             headers={**_token_headers(), "Idempotency-Key": "fault-2"})
        plain_write = await c.post("/api/v1/streets", json={"district": "区", "name": "街道"}, headers=_token_headers())
        elapsed = time.perf_counter() - started
    for r in (ready, me, write, plain_write):
        _assert_unavailable(r)
    assert ready.json()["error"]["details"] == {"database": "unavailable"}
    assert elapsed < 5, elapsed


class _CuttableProxy:
    """A TCP proxy in front of the test's PostgreSQL: ``cut()`` refuses new connections and drops the
    open ones, as a server stopping does; ``restore()`` listens again on the same port."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()

    async def _serve(self, client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        self.writers |= {client_writer, server_writer}

        async def pipe(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.transport.abort()

        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))


async def _postgresql_going_away_mid_request_then_coming_back(live_database_url, monkeypatch):
    """Through a proxy to the live test database: a statement running when the connection drops answers
    503, the pooled connections are dead while it is down (503, /readyz 503), and once it is back the
    very next requests succeed - the pool recovers by itself."""
    from app.auth.roles import Role
    from tests import factories

    target = make_url(live_database_url)
    proxy = _CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.restore()
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    async with _app_on(url, monkeypatch) as (app, c):
        async with core_db.get_sessionmaker()() as session, session.begin():
            headers = await factories.headers(session, await factories.user(session, (Role.admin, None)))

        @app.get("/probe/sleep")
        async def probe_sleep(session: core_db.SessionDep):
            await session.exec(text("SELECT pg_sleep(2)"))
            return {}

        assert (await c.get("/readyz")).status_code == 200
        assert (await c.get("/api/v1/me", headers=headers)).status_code == 200

        slow = asyncio.create_task(c.get("/probe/sleep", headers=headers))
        await asyncio.sleep(0.5)
        await proxy.cut()
        _assert_unavailable(await slow)
        for r in (await c.get("/readyz"), await c.get("/api/v1/me", headers=headers),
                  await c.post("/api/v1/streets", json={"district": "断线区", "name": f"街道{uuid.uuid4().hex[:6]}"},
                               headers={**headers, "Idempotency-Key": uuid.uuid4().hex})):
            _assert_unavailable(r)

        await proxy.restore()
        assert (await c.get("/readyz")).status_code == 200
        assert (await c.get("/api/v1/me", headers=headers)).status_code == 200
        r = await c.post("/api/v1/streets", json={"district": "断线区", "name": f"街道{uuid.uuid4().hex[:6]}"},
                         headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 201, r.text
    await proxy.cut()


async def test_a_connection_dropped_while_idle_in_the_pool_is_replaced_before_use(postgres_live_url, monkeypatch):
    """A pooled connection idle past ``PING_AFTER_IDLE_SECONDS`` is checked at checkout and replaced if the
    server dropped it meanwhile; one back in use sooner is not checked (a check is three round trips on
    asyncpg), and its statement fails as unavailable (503), invalidating the pool."""
    engine = core_db.make_engine(postgres_live_url)
    url = make_url(postgres_live_url)

    async def dropped_while_idle() -> int:
        async with engine.connect() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        admin = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, database=url.database)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        return pid

    try:
        monkeypatch.setattr(core_db, "PING_AFTER_IDLE_SECONDS", 0.0)
        pid = await dropped_while_idle()
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) not in (None, pid)

        monkeypatch.setattr(core_db, "PING_AFTER_IDLE_SECONDS", 3600.0)
        await dropped_while_idle()
        with pytest.raises(DBAPIError) as failed:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert is_unavailable(failed.value)
        async with engine.connect() as conn:  # the pool was invalidated: a fresh connection
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()


async def test_each_connection_keeps_as_many_prepared_statements_as_set(postgres_live_url, monkeypatch):
    """``APP_DB_STATEMENT_CACHE_SIZE``: with 10, three statements in turn stay prepared (the server holds the
    same three after four rounds as after one); with 2, they are prepared again as they come back."""
    mine = text("SELECT name FROM pg_prepared_statements WHERE statement LIKE 'SELECT _ + $1%'")

    async def prepared_anew(size: int) -> bool:
        monkeypatch.setattr(get_settings(), "db_statement_cache_size", size)
        engine = core_db.make_engine(postgres_live_url)
        try:
            async with engine.connect() as conn:
                names = []
                for _ in range(4):
                    for n in range(3):  # SQLAlchemy's cache trims at 1.5 times its size: 3 is past 2
                        await conn.execute(text(f"SELECT {n} + :x"), {"x": 1})
                    names.append(set((await conn.execute(mine)).scalars()))
                assert all(len(round_) == 3 for round_ in names)
                return names[-1] != names[0]
        finally:
            await engine.dispose()

    assert not await prepared_anew(10)
    assert await prepared_anew(2)


async def test_a_busy_process_keeps_its_connections_up_to_the_pools_size(postgres_live_url):
    """As many requests at once as the pool holds, twice: the second time takes the connections the first
    gave back (none closed on its return and opened again - a forked backend, the driver's setup and its
    prepared statements each time); the quietest use takes the one given back last; none past the size."""
    engine = core_db.make_engine(postgres_live_url)
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda *_: opened.append(None))

    async def at_once(n: int) -> set[int]:
        async with contextlib.AsyncExitStack() as stack:
            conns = [await stack.enter_async_context(engine.connect()) for _ in range(n)]
            return {await conn.scalar(text("SELECT pg_backend_pid()")) for conn in conns}

    try:
        first = await at_once(core_db.POOL_SIZE)
        assert await at_once(core_db.POOL_SIZE) == first and len(opened) == core_db.POOL_SIZE
        async with engine.connect() as conn:
            last = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) == last
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(at_once(core_db.POOL_SIZE + 1), timeout=1.0)
    finally:
        await engine.dispose()


# ---- the settings ---------------------------------------------------------------------------------


def test_every_wait_on_postgresql_is_bounded():
    engine = core_db.make_engine("postgresql+asyncpg://app@127.0.0.1:5432/app")
    settings = get_settings()
    assert engine.sync_engine.pool.timeout() == settings.db_pool_timeout_seconds
    assert settings.db_connect_timeout_seconds <= 10
    # a lock wait ends as the lock timeout's 503, before the statement timeout cuts it
    assert settings.db_command_timeout_seconds * 1000 > settings.db_lock_timeout_ms
    assert settings.db_command_timeout_seconds < settings.request_timeout_seconds


def test_settings_refuse_a_statement_timeout_shorter_than_the_lock_timeout_or_a_lease_shorter_than_a_request():
    from pydantic import ValidationError

    from app.core.config import Settings

    with pytest.raises(ValidationError, match="APP_DB_COMMAND_TIMEOUT_SECONDS"):
        Settings(_env_file=None, db_lock_timeout_ms=20_000, db_command_timeout_seconds=10)
    with pytest.raises(ValidationError, match="APP_IDEMPOTENCY_LEASE_SECONDS"):
        Settings(_env_file=None, request_timeout_seconds=60, idempotency_lease_seconds=60)


if TEST_DATABASE_URL.startswith("postgresql"):  # the connection is over TCP (SQLite has none to cut)
    test_postgresql_going_away_mid_request_then_coming_back = _postgresql_going_away_mid_request_then_coming_back
