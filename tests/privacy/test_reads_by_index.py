"""A person's data, closing their account, a page of complaints and the accounts a binding checks are found
through indexes, not by reading tables that grow with the city (bench/results.md, "2026-12-07, later").
Each statement these run is explained: on PostgreSQL with sequential scans priced out (``enable_seqscan =
off``), where a plan that still reads one of the growing tables whole has no index to use; on SQLite, whose
plans also show the foreign keys a delete checks, where such a read is a ``SCAN`` of the table."""

import uuid

from sqlmodel import col, select

from app.auth import reads as accounts
from app.auth.models import User
from app.auth.residence import OWNER_RELATIONS
from app.registry.models import PropertyUnit, UnitOccupant
from app.residency import reads as residency
from tests.explain import statements
from tests.privacy.activity import take_part
from tests.voting.conftest import API

# The tables that grow with residents and what they do; reference tables (streets, the item catalogue) may
# be read whole.
GROWING = {
    "app_user", "auth_session", "unit_binding", "person", "unit_occupant", "property_unit",
    "questionnaire_response", "questionnaire_answer", "plan_opinion", "plan_view", "ballot_cast", "ballot_choice",
    "ballot_voter", "ballot_voter_person", "ballot_voter_unit", "ballot_correction", "ballot_objection", "feedback",
    "rectification", "inspection", "notification_outbox", "inbox_message", "stored_file", "audit_entry",
    "data_access", "privacy_consent", "correction_request", "identity_check", "refresh_token", "role_assignment",
    "acceptance_signature",
}


def _whole_read(line: str, postgresql: bool) -> str | None:
    """The table a plan's line reads whole, if it does."""
    if postgresql:
        return line.split("Seq Scan on ")[1].split()[0] if "Seq Scan on " in line else None
    words = line.split()
    return words[1] if len(words) == 2 and words[0] == "SCAN" else None  # not "SCAN t USING ... INDEX"


async def _plan(db, statement: str, parameters) -> list[str]:
    conn = await db.connection()
    explain = "EXPLAIN " if conn.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    return [str(row[-1]) for row in (await conn.exec_driver_sql(explain + statement, parameters)).all()]


async def _whole_reads(db, seen: list[tuple[str, object]]) -> dict[str, list[str]]:
    """Each statement that would read a growing table whole, with those tables: on PostgreSQL a sequential
    scan left in the plan with sequential scans priced out; on SQLite a ``SCAN`` of the table itself (a
    read through an index says ``SEARCH``)."""
    conn = await db.connection()
    postgresql = conn.dialect.name == "postgresql"
    if postgresql:
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    found = {}
    for statement, parameters in seen:
        plan = await _plan(db, statement, parameters)
        tables = sorted({t for line in plan for t in [_whole_read(line, postgresql)] if t in GROWING})
        if tables:
            found[" ".join(statement.split())[:300]] = tables
    return found


async def test_a_persons_data_and_closing_their_account_read_through_indexes(client, db, estate):
    done = await take_part(client, db, estate)
    with statements(db) as seen:
        r = await client.get(f"{API}/me/data", headers=done.wang)
        assert r.status_code == 200, r.text
        assert r.json()["sections"]["votes"]["votes"] and r.json()["sections"]["plan_opinions"]
        r = await client.post(f"{API}/me/deletion", headers=done.wang)
        assert r.status_code == 200, r.text
    assert len(seen) > 20  # every section's reads, and the closing's
    assert await _whole_reads(db, seen) == {}


async def test_a_page_of_complaints_and_the_accounts_a_binding_checks_read_through_indexes(client, db, estate):
    done = await take_part(client, db, estate)
    with statements(db) as seen:
        r = await client.get(f"{API}/projects/{estate.side.project_id}/feedback", headers=estate.staff)
        assert r.status_code == 200 and [f["id"] for f in r.json()["items"]] == [done.feedback_id]
        assert await accounts.accounts_of(db, [done.wang_id, uuid.uuid4()])
    assert any("rectification" in s for s, _ in seen) and any("created_by" in s for s, _ in seen)
    assert await _whole_reads(db, seen) == {}


async def test_the_accounts_told_of_an_estates_news_or_of_a_ballot_are_found_through_indexes(db, estate):
    """Who is told of a project's news (the accounts bound to its estate's units) and of a ballot (those bound
    as its owners, persons on record): each account's state read by its key and an owner's bindings by the
    person (migration 0025) - on SQLite the accounts were all read to list the active ones, and on both
    databases an owner's bindings were found among every approved binding in the city."""
    units = select(PropertyUnit.id).where(PropertyUnit.estate_id == estate.side.estate_id)
    persons = select(UnitOccupant.person_id).where(col(UnitOccupant.unit_id).in_(list(estate.units.values())))
    with statements(db) as seen:
        told = await residency.residents(db, units)
        owners = await residency.bound_as(db, persons, OWNER_RELATIONS)
    names = {u.id: u.display_name for u in (await db.exec(select(User).where(col(User.id).in_(told)))).all()}
    assert sorted(names.values()) == ["li", "wang", "zhang", "zhao", "租户"]
    assert sorted(names[o] for o in owners) == ["li", "wang", "zhang", "zhao"]
    assert len(seen) == 2 and await _whole_reads(db, seen) == {}
    if (await db.connection()).dialect.name == "sqlite":  # PostgreSQL chooses by its statistics (a ballot of a
        # few owners in a city of bindings takes the index; bench/results.md), empty tables here
        assert "ix_unit_binding_person_status" in " ".join(await _plan(db, *seen[1]))
