"""Migrations build the whole schema, match the models (`alembic check`), and go down and up again."""

import asyncio
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, make_url
from sqlmodel import SQLModel

from app.core.db import make_engine
from tests.conftest import TEST_DATABASE_URL, recreate_postgres_database

ROOT = Path(__file__).resolve().parent.parent


async def _scratch_database_url() -> str:
    if not TEST_DATABASE_URL.startswith("postgresql"):
        return f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'migrations.db'}"
    url = make_url(TEST_DATABASE_URL)
    scratch = url.set(database=f"{url.database}_migrations").render_as_string(hide_password=False)
    await recreate_postgres_database(scratch)
    return scratch


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
