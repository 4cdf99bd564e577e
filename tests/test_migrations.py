"""Migrations build the whole schema, match the models (`alembic check`), and go down and up again."""

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, make_url
from sqlmodel import SQLModel, select

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


async def _scratch() -> tuple[str, Config]:
    """A fresh database and the Alembic configuration that migrates it."""
    url = await _scratch_database_url()
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return url, config


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


async def test_upgrade_check_downgrade_upgrade():
    url, config = await _scratch()

    await asyncio.to_thread(command.upgrade, config, "head")
    assert set(SQLModel.metadata.tables) <= await _tables(url)
    await asyncio.to_thread(command.check, config)  # raises if models and migrations disagree

    await asyncio.to_thread(command.downgrade, config, "base")
    assert await _tables(url) <= {"alembic_version"}

    await asyncio.to_thread(command.upgrade, config, "head")
    assert set(SQLModel.metadata.tables) <= await _tables(url)


async def test_0010_fills_in_the_units_of_ballots_opened_before_it():
    """Ballots opened before revision 0010 get their voters' units (results per building) from the ledger."""
    from sqlmodel import select
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.core import clock
    from app.voting import service
    from app.voting.models import Ballot, BallotVoterUnit
    from tests import factories as f

    url, config = await _scratch()
    await asyncio.to_thread(command.upgrade, config, "head")
    engine = make_engine(url)

    async def units() -> list[tuple]:
        async with AsyncSession(engine) as db:
            return sorted((await db.exec(select(BallotVoterUnit.unit_id, BallotVoterUnit.voter_id,
                                                BallotVoterUnit.building_id, BallotVoterUnit.area_centi))).all())

    async with AsyncSession(engine, expire_on_commit=False) as db:
        tree = await f.tree(db)
        second = await f.unit(db, tree.entrance, tree.estate.id, area_centi=7000)
        person = await f.owner(db, tree.unit, name="张三")
        await f.holding(db, second, person)
        project = await f.project(db, tree.estate.id)
        now = clock.now()
        ballot = Ballot(project_id=project.id, estate_id=tree.estate.id, title="t", rule="simple_majority",
                        opens_at=now, closes_at=now + timedelta(days=1), notice_days=0, status="announced",
                        announced_at=now)
        db.add(ballot)
        await db.flush()
        await service.open_ballot(db, None, ballot)
        await db.commit()
    before = await units()
    assert len(before) == 2 and before[0][1] == before[1][1]  # one voter, two units

    await asyncio.to_thread(command.downgrade, config, "0009")
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await units() == before
    await engine.dispose()


async def test_0013_keeps_what_ballots_and_bindings_already_were():
    """Closed ballots become final (their result already moved the project); open ones keep letting every
    bound owner vote; approved bindings get the assurance their history shows."""
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.core import clock
    from app.residency.models import BindingMethod, UnitBinding
    from app.voting.models import Ballot
    from tests import factories as f

    url, config = await _scratch()
    await asyncio.to_thread(command.upgrade, config, "head")
    engine = make_engine(url)
    async with AsyncSession(engine, expire_on_commit=False) as db:
        tree = await f.tree(db)
        project = await f.project(db, tree.estate.id)
        plan = await f.published_plan(db, project.id, tree.estate.id)
        now = clock.now()
        ballots = {status: Ballot(project_id=project.id, estate_id=tree.estate.id, title=status, rule="civil_code_major",
                                  opens_at=now, closes_at=now + timedelta(days=1), status=status,
                                  decides_project=status == "closed", closed_at=now if status == "closed" else None)
                   for status in ("draft", "open", "closed")}
        db.add_all(ballots.values())
        bindings = {}
        for method in BindingMethod:
            user = await f.user(db)
            bindings[method] = await f.bind(db, user, tree.unit)
            bindings[method].method = method
            db.add(bindings[method])
        await db.commit()

    await asyncio.to_thread(command.downgrade, config, "0012")
    await asyncio.to_thread(command.upgrade, config, "head")
    async with AsyncSession(engine) as db:
        migrated = {b.title: b for b in (await db.exec(select(Ballot))).all()}
        assert migrated["closed"].status == "final" and migrated["closed"].finalized_at is not None
        assert migrated["closed"].plan_version_id == plan.id  # the version it decided on
        assert (migrated["open"].status, migrated["open"].min_assurance) == ("open", "invite_code")
        assert (migrated["draft"].status, migrated["draft"].min_assurance, migrated["draft"].notice_days) == (
            "draft", "phone_match", 15)
        assurance = {b.method: b.assurance for b in (await db.exec(select(UnitBinding))).all()}
        assert assurance == {"invite_code": "invite_code", "phone_match": "phone_match", "request": "in_person"}
    await engine.dispose()
