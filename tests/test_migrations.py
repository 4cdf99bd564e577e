"""Migrations build the whole schema, match the models (`alembic check`), go down and up again, and on\nPostgreSQL two migrators started at once take turns (the advisory lock in migrations/env.py)."""

import asyncio
import itertools
import os
import re
import subprocess
import sys
import tempfile
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, make_url, text
from sqlalchemy.exc import DBAPIError
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


# The migration lock's number, read from migrations/env.py (which runs only inside Alembic).
MIGRATION_LOCK_KEY = int(re.search(r"^MIGRATION_LOCK_KEY = ([0-9_]+)$", (ROOT / "migrations" / "env.py").read_text(),
                                   re.M).group(1))
LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def _own_postgres_database(name: str) -> str:
    """A fresh PostgreSQL database for one test: beside APP_TEST_DATABASE_URL's when that is PostgreSQL,
    else on the server at 127.0.0.1 (skipped when none answers), named for this process so that the
    SQLite and PostgreSQL runs of CI, side by side, never share one."""
    if TEST_DATABASE_URL.startswith("postgresql"):
        url = make_url(TEST_DATABASE_URL)
        url = url.set(database=f"{url.database}_{name}")
    else:
        url = make_url(LOCAL_POSTGRES).set(database=f"app_test_{name}_{os.getpid()}")
    scratch = url.render_as_string(hide_password=False)
    try:
        await recreate_postgres_database(scratch)
    except (OSError, DBAPIError, TimeoutError) as exc:
        if TEST_DATABASE_URL.startswith("postgresql"):
            raise
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 to test the migration lock on ({type(exc).__name__})")
    return scratch


async def _drop_database(url: str) -> None:
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    await admin.dispose()


def _app_env(url: str) -> dict[str, str]:
    return {**os.environ, "APP_DATABASE_URL": url}


