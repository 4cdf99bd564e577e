"""Engine, sessions and shared column types.

One transaction per request: ``get_session`` opens a transaction, the route's services ``flush()``,
and the dependency commits when the route returns (before the response is sent) or rolls back on error.
"""

import enum
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy import DateTime, Executable, Row, event, exc, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.config import get_settings

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive; we reattach UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def id_field(**kw: Any) -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True, **kw)


def created_at_field() -> Any:
    return Field(default_factory=clock.now, sa_type=UTCDateTime, nullable=False)


def enum_field(enum_cls: type[enum.Enum], default: Any = ..., **kw: Any) -> Any:
    """An enum stored as its value in a VARCHAR: new members need no database type change."""
    column_type = sa.Enum(
        enum_cls, native_enum=False, length=32, values_callable=lambda members: [m.value for m in members]
    )
    return Field(default=default, sa_type=column_type, **kw)


def dt_field(nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, **kw)


def dialect_insert(conn: AsyncConnection) -> Any:
    """``insert`` of the connection's database (PostgreSQL's or SQLite's), which has ``ON CONFLICT``."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


async def rows(session: AsyncSession, statement: Executable, params: dict[str, Any] | None = None) -> Sequence[Row[*tuple[Any, ...]]]:
    """A Core statement's rows on the session's connection, without the ORM's execution path (its compile
    state and result wrapping cost more than a small read itself when plain rows are all it would give).
    What the session holds unflushed is flushed first, as the ORM's autoflush would."""
    await session.flush()
    return (await (await session.connection()).execute(statement, params)).all()


async def locked(session: AsyncSession, obj: Any) -> Any:
    """``obj``'s row re-read under a row lock held to the end of the transaction (PostgreSQL; SQLite
    serialises writers anyway): a change that decides on an object's state (publishing, opening, a
    transition) checks the state it will actually replace, and its audit "before" is that state."""
    model = type(obj)
    stmt = select(model).where(model.id == obj.id).with_for_update().execution_options(populate_existing=True)
    return (await session.exec(stmt)).one()


_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None


def _sqlite_connect(lock_timeout_ms: int):
    def connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, issue BEGIN, so that SAVEPOINTs and rollbacks work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_ms)}")
        cursor.close()

    return connect


def _sqlite_begin(conn) -> None:
    # IMMEDIATE takes SQLite's single write lock at the start. A deferred transaction that reads and then
    # writes after another writer committed fails at once with "database is locked" (WAL snapshot rule);
    # queuing at BEGIN (busy_timeout) serialises writers instead. Read-only requests begin deferred, so
    # under WAL they run beside the writer. SQLite is the one-process demo store.
    read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _ensure_sqlite_dir(url: str) -> None:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


POOL_SIZE = 20  # connections a process keeps (docs/scaling.md, "Connection budget")


def make_engine(url: str, echo: bool = False, lock_timeout_ms: int | None = None) -> AsyncEngine:
    """An engine whose writes wait at most ``lock_timeout_ms`` for a lock (default: the setting); past
    it the database raises, and the request answers 503 with Retry-After (app.core.errors).

    On PostgreSQL every other wait is bounded too (settings ``db_*_timeout_seconds``): opening a
    connection, each statement, a free pooled connection. A database that stops or cannot be reached
    therefore fails requests quickly (503, ``app.core.errors.is_unavailable``) instead of holding them.
    A disconnect invalidates the whole pool, so once the database is back the next requests open fresh
    connections: no restart needed. A connection that sat idle in the pool is checked before use
    (``_ping_when_idle``)."""
    settings = get_settings()
    lock_timeout_ms = settings.db_lock_timeout_ms if lock_timeout_ms is None else lock_timeout_ms
    # hide_parameters: SQL errors would otherwise put names, notes and hashes into the logs.
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_async_engine(url, echo=echo, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_connect(lock_timeout_ms))
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes)
        return engine
    # 20 connections, all kept (no overflow) and taken last in, first out. With overflow, a busy process
    # closed each connection past the pool's size on its return and opened another for the next request: a
    # backend forked, the driver's setup, its prepared statements lost (bench/results.md: a third of the
    # reads' throughput). Last in, first out, the connections a quiet process does not need stay idle.
    engine = create_async_engine(
        url, echo=echo, hide_parameters=True, pool_size=POOL_SIZE, max_overflow=0, pool_use_lifo=True,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args={"server_settings": {"lock_timeout": str(int(lock_timeout_ms))},
                      "timeout": settings.db_connect_timeout_seconds,
                      "command_timeout": settings.db_command_timeout_seconds,
                      "prepared_statement_cache_size": settings.db_statement_cache_size},
    )
    _ping_when_idle(engine)
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes)
    return engine


