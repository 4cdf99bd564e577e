"""Concurrent casts on real transactions: one owner pressing "vote" on several devices at once, and two
co-owners of one unit at the same moment, give exactly one counted vote (the partial unique index on the
current cast; on SQLite the single writer lock)."""

import asyncio
import uuid
from datetime import timedelta

import httpx
from sqlmodel import func, select

from app.auth.residence import BindingRelation
from app.auth.roles import Role
from app.core import clock
from app.registry.models import OccupantRelation
from app.voting.models import BallotCast, BallotChoice
from tests import factories as f

API = "/api/v1"


async def _setup():
    from app.core.db import get_sessionmaker

    async with get_sessionmaker()() as session, session.begin():
        t = await f.tree(session)
        owner = await f.owner(session, t.unit, name="业主", phone=None)
        co_owner = await f.owner(session, t.unit, name="共有人", phone=None, relation=OccupantRelation.co_owner)
        users = []
        for person, relation in ((owner, BindingRelation.owner), (co_owner, BindingRelation.co_owner)):
            user = await f.user(session)
            await f.bind(session, user, t.unit, relation, person=person)
            users.append(await f.headers(session, user))
        project = await f.project(session, t.estate.id)
        staff = await f.headers(session, await f.user(session, (Role.admin, None)))
    return staff, users, project.id


