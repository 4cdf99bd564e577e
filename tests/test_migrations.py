"""Migrations build the whole schema, match the models (`alembic check`), and go down and up again."""

import asyncio
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, make_url, text
from sqlmodel import SQLModel

from app.core.db import make_engine
from tests.conftest import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent


async def _scratch_database_url() -> str:
    if not TEST_DATABASE_URL.startswith("postgresql"):
        return f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'migrations.db'}"
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_migrations"
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


async def test_upgrade_check_downgrade_upgrade():
    url = await _scratch_database_url()
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False

    await asyncio.to_thread(command.upgrade, config, "head")
    assert set(SQLModel.metadata.tables) <= await _tables(url)
    await asyncio.to_thread(command.check, config)  # raises if models and migrations disagree

    await asyncio.to_thread(command.downgrade, config, "base")
    assert await _tables(url) <= {"alembic_version"}

    await asyncio.to_thread(command.upgrade, config, "head")
    assert set(SQLModel.metadata.tables) <= await _tables(url)
