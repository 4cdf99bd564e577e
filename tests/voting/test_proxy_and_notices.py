"""Votes entered by grid workers (paper ballots, an organisation's authorisation), the results per
building, and what owners are told: when a ballot opens, and a day before it closes if they have not voted."""

from datetime import timedelta

from sqlmodel import select

from app.auth.roles import Role
from app.core import clock
from app.notifications.models import NotificationOutbox as Outbox
from app.voting import tasks
from tests import factories as f
from tests.files.conftest import PNG
from tests.voting.conftest import API, NOTICE
from tests.voting.conftest import ballot as _ballot
from tests.voting.conftest import vote as _vote


async def _upload(client, headers):
    r = await client.post(f"{API}/files", headers=headers, files={"file": ("表决票.png", PNG, "image/png")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _proxy(client, headers, ballot, voter_id, *choices, files, evidence="paper_ballot"):
    return await client.post(f"{API}/ballots/{ballot['id']}/proxy-votes", headers=headers, json={
        "voter_id": voter_id, "evidence": evidence, "evidence_file_ids": files,
        "choices": [{"motion_id": m["id"], "choice": c} for m, c in zip(ballot["motions"], choices, strict=True)]})


async def test_a_grid_worker_enters_paper_ballots_of_their_grid(client, db, estate, world):
    ballot = await _ballot(client, estate)
    grid = await world.headers_for(db, "grid_worker:in")
    waiting = (await client.get(f"{API}/ballots/{ballot['id']}/non-voters", headers=grid)).json()["items"]
    by_room = {u["room_number"]: u["voter_id"] for u in waiting}
    assert by_room["201"] == by_room["202"]  # the work unit's two units are one vote
    letter = await _upload(client, grid)

    # Evidence is required, and must be the worker's own upload.
    r = await _proxy(client, grid, ballot, by_room["201"], "approve", files=[])
    assert r.status_code == 422
    theirs = await _upload(client, estate.owners["zhang"])
    r = await _proxy(client, grid, ballot, by_room["201"], "approve", files=[theirs])
    assert r.status_code == 422 and r.json()["error"]["code"] == "file_not_usable"

    r = await _proxy(client, grid, ballot, by_room["201"], "approve", files=[letter], evidence="authorisation")
    assert r.status_code == 201, r.text
    assert (r.json()["channel"], r.json()["evidence"]) == ("proxy", "authorisation")
    # One vote per voter, whoever enters it.
    r = await _proxy(client, grid, ballot, by_room["201"], "oppose", files=[letter])
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_voted"
    # 赵 voted online; the paper ballot of his unit is refused the same way.
    assert (await _vote(client, estate.owners["zhao"], ballot, "oppose")).status_code == 201
    zhao_voter = next(u["voter_id"] for u in waiting if u["room_number"] == "203")
    r = await _proxy(client, grid, ballot, zhao_voter, "approve", files=[letter])
    assert r.status_code == 409
    rooms = {u["room_number"] for u in (await client.get(f"{API}/ballots/{ballot['id']}/non-voters",
                                                         headers=grid)).json()["items"]}
    assert not rooms & {"201", "202", "203"}

    # A grid worker of another grid of the estate, and one of another estate, cannot enter it.
    other_grid = await f.grid(db, world.a.community_id)
    await f.building(db, world.a.estate_id, grid_id=other_grid.id, name="9栋")
    elsewhere = await f.headers(db, await f.user(db, (Role.grid_worker, other_grid.id)))
    r = await _proxy(client, elsewhere, ballot, by_room["101"], "approve", files=[await _upload(client, elsewhere)])
    assert r.status_code == 404 and r.json()["error"]["code"] == "voter_not_found"
    outside = await world.headers_for(db, "grid_worker:out")
    r = await _proxy(client, outside, ballot, by_room["101"], "approve", files=[await _upload(client, outside)])
    assert r.status_code == 404
    # A resident cannot enter votes for others.
    r = await _proxy(client, estate.owners["zhang"], ballot, by_room["101"], "approve", files=[theirs])
    assert r.status_code == 403

    # The photo shows how the owners voted: ballot managers see it, residents do not.
    assert (await client.get(f"{API}/files/{letter}", headers=estate.staff)).status_code == 200
    assert (await client.get(f"{API}/files/{letter}", headers=estate.owners["zhang"])).status_code == 404

    # After close, the proxy vote counts like any other.
    await client.post(f"{API}/ballots/{ballot['id']}/close", headers=estate.staff)
    motion = (await client.get(f"{API}/ballots/{ballot['id']}/results", headers=estate.tenant)).json()["motions"][0]
    assert motion["approve"] == {"area": "100.50", "headcount": 1}
    assert motion["oppose"] == {"area": "60.00", "headcount": 1}
    r = await _proxy(client, grid, ballot, by_room["101"], "approve", files=[letter])
    assert r.status_code == 409 and r.json()["error"]["code"] == "ballot_closed"


async def test_results_per_building(client, db, estate, world):
    # 张 also owns a unit in a second building: he counts once in each, with his area there.
    second = await f.building(db, world.a.estate_id, grid_id=world.a.grid_id, name="2栋")
    unit = await f.unit(db, await f.entrance(db, second.id, name="1单元"), world.a.estate_id, room_number="301",
                        area_centi=7500)
    zhang = next(o for o in await _owners(db, estate.units_obj["101"]))
    await f.holding(db, unit, zhang)
    ballot = await _ballot(client, estate, motions=[{"title": "同意改造"}, {"title": "同意使用维修资金"}])
    assert (ballot["total_area"], ballot["total_headcount"]) == ("668.50", 5)
    await _vote(client, estate.owners["zhang"], ballot, "approve", "oppose")
    await _vote(client, estate.owners["zhao"], ballot, "oppose", "abstain")
    await client.post(f"{API}/ballots/{ballot['id']}/close", headers=estate.staff)
    results = (await client.get(f"{API}/ballots/{ballot['id']}/results", headers=estate.tenant)).json()
    by_id = {b["building_id"]: b for b in results["buildings"]}
    assert [b["building_name"] for b in results["buildings"]] == sorted(b["building_name"] for b in by_id.values())
    first_building, second_building = by_id[str(world.a.building.id)], by_id[str(second.id)]
    assert second_building["building_name"] == "2栋"
    assert (second_building["total"], second_building["participating"]) == (
        {"area": "75.00", "headcount": 1}, {"area": "75.00", "headcount": 1})
    assert [m["approve"] for m in second_building["motions"]] == [{"area": "75.00", "headcount": 1},
                                                                   {"area": "0.00", "headcount": 0}]
    # The first building holds all five voters: 张's three units there, and the rest.
    assert first_building["total"] == {"area": "593.50", "headcount": 5}
    assert first_building["participating"] == {"area": "306.50", "headcount": 2}
    m1, m2 = first_building["motions"]
    assert (m1["approve"], m1["oppose"]) == ({"area": "246.50", "headcount": 1}, {"area": "60.00", "headcount": 1})
    assert (m2["oppose"], m2["abstain"]) == ({"area": "246.50", "headcount": 1}, {"area": "60.00", "headcount": 1})
    # The ballot's own figures count 张 once, with all four units.
    assert results["motions"][0]["approve"] == {"area": "321.50", "headcount": 1}


async def _owners(db, unit):
    from app.registry.models import Person, UnitOccupant

    return (await db.exec(select(Person).join(UnitOccupant, UnitOccupant.person_id == Person.id)
                          .where(UnitOccupant.unit_id == unit.id))).all()


async def _told(db, template):
    return sorted((await db.exec(select(Outbox.user_id).where(Outbox.template == template))).all())


async def test_owners_are_told_when_it_opens_and_reminded_a_day_before_it_closes(client, db, estate):
    ballot = await _ballot(client, estate)
    owners = await _user_ids(db, "zhang", "li", "wang", "zhao")
    assert await _told(db, "ballot_open") == sorted(owners.values())  # owners with an account; not the tenant
    await _vote(client, estate.owners["li"], ballot, "approve")  # the co-owners' vote is cast

    closes = clock.now().fromisoformat(ballot["closes_at"])
    with clock.freeze(closes - timedelta(hours=25)):
        await tasks.remind_due(db)
    assert await _told(db, "ballot_closing") == []
    with clock.freeze(closes - timedelta(hours=23)):
        await tasks.remind_due(db)
        await tasks.remind_due(db)  # once only
    assert await _told(db, "ballot_closing") == sorted([owners["zhang"], owners["zhao"]])


async def test_a_ballot_open_for_less_than_a_day_sends_no_reminder(client, db, estate):
    await _ballot(client, estate, closes_at=(clock.now() + NOTICE + timedelta(hours=20)).isoformat())
    await tasks.remind_due(db)
    assert await _told(db, "ballot_closing") == []


async def _user_ids(db, *names):
    from app.auth.models import User

    return {name: (await db.exec(select(User.id).where(User.display_name == name))).one() for name in names}
