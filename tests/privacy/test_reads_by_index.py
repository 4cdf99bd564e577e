"""A person's data, closing their account, a page of complaints and the accounts a binding checks are found
through indexes, not by reading tables that grow with the city (bench/results.md, "2026-12-07, later").
Each statement these run is explained (``tests.explain``)."""

import uuid

from sqlmodel import col, select

from app.auth import reads as accounts
from app.auth.models import User
from app.auth.residence import OWNER_RELATIONS
from app.registry.models import PropertyUnit, UnitOccupant
from app.residency import reads as residency
from tests.explain import plan, statements, whole_reads
from tests.privacy.activity import take_part
from tests.voting.conftest import API


async def test_a_persons_data_and_closing_their_account_read_through_indexes(client, db, estate):
    done = await take_part(client, db, estate)
    with statements(db) as seen:
        r = await client.get(f"{API}/me/data", headers=done.wang)
        assert r.status_code == 200, r.text
        assert r.json()["sections"]["votes"]["votes"] and r.json()["sections"]["plan_opinions"]
        r = await client.post(f"{API}/me/deletion", headers=done.wang)
        assert r.status_code == 200, r.text
    assert len(seen) > 20  # every section's reads, and the closing's
    assert await whole_reads(db, seen) == {}


async def test_a_page_of_complaints_and_the_accounts_a_binding_checks_read_through_indexes(client, db, estate):
    done = await take_part(client, db, estate)
    with statements(db) as seen:
        r = await client.get(f"{API}/projects/{estate.side.project_id}/feedback", headers=estate.staff)
        assert r.status_code == 200 and [f["id"] for f in r.json()["items"]] == [done.feedback_id]
        assert await accounts.accounts_of(db, [done.wang_id, uuid.uuid4()])
    assert any("rectification" in s for s, _ in seen) and any("created_by" in s for s, _ in seen)
    assert await whole_reads(db, seen) == {}


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
    assert len(seen) == 2 and await whole_reads(db, seen) == {}
    if (await db.connection()).dialect.name == "sqlite":  # PostgreSQL chooses by its statistics (a ballot of a
        # few owners in a city of bindings takes the index; bench/results.md), empty tables here
        assert "ix_unit_binding_person_status" in " ".join(await plan(db, *seen[1]))