PING_AFTER_IDLE_SECONDS = 5.0
_CHECKED_IN = "checked_in_at"


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only when it sat idle for ``PING_AFTER_IDLE_SECONDS``: one
    the server or the network dropped meanwhile (a restart at night, an idle timeout) is replaced at once.
    SQLAlchemy's ``pool_pre_ping`` checks every checkout, and on asyncpg a check is three round trips
    (BEGIN, a query, ROLLBACK): more than the query of a whole read. Under load a connection is back in use
    within milliseconds, and a connection that dies while busy raises a disconnect, which invalidates the
    whole pool (503 for that request, fresh connections for the next)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_CHECKED_IN, None)
        if since is not None and time.monotonic() - since >= PING_AFTER_IDLE_SECONDS:
            try:
                dbapi_connection.ping()
            except Exception as error:  # the pool replaces the connection and tries again
                raise exc.DisconnectionError() from error


def get_engine() -> AsyncEngine:
    global _engine, _sessionmaker
    if _engine is None:
        settings = get_settings()
        _engine = make_engine(settings.database_url, settings.db_echo)
        _sessionmaker = async_sessionmaker(_engine, class_=AsyncSession, expire_on_commit=False)
    return _engine


def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    get_engine()
    assert _sessionmaker is not None
    return _sessionmaker


async def dispose_engine() -> None:
    global _engine, _sessionmaker
    if _engine is not None:
        await _engine.dispose()
    _engine = _sessionmaker = None


READ_ONLY_OPTION = "app_read_only"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# A request run under an Idempotency-Key gets its transaction from the middleware, which commits the
# request's writes together with the stored response (app.core.idempotency). A route that fails marks it
# (``SHARED_SESSION_FAILED``): the middleware undoes its writes and stores the answer on its own.
SHARED_SESSION_STATE = "idempotent_session"
SHARED_SESSION_FAILED = "idempotent_session_failed"


# A request by a safe method (GET, HEAD, OPTIONS) only reads (HTTP semantics, kept by every route): its
# session runs each statement on its own on PostgreSQL (``reading``), and a write in it fails.
READS_ONLY_OPTION = "app_reads_only"


def reads_only(request: Request) -> bool:
    return request.method in _SAFE_METHODS


def on_reading_connection(connection: AsyncConnection) -> bool:
    """Whether ``connection`` is the session's of a request that only reads (``reading``)."""
    sync = connection.sync_connection
    return sync is not None and bool(sync.get_execution_options().get(READS_ONLY_OPTION))


class ReadOnlyRouteWrote(RuntimeError):
    """A request by a safe method (GET) sent a write in its session: a programming error, found by its tests.
    What a read records as it answers (who looked, a lookup's count) commits on a connection of its own."""


_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")


def _refuse_writes(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
    if conn.get_execution_options().get(READS_ONLY_OPTION) and statement.lstrip()[:6].upper().startswith(_WRITES):
        raise ReadOnlyRouteWrote(f"a request that only reads wrote: {statement[:60]!r}")


@asynccontextmanager
async def reading() -> AsyncIterator[AsyncSession]:
    """The session of a request that only reads (a GET). On PostgreSQL each statement runs on its own, with
    no BEGIN and COMMIT around them (two round trips of a three-round-trip read): under READ COMMITTED each
    statement of a transaction takes its own snapshot anyway, so the route sees what it would have seen.
    SQLite reads in a deferred transaction, beside its one writer. A write fails either way."""
    engine = get_engine()
    options: dict[str, Any] = {READ_ONLY_OPTION: True, READS_ONLY_OPTION: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    async with _session_on_connection(engine, options) as session:
        yield session


@asynccontextmanager
async def _session_on_connection(engine: AsyncEngine, options: dict[str, Any]) -> AsyncIterator[AsyncSession]:
    """A session bound to one connection of its own, with these execution options."""
    async with engine.connect() as conn:
        await conn.execution_options(**options)
        async with AsyncSession(bind=conn, expire_on_commit=False) as session:
            yield session


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    state = request.scope.get("state", {})
    shared: AsyncSession | None = state.get(SHARED_SESSION_STATE)
    if shared is not None:
        try:
            yield shared
        except BaseException:
            state[SHARED_SESSION_FAILED] = True
            raise
        return
    if reads_only(request):
        async with reading() as session:
            yield session
        return
    async with get_sessionmaker()() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


@asynccontextmanager
async def own_transaction() -> AsyncIterator[AsyncSession]:
    """A short transaction of its own, committed on exit, beside the request's (idempotency records,
    throttle counts of read-only requests)."""
    async with get_sessionmaker()() as session, session.begin():
        yield session


@asynccontextmanager
async def autocommit() -> AsyncIterator[AsyncSession]:
    """A session whose statements each commit on their own, for work that is one statement or needs no
    transaction (taking an Idempotency-Key: an insert that does nothing on conflict). On PostgreSQL that
    saves the BEGIN and COMMIT round trips; SQLite gets a short transaction (``own_transaction``)."""
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        async with own_transaction() as session:
            yield session
        return
    async with _session_on_connection(engine, {"isolation_level": "AUTOCOMMIT"}) as session:
        yield session