def _migrator(url: str) -> subprocess.Popen:
    """`python -m app migrate` on ``url``, its log (stderr) and output in one text pipe."""
    return subprocess.Popen([sys.executable, "-m", "app", "migrate"], cwd=ROOT, env=_app_env(url),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _alembic_current(url: str) -> str:
    done = subprocess.run([sys.executable, "-m", "alembic", "current"], cwd=ROOT, env=_app_env(url),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def test_two_migrators_started_at_once_both_succeed():
    """Two containers starting together on a new database: one migrates, the other waits for the lock,
    then finds the database at head and does nothing; both exit 0."""
    url = await _own_postgres_database("migration_lock")
    try:
        migrators = [_migrator(url), _migrator(url)]
        try:
            logs = [(await asyncio.to_thread(m.communicate, timeout=60))[0] for m in migrators]
        finally:
            for m in migrators:
                m.kill()
        assert [m.returncode for m in migrators] == [0, 0], logs
        assert sum("Running upgrade  -> 0001" in log for log in logs) == 1, logs  # the schema was made once
        assert (await asyncio.to_thread(_alembic_current, url)).endswith("(head)")
    finally:
        await _drop_database(url)


async def test_a_migrator_waits_while_the_lock_is_held():
    url = await _own_postgres_database("migration_wait")
    engine = make_engine(url)
    migrator: subprocess.Popen | None = None
    try:
        async with engine.connect() as holder:
            await holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await holder.commit()

            migrator = _migrator(url)
            assert migrator.stdout is not None
            lines: list[str] = []
            waiting = threading.Event()

            def read(stream=migrator.stdout) -> None:
                for line in stream:
                    lines.append(line)
                    if "Waiting for another migration" in line:
                        waiting.set()

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            assert await asyncio.to_thread(waiting.wait, 30), "".join(lines)
            await asyncio.sleep(1.5)  # three more polls: still waiting, nothing migrated
            assert migrator.poll() is None, "".join(lines)
            assert await _tables(url) == set()

            await holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await holder.commit()
        assert await asyncio.to_thread(migrator.wait, 60) == 0, "".join(lines)
        await asyncio.to_thread(reader.join, 10)
        assert any("Running upgrade" in line for line in lines), "".join(lines)
        assert (await asyncio.to_thread(_alembic_current, url)).endswith("(head)")
    finally:
        if migrator is not None:
            migrator.kill()
        await engine.dispose()
        await _drop_database(url)


async def test_0016_marks_the_first_row_of_every_answer_as_the_service_does():
    """Answers stored before 0016 get ``first_row`` from their order: one row per response and question."""
    from sqlmodel import select
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.surveys import logic, service
    from app.surveys.models import Questionnaire, QuestionnaireAnswer, QuestionnaireResponse
    from tests import factories as f

    url, config = await _scratch()
    await asyncio.to_thread(command.upgrade, config, "head")
    engine = make_engine(url)
    questions = [{"id": "repair", "type": "multiple_choice", "title": "修什么", "required": True, "max_choices": 3,
                  "options": [{"value": v, "label": v} for v in ("roof", "pipes", "roads")]},
                 {"id": "rank", "type": "ranking", "title": "先后",
                  "options": [{"value": v, "label": v} for v in ("a", "b")]},
                 {"id": "score", "type": "rating", "title": "评价", "min": 1, "max": 5}]

    async def flags() -> list[tuple]:
        async with AsyncSession(engine) as db:
            return sorted((await db.exec(select(QuestionnaireAnswer.response_id, QuestionnaireAnswer.question_id,
                                                QuestionnaireAnswer.choice, QuestionnaireAnswer.first_row))).all())

    async with AsyncSession(engine, expire_on_commit=False) as db:
        tree = await f.tree(db)
        project = await f.project(db, tree.estate.id)
        q = Questionnaire(project_id=project.id, estate_id=tree.estate.id, series_id=project.id, title="t",
                          questions=questions)
        db.add(q)
        await db.flush()
        parsed = service.questions_of(q)
        for answers in ({"repair": ["pipes", "roof", "roads"], "rank": ["b", "a"], "score": 4}, {"repair": ["roads"]}):
            normal, problems = logic.check_answers(parsed, [{"question_id": k, "value": v} for k, v in answers.items()])
            assert not problems
            response = QuestionnaireResponse(id=uuid.uuid4(), questionnaire_id=q.id, unit_id=tree.unit.id,
                                             building_id=tree.unit.building_id, respondent_key=str(uuid.uuid4()),
                                             recorded_by=None, channel="proxy", answers=normal, content_hash="0" * 64)
            db.add(response)
            await db.flush()
            db.add_all([QuestionnaireAnswer(**row) for row in service._answer_rows(response, parsed)])
        await db.commit()
    before = await flags()

    def firsts(rows: list[tuple]) -> list[tuple]:
        return sorted((response, question) for response, question, _, first in rows if first)

    # One first row per answered question of each response: repair twice, rank and score once.
    assert len(firsts(before)) == 4 == len(set(firsts(before)))

    await asyncio.to_thread(command.downgrade, config, "0015")
    await asyncio.to_thread(command.upgrade, config, "head")
    after = await flags()
    assert firsts(after) == firsts(before) and len(after) == len(before)
    ranked = {choice for _, question, choice, first in after if question == "rank" and first}
    assert ranked == {"b"}  # of a ranking, the first in rank
    await engine.dispose()


async def test_0017_keeps_the_chain_of_before_and_a_downgrade_relinks_one_chain():
    """Entries chained before 0017 form its "city" chain and still verify; estates' chains grow beside it;
    down to 0016, every entry is re-linked into the one chain of then, in the order recorded."""
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.core import audit
    from app.core.models import AuditEntry
    from tests import factories as f

    url, config = await _scratch()
    await asyncio.to_thread(command.upgrade, config, "0016")
    engine = make_engine(url)
    prev, now = audit.GENESIS_HASH, "2026-12-01 08:00:00+00:00"
    async with engine.begin() as conn:
        for seq in (1, 2):
            entry = AuditEntry(chain="", seq=seq, created_at=datetime.fromisoformat(now), action="test.old",
                               entity_type="thing", entity_id=str(seq), before=None, after={"v": seq})
            digest = audit.entry_hash(prev, entry)
            await conn.execute(text("INSERT INTO audit_entry (seq, created_at, action, entity_type, entity_id, after, "
                                    "prev_hash, hash) VALUES (:s, :t, 'test.old', 'thing', :e, :a, :p, :h)"),
                               {"s": seq, "t": entry.created_at, "e": str(seq), "a": f'{{"v": {seq}}}', "p": prev, "h": digest})
            prev = digest
        await conn.execute(text("UPDATE audit_head SET last_seq = 2, last_hash = :h"), {"h": prev})
    await asyncio.to_thread(command.upgrade, config, "head")

    async with AsyncSession(engine, expire_on_commit=False) as db:
        result = await audit.verify(db)
        assert (result.ok, result.checked) == (True, 2)
        estate = await f.estate(db)
        await audit.record(db, actor_id=None, action="test.new", entity_type="thing", entity_id="3", estate_id=estate.id)
        await audit.record(db, actor_id=None, action="test.new", entity_type="thing", entity_id="4")
        await audit.chain(db)
        await db.commit()
        result = await audit.verify(db)
        assert (result.ok, result.checked, result.pending) == (True, 4, 0)

    await asyncio.to_thread(command.downgrade, config, "0016")
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT seq, entity_id, prev_hash, hash FROM audit_entry ORDER BY seq"))).all()
        head = (await conn.execute(text("SELECT last_seq, last_hash FROM audit_head"))).one()
    assert [(seq, entity) for seq, entity, _, _ in rows] == [(1, "1"), (2, "2"), (3, "3"), (4, "4")]
    assert rows[1].hash == prev  # the entries of before kept their hashes
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))
    assert tuple(head) == (4, rows[-1].hash)

    await asyncio.to_thread(command.upgrade, config, "head")
    async with AsyncSession(engine) as db:
        result = await audit.verify(db)
        assert (result.ok, result.checked) == (True, 4)
    await engine.dispose()
