"""Races of the procedure on real transactions (PostgreSQL runs them truly at once, SQLite serialises the
writers; the outcome must hold on both): a correction answered while the ballot opens, an objection filed
as the window closes, two staff answering one objection. The ballot's row lock orders them."""

import asyncio
import uuid
from datetime import timedelta

import httpx
from sqlmodel import select

from app.auth.residence import BindingRelation
from app.auth.roles import Role
from app.core import clock
from app.core.db import get_sessionmaker
from app.voting.models import Ballot, BallotStatus, ElectorateCorrection, Objection
from tests import factories as f

API = "/api/v1"


async def _world():
    """An estate with one owner bound as the person on record, staff, and a ballot (simple majority, no
    notice owed) announced, with one correction filed."""
    async with get_sessionmaker()() as session, session.begin():
        t = await f.tree(session)
        person = await f.owner(session, t.unit, name="业主", phone=None)
        owner = await f.user(session)
        await f.bind(session, owner, t.unit, BindingRelation.owner, person=person)
        project = await f.project(session, t.estate.id)
        return (await f.headers(session, owner), await f.headers(session, await f.user(session, (Role.admin, None))),
                await f.headers(session, await f.user(session, (Role.admin, None))), project.id, t.unit.id)


async def _announced(c, staff, project_id, unit_id, owner) -> dict:
    now = clock.now()
    r = await c.post(f"{API}/projects/{project_id}/ballots", headers=staff, json={
        "title": "表决", "rule": "simple_majority", "motions": [{"title": "同意"}], "notice_days": 0,
        "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=7)).isoformat()})
    ballot = r.json()
    assert (await c.post(f"{API}/ballots/{ballot['id']}/announce", headers=staff)).status_code == 200
    return ballot


async def _row(model, row_id):
    async with get_sessionmaker()() as session:
        return await session.get(model, uuid.UUID(str(row_id)))


async def test_a_correction_answered_while_the_ballot_opens(live_app, monkeypatch):
    """The answer holds the ballot's row shared while it corrects the registry; the opening (exclusive)
    waits for it and then finds every correction answered - never an electorate frozen with one open."""
    from app.registry import corrections as registry_corrections

    owner, staff, _, project_id, unit_id = await _world()
    inside, release = asyncio.Event(), asyncio.Event()
    correct_unit = registry_corrections.correct_unit

    async def slow_correct(*args, **kwargs):
        inside.set()
        await release.wait()
        return await correct_unit(*args, **kwargs)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        ballot = await _announced(c, staff, project_id, unit_id, owner)
        correction = (await c.post(f"{API}/ballots/{ballot['id']}/corrections", headers=owner, json={
            "unit_id": str(unit_id), "kind": "area_wrong", "note": "面积有误"})).json()
        monkeypatch.setattr(registry_corrections, "correct_unit", slow_correct)
        answer = asyncio.create_task(c.post(f"{API}/corrections/{correction['id']}/answer", headers=staff, json={
            "accepted": True, "reply": "已更正", "unit": {"area": "90.00"}}))
        await asyncio.wait_for(inside.wait(), 10)
        opening = asyncio.create_task(c.post(f"{API}/ballots/{ballot['id']}/open", headers=staff))
        await asyncio.sleep(0.5)
        assert not opening.done()  # waiting for the answer
        release.set()
        assert (await answer).status_code == 200
        opened = await opening
    assert opened.status_code == 200, opened.text
    assert opened.json()["total_area"] == "90.00"  # the corrected area was frozen
    assert (await _row(ElectorateCorrection, correction["id"])).answered_at is not None


async def test_an_objection_filed_as_the_window_closes_holds_the_result(live_app, monkeypatch):
    """The objection holds the ballot shared from its window check to its commit; the worker's finalisation
    (exclusive) waits, then finds the objection unanswered and leaves the result preliminary."""
    from app.voting import objections, procedure

    owner, staff, _, project_id, unit_id = await _world()
    inside, release = asyncio.Event(), asyncio.Event()
    may_object = procedure.may_object

    def checked(*args):
        allowed = may_object(*args)
        inside.set()
        return allowed

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        ballot = await _announced(c, staff, project_id, unit_id, owner)
        await c.post(f"{API}/ballots/{ballot['id']}/open", headers=staff)
        await c.post(f"{API}/ballots/{ballot['id']}/votes", headers=owner,
                     json={"choices": [{"motion_id": ballot["motions"][0]["id"], "choice": "approve"}]})
        assert (await c.post(f"{API}/ballots/{ballot['id']}/close", headers=staff)).status_code == 200
        # The window closes in a minute (the logins would not outlive moving the clock a week).
        async with get_sessionmaker()() as session, session.begin():
            closed = await session.get(Ballot, uuid.UUID(ballot["id"]))
            ends = clock.now() + timedelta(minutes=1)
            closed.closed_at = ends - timedelta(days=closed.objection_days)
            session.add(closed)

        original_file = objections.file

        async def slow_file(*args, **kwargs):
            result = await original_file(*args, **kwargs)
            await release.wait()  # filed, not committed yet, the ballot held shared
            return result

        monkeypatch.setattr(procedure, "may_object", checked)
        monkeypatch.setattr(objections, "file", slow_file)
        objecting = asyncio.create_task(c.post(f"{API}/ballots/{ballot['id']}/objections", headers=owner, json={
            "kind": "vote_missing", "note": "最后一刻的异议"}))
        await asyncio.wait_for(inside.wait(), 10)
        await asyncio.sleep(0.2)

        async def finalize_at_the_end():
            with clock.freeze(ends):
                async with get_sessionmaker()() as session, session.begin():
                    await objections.finalize_due(session)

        finalizing = asyncio.create_task(finalize_at_the_end())
        await asyncio.sleep(0.5)
        assert not finalizing.done()  # waiting for the objection's transaction
        release.set()
        assert (await objecting).status_code == 201
        await finalizing
    assert (await _row(Ballot, ballot["id"])).status == BallotStatus.closed  # one objection unanswered


async def test_two_staff_answering_one_objection(live_app):
    owner, staff, other_staff, project_id, unit_id = await _world()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        ballot = await _announced(c, staff, project_id, unit_id, owner)
        await c.post(f"{API}/ballots/{ballot['id']}/open", headers=staff)
        await c.post(f"{API}/ballots/{ballot['id']}/close", headers=staff)
        objection = (await c.post(f"{API}/ballots/{ballot['id']}/objections", headers=owner, json={
            "kind": "counted_wrong", "note": "计票有误"})).json()
        answers = await asyncio.gather(*[
            c.post(f"{API}/objections/{objection['id']}/answer", headers=h, json={"reply": f"答复{n}"})
            for n, h in enumerate([staff, other_staff] * 5)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 9, statuses
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"objection_already_answered"}
    stored = await _row(Objection, objection["id"])
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert stored.reply == winner["reply"]
    async with get_sessionmaker()() as session:
        assert len((await session.exec(select(Objection).where(
            Objection.ballot_id == uuid.UUID(ballot["id"])))).all()) == 1
