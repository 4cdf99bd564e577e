"""The voting tests' estate: world A's with owners of every kind, and helpers to open a ballot and vote."""

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import select

from app.auth.residence import BindingRelation
from app.auth.roles import Role
from app.core import clock
from app.registry.models import OccupantRelation, PersonKind
from tests import factories as f

API = "/api/v1"
NOTICE = timedelta(days=15, minutes=1)  # the Civil Code's fifteen days, and the time the test takes


@pytest.fixture
async def estate(db, world):
    """World A's estate (its own unit 8650 owned by 黄军强, nobody bound) and more: 张 owns 1-1-101..103, 李 and
    王 co-own 1-1-104, a work unit (原产权单位) owns 1-2-201 and 202, 赵 owns 1-2-203 where a tenant lives."""
    a = world.a
    e1 = await f.entrance(db, a.building.id, name="1单元")
    e2 = await f.entrance(db, a.building.id, name="2单元")
    units = {}
    for room, area, entrance in (("101", 8650, e1), ("102", 9000, e1), ("103", 7000, e1), ("104", 10000, e1),
                                 ("201", 5000, e2), ("202", 5050, e2), ("203", 6000, e2)):
        units[room] = await f.unit(db, entrance, a.estate_id, room_number=room, area_centi=area)
    zhang = await f.owner(db, units["101"], name="张三", phone="13800000001")
    for room in ("102", "103"):
        await f.holding(db, units[room], zhang)
    li = await f.owner(db, units["104"], name="李四", phone="13800000002")
    wang = await f.owner(db, units["104"], name="王五", phone="13800000003", relation=OccupantRelation.co_owner)
    works = await f.owner(db, units["201"], name="市电力公司", phone=None)
    works.kind = PersonKind.organization
    db.add(works)
    await f.holding(db, units["202"], works)
    zhao = await f.owner(db, units["203"], name="赵六", phone="13800000004")
    users = {}
    for name, person, room in (("zhang", zhang, "101"), ("li", li, "104"), ("wang", wang, "104"), ("zhao", zhao, "203")):
        users[name] = await f.user(db, display_name=name)
        relation = BindingRelation.co_owner if name == "wang" else BindingRelation.owner
        await f.bind(db, users[name], units[room], relation, person=person)
    tenant = await f.user(db, display_name="租户")
    await f.bind(db, tenant, units["203"], BindingRelation.tenant)
    staff = await f.user(db, (Role.community_staff, a.community_id))
    return SimpleNamespace(
        db=db, side=a, units={r: u.id for r, u in units.items()}, entrances=(e1.id, e2.id), units_obj=units,
        staff=await f.headers(db, staff), tenant=await f.headers(db, tenant),
        owners={name: await f.headers(db, u) for name, u in users.items()})


async def announced(client, estate, **body):
    """A ballot created and announced fifteen days ahead (the Civil Code's notice), not yet open."""
    now = clock.now()
    payload = {"title": "是否同意实施电力小区综合改造方案", "rule": "civil_code_major",
               "motions": [{"title": "同意改造方案第2版"}],
               "opens_at": (now + NOTICE).isoformat(), "closes_at": (now + NOTICE + timedelta(days=14)).isoformat(),
               **body}
    r = await client.post(f"{API}/projects/{estate.side.project_id}/ballots", headers=estate.staff, json=payload)
    assert r.status_code == 201, r.text
    r = await client.post(f"{API}/ballots/{r.json()['id']}/announce", headers=estate.staff)
    assert r.status_code == 200, r.text
    return r.json()


async def notice_served(db, ballot_id) -> None:
    """As if the notice period had passed: the ballot was announced fifteen days ago and opens now, its
    closing as far after as it was (the tests' logins would not outlive moving the clock fifteen days)."""
    from app.voting.models import Ballot

    row = await db.get(Ballot, uuid.UUID(str(ballot_id)))
    now = clock.now()
    row.announced_at, row.opens_at, row.closes_at = now - NOTICE, now, now + (row.closes_at - row.opens_at)
    db.add(row)
    await db.flush()


async def open_now(client, estate, ballot):
    """The ballot's notice served, opened."""
    await notice_served(estate.db, ballot["id"])
    r = await client.post(f"{API}/ballots/{ballot['id']}/open", headers=estate.staff)
    assert r.status_code == 200, r.text
    return r.json()


async def ballot(client, estate, **body):
    """A ballot announced, its notice period passed, and open."""
    return await open_now(client, estate, await announced(client, estate, **body))


async def to_voting(db, estate):
    """World A's project in the voting stage with its plan published (what a deciding ballot needs)."""
    from app.projects.models import Project, ProjectStatus

    project = (await db.exec(select(Project).where(Project.id == estate.side.project_id))).one()
    project.status = ProjectStatus.voting
    db.add(project)
    await db.flush()
    return await f.published_plan(db, project.id, project.estate_id)


async def vote(client, headers, ballot, *choices, **extra):
    body = {"choices": [{"motion_id": m["id"], "choice": c} for m, c in zip(ballot["motions"], choices, strict=True)]}
    return await client.post(f"{API}/ballots/{ballot['id']}/votes", headers=headers, json=body | extra)