async def test_fifty_concurrent_casts_count_once(live_app):
    staff, (owner, co_owner), project_id = await _setup()
    now = clock.now()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        r = await c.post(f"{API}/projects/{project_id}/ballots", headers=staff, json={
            "title": "表决", "rule": "simple_majority", "motions": [{"title": "同意"}],
            "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=7)).isoformat(), "notice_days": 0})
        assert (await c.post(f"{API}/ballots/{r.json()['id']}/announce", headers=staff)).status_code == 200
        ballot = (await c.post(f"{API}/ballots/{r.json()['id']}/open", headers=staff)).json()
        body = {"choices": [{"motion_id": ballot["motions"][0]["id"], "choice": "approve"}]}
        url = f"{API}/ballots/{ballot['id']}/votes"
        responses = await asyncio.gather(*[c.post(url, headers=owner if n % 2 else co_owner, json=body)
                                           for n in range(50)])
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * 49, statuses
        assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"already_voted"}
        turnout = (await c.get(f"{API}/ballots/{ballot['id']}/turnout", headers=staff)).json()
    assert turnout["participating"]["headcount"] == 1
    from app.core.db import get_sessionmaker

    ballot_id = uuid.UUID(ballot["id"])
    async with get_sessionmaker()() as session:
        casts = (await session.exec(select(func.count()).select_from(BallotCast)
                                    .where(BallotCast.ballot_id == ballot_id))).one()
        choices = (await session.exec(select(func.count()).select_from(BallotChoice)
                                      .where(BallotChoice.ballot_id == ballot_id))).one()
    assert (casts, choices) == (1, 1)


async def test_a_close_waits_for_a_cast_under_way_and_counts_it(live_app, monkeypatch):
    """A cast that found the ballot open but has not stored its vote yet holds the close back: the result
    the close keeps counts that vote (the cast shares a lock on the ballot row that the close takes
    exclusively). Before, the close could count and commit in between, and the vote was missing."""
    from app.voting import service

    staff, (owner, _), project_id = await _setup()
    now = clock.now()
    checked, release = asyncio.Event(), asyncio.Event()
    voter_of = service._voter_of

    async def slow_voter_of(*args, **kwargs):
        voter = await voter_of(*args, **kwargs)
        checked.set()
        await release.wait()
        return voter

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        r = await c.post(f"{API}/projects/{project_id}/ballots", headers=staff, json={
            "title": "表决", "rule": "simple_majority", "motions": [{"title": "同意"}],
            "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=7)).isoformat(), "notice_days": 0})
        assert (await c.post(f"{API}/ballots/{r.json()['id']}/announce", headers=staff)).status_code == 200
        ballot = (await c.post(f"{API}/ballots/{r.json()['id']}/open", headers=staff)).json()
        monkeypatch.setattr(service, "_voter_of", slow_voter_of)
        body = {"choices": [{"motion_id": ballot["motions"][0]["id"], "choice": "approve"}]}
        cast = asyncio.create_task(c.post(f"{API}/ballots/{ballot['id']}/votes", headers=owner, json=body))
        await asyncio.wait_for(checked.wait(), 10)
        close = asyncio.create_task(c.post(f"{API}/ballots/{ballot['id']}/close", headers=staff))
        await asyncio.sleep(0.5)
        assert not close.done()  # waiting for the cast
        release.set()
        assert (await cast).status_code == 201
        assert (await close).status_code == 200
        results = (await c.get(f"{API}/ballots/{ballot['id']}/results", headers=staff)).json()
    assert results["motions"][0]["participating"]["headcount"] == 1


async def _open_ballot(c: httpx.AsyncClient, staff, project_id) -> tuple[str, dict]:
    now = clock.now()
    r = await c.post(f"{API}/projects/{project_id}/ballots", headers=staff, json={
        "title": "表决", "rule": "simple_majority", "motions": [{"title": "同意"}],
        "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=7)).isoformat(), "notice_days": 0})
    assert (await c.post(f"{API}/ballots/{r.json()['id']}/announce", headers=staff)).status_code == 200
    ballot = (await c.post(f"{API}/ballots/{r.json()['id']}/open", headers=staff)).json()
    return f"{API}/ballots/{ballot['id']}/votes", {"choices": [{"motion_id": ballot["motions"][0]["id"], "choice": "approve"}]}


async def test_a_cast_never_waits_for_another_estates_audit_chain(postgres_live_app, monkeypatch):
    """One estate's chain is held (its head row locked, as a long chaining pass would): a cast in another
    estate completes and is chained at once, and so does a cast in the held estate, whose entries wait,
    pending, until the head is free. No cast touches a chain's head (on PostgreSQL in both runs: row locks
    per chain are PostgreSQL's; SQLite has one write lock for everything)."""
    from sqlalchemy import text

    from app.core import audit
    from app.core.config import get_settings
    from app.core.db import get_engine, get_sessionmaker
    from app.core.models import AuditEntry

    (staff, (held_owner, _), held_project), (_, (other_owner, _), other_project) = await _setup(), await _setup()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=postgres_live_app), base_url="http://test") as c:
        held_vote, other_vote = await _open_ballot(c, staff, held_project), await _open_ballot(c, staff, other_project)
    async with get_sessionmaker()() as session, session.begin():
        held_estate = str((await session.exec(select(AuditEntry.estate_id).where(
            AuditEntry.entity_id == held_vote[0].split("/")[-2], AuditEntry.estate_id.is_not(None)))).first())
        await audit.chain(session)  # every head exists, nothing pending

    monkeypatch.setattr(get_settings(), "audit_chain_after_commit", True)
    async with get_engine().connect() as holder:
        await holder.begin()
        await holder.execute(text("SELECT 1 FROM audit_head WHERE chain = :c FOR UPDATE"), {"c": held_estate})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=postgres_live_app), base_url="http://test") as c:
            other = await asyncio.wait_for(c.post(other_vote[0], headers=other_owner, json=other_vote[1]), 5)
            held = await asyncio.wait_for(c.post(held_vote[0], headers=held_owner, json=held_vote[1]), 5)
        assert (other.status_code, held.status_code) == (201, 201)
        await asyncio.wait_for(audit._chainer, 10)  # the background chainer: it gives up on the held chain
        async with get_sessionmaker()() as session:
            cast_entries = (await session.exec(select(AuditEntry.chain, AuditEntry.seq).where(
                AuditEntry.action == "ballot.cast", AuditEntry.entity_id.in_(
                    [other_vote[0].split("/")[-2], held_vote[0].split("/")[-2]])))).all()
        chained = {chain: seq is not None for chain, seq in cast_entries}
        assert len(chained) == 2 and chained[held_estate] is False and set(chained.values()) == {True, False}
        await holder.rollback()
    async with get_sessionmaker()() as session, session.begin():
        assert await audit.chain(session) == []
    async with get_sessionmaker()() as session:
        result = await audit.verify(session)
    assert result.ok and result.pending == 0
