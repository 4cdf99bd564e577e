"""Who looked (docs/personal-information.md, PIPL art. 44): every answer showing staff a resident's full phone or unmasked
name records the read - viewer, subject, route, day, once per viewer, subject and day - and the resident
sees who looked, when and where. Masked answers record nothing."""

import random
import uuid
from datetime import timedelta

from sqlmodel import col, select

from app.auth.roles import Role
from app.core import clock
from app.privacy import disclosures
from app.privacy.models import DataAccess, SubjectKind
from app.registry.models import Person, UnitOccupant
from tests import factories as f
from tests.voting.conftest import API


async def _reads(db, subject_id) -> list[DataAccess]:
    return list((await db.exec(select(DataAccess).where(DataAccess.subject_id == subject_id)
                               .order_by(DataAccess.first_at))).all())


async def _owner(db, world) -> Person:
    """World A's owner of record (world B has one of the same name and phone)."""
    return (await db.exec(select(Person).join(UnitOccupant, col(UnitOccupant.person_id) == Person.id).where(
        UnitOccupant.unit_id == world.a.unit.id, Person.name == "黄军强"))).one()


async def test_a_grid_workers_reads_are_shown_to_the_resident(client, db, world):
    a = world.a
    person = await _owner(db, world)
    worker = await f.user(db, (Role.grid_worker, a.grid_id), display_name="张敏")
    wh = await f.headers(db, worker)
    resident = await f.user(db)
    await f.bind(db, resident, a.unit, person=person)
    rh = await f.headers(db, resident)
    neighbour = await f.user(db)
    await f.bind(db, neighbour, world.b.unit)

    for _ in range(2):
        assert (await client.get(f"{API}/grids/{a.grid_id}/roster", headers=wh)).status_code == 200
    assert (await client.get(f"{API}/units/{a.unit.id}", headers=wh)).json()["occupants"][0]["masked"] is False
    [read] = await _reads(db, person.id)  # one row per viewer, person and day
    assert (read.viewer_id, read.subject_kind, read.day) == (worker.id, SubjectKind.person,
                                                            clock.local_date(clock.now()))
    assert read.route == "GET /grids/{grid_id}/roster"  # the first route that showed it

    seen = (await client.get(f"{API}/me/data-access", headers=rh)).json()
    assert [(s["viewer_name"], s["route"], s["subject_kind"]) for s in seen["items"]] == [
        ("张敏", "GET /grids/{grid_id}/roster", "person")]
    assert (await client.get(f"{API}/me/data-access", headers=await f.headers(db, neighbour))).json()["items"] == []

    # The next day is another row.
    with clock.freeze(clock.now() + timedelta(days=1)):
        assert (await client.get(f"{API}/units/{a.unit.id}", headers=await f.headers(db, worker))).status_code == 200
    assert [r.route for r in await _reads(db, person.id)] == ["GET /grids/{grid_id}/roster",
                                                             "GET /units/{unit_id}"]


async def test_masked_answers_record_nothing(client, db, world):
    person = await _owner(db, world)
    committee = await f.user(db, (Role.committee_member, world.a.estate_id))
    resident = await f.user(db)
    await f.bind(db, resident, world.a.unit, person=person)
    for headers in (await f.headers(db, committee), await f.headers(db, resident)):
        body = (await client.get(f"{API}/units/{world.a.unit.id}", headers=headers)).json()
        assert body["occupants"][0]["masked"] is True
    assert await _reads(db, person.id) == []


async def test_staff_shown_an_accounts_phone_or_the_ledger_are_recorded(client, db, world):
    supervisor = await f.user(db, (Role.supervisor, world.a.project_id), phone="13900000055")
    admin = await f.user(db, (Role.admin, None))
    ah = await f.headers(db, admin)
    users = (await client.get(f"{API}/users", params={"limit": 200}, headers=ah)).json()["items"]
    assert "13900000055" in {u["phone"] for u in users}
    [read] = await _reads(db, supervisor.id)
    assert (read.viewer_id, read.subject_kind, read.route) == (admin.id, SubjectKind.user, "GET /users")
    # Managers see supervisors' phones in full; so is that recorded. Residents see them masked.
    staff = await f.user(db, (Role.community_staff, world.a.community_id))
    shown = (await client.get(f"{API}/projects/{world.a.project_id}/supervisors",
                              headers=await f.headers(db, staff))).json()
    assert shown[0]["phone"] == "13900000055"
    assert {r.viewer_id for r in await _reads(db, supervisor.id)} == {admin.id, staff.id}
    seen = (await client.get(f"{API}/me/data-access", headers=await f.headers(db, supervisor))).json()["items"]
    assert {s["route"] for s in seen} == {"GET /users", "GET /projects/{project_id}/supervisors"}

    r = await client.get(f"{API}/estates/{world.a.estate_id}/registry-export", params={"format": "csv"}, headers=ah)
    assert r.status_code == 200 and "13184986729" in r.content.decode("utf-8-sig")
    person = await _owner(db, world)
    assert [r.route for r in await _reads(db, person.id)] == ["GET /estates/{estate_id}/registry-export"]


async def test_one_row_per_viewer_subject_and_day_whatever_the_reads(db):
    viewers = [(await f.user(db)).id for _ in range(3)]
    subjects = [uuid.uuid4() for _ in range(4)]
    start = clock.now()
    rng = random.Random(7)
    expected = set()
    for _ in range(60):
        viewer, day = rng.choice(viewers), rng.randrange(3)
        persons = rng.sample(subjects, rng.randrange(1, 4))
        with clock.freeze(start + timedelta(days=day)):
            await disclosures.record(db, viewer, persons=persons, users=[viewer])  # one's own account: never
            expected |= {(viewer, p, clock.local_date(clock.now())) for p in persons}
    rows = (await db.exec(select(DataAccess).where(DataAccess.subject_id.in_(subjects)))).all()  # type: ignore[attr-defined]
    assert sorted((r.viewer_id, r.subject_id, r.day) for r in rows) == sorted(expected)
    assert not (await db.exec(select(DataAccess).where(DataAccess.subject_id.in_(viewers)))).all()  # type: ignore[attr-defined]
