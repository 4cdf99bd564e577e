"""Alembic environment: async engine from the app's settings, SQLModel metadata, batch mode on SQLite."""

import asyncio
import logging
from logging.config import fileConfig

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)
from app.core.config import get_settings
from app.core.db import UTCDateTime, make_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
log = logging.getLogger("alembic.env")

# PostgreSQL: a migration holds this session-level advisory lock (one number, fixed for the project, in
# the database migrated) from before Alembic reads the current revision until after it committed. A
# second migrator started at the same time (two containers, two machines) waits for it, then finds the
# database at head and does nothing. Advisory locks belong to one database: other databases on the same
# server are not held up.
MIGRATION_LOCK_KEY = 7_220_431_845_610_517_233
# The wait polls pg_try_advisory_lock instead of blocking in pg_advisory_lock: a blocking wait would be
# cut short by the connection's lock_timeout (APP_DB_LOCK_TIMEOUT_MS) and statement timeout
# (APP_DB_COMMAND_TIMEOUT_SECONDS), and a migration may take longer than either.
MIGRATION_LOCK_POLL_SECONDS = 0.5


def render_item(type_, obj, autogen_context):
    """Render our column types as plain SQLAlchemy ones so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_item=render_item,
        render_as_batch=True,
        compare_type=True,
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    _configure(url=get_settings().database_url)
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    # SQLite: batch operations copy a table and drop the old one, which foreign keys pointing at its rows
    # would refuse; they are switched off for the migration (outside its transaction, where the pragma
    # takes effect) and the references are checked before they are switched on again.
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if sqlite:
        connection.connection.cursor().execute("PRAGMA foreign_keys=OFF")
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration left broken references: {broken[:5]}")
    if sqlite:
        connection.connection.cursor().execute("PRAGMA foreign_keys=ON")


async def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed in by tests or the app
        _run_sync(connection)
        return
    engine = make_engine(config.attributes.get("database_url") or get_settings().database_url)
    try:
        async with engine.connect() as conn:
            locking = conn.dialect.name == "postgresql"
            if locking:
                await _lock(conn)
            try:
                await conn.run_sync(_run_sync)
                await conn.commit()
            finally:
                if locking:
                    await _unlock(conn)
    finally:
        await engine.dispose()


async def _lock(conn: AsyncConnection) -> None:
    """Take the migration lock on this connection, waiting while another migrator holds it."""
    waiting = False
    while True:
        taken = (await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})).scalar()
        await conn.commit()  # the lock is the session's; Alembic then begins its own transaction
        if taken:
            break
        if not waiting:
            log.info("Waiting for another migration to finish (advisory lock %d)", MIGRATION_LOCK_KEY)
            waiting = True
        await asyncio.sleep(MIGRATION_LOCK_POLL_SECONDS)
    if waiting:
        log.info("The other migration finished; going on")


async def _unlock(conn: AsyncConnection) -> None:
    """Release the migration lock (a failed migration leaves its transaction to roll back first). Should
    this fail, closing the connection releases the lock all the same."""
    try:
        await conn.rollback()
        await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await conn.commit()
    except Exception:  # the migration's own error, if any, is the one to report
        log.warning("Could not release the migration lock; it goes with the connection", exc_info=True)
        await conn.invalidate()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())

