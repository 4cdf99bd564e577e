"""The registry's read API, as other domains (voting, questionnaires, auth) use it."""

import pytest

from app.auth.roles import Role
from app.registry import reads
from app.registry.models import OccupantRelation, Person, PersonKind, UnitOccupant
from tests import factories as f
from tests.worlds import principal_of


@pytest.fixture
async def estate(db):
    """One estate: building 1 with entrances 1 and 2, building 2 with one entrance; owners across them."""
    t = await f.tree(db)
    e2 = await f.entrance(db, t.building.id)
    b2 = await f.building(db, t.estate.id, t.grid.id)
    e3 = await f.entrance(db, b2.id)
    u1 = t.unit  # 86.50 m²
    u2 = await f.unit(db, t.entrance, t.estate.id, area_centi=12000)
    u3 = await f.unit(db, e2, t.estate.id, area_centi=5000)
    u4 = await f.unit(db, e3, t.estate.id, area_centi=7001)
    zhang = await f.owner(db, u1, name="张伟", phone="13800000001")
    # 张伟 also owns u3 (two units in scope: one owner, the sum of the areas)
    db.add(UnitOccupant(unit_id=u3.id, person_id=zhang.id, relation=OccupantRelation.owner))
    li = await f.owner(db, u2, name="李娜", phone="13800000002")
    wang = await f.owner(db, u2, name="王芳", phone=None, relation=OccupantRelation.co_owner)
    await f.owner(db, u2, name="赵租客", phone="13800000003", relation=OccupantRelation.tenant)
    works = Person(name="原电力公司", kind=PersonKind.organization)
    db.add(works)
    await db.flush()
    db.add(UnitOccupant(unit_id=u4.id, person_id=works.id, relation=OccupantRelation.owner))
    await db.flush()
    return dict(t=t, b2=b2, e2=e2, e3=e3, units=(u1, u2, u3, u4), zhang=zhang, li=li, wang=wang, works=works)


async def test_owners_once_per_person_with_their_units_and_areas(db, estate):
    records = await reads.owners(db, estate["t"].estate.id)
    by_name = {r.name: r for r in records}
    assert set(by_name) == {"张伟", "李娜", "王芳", "原电力公司"}  # tenants are not owners
    zhang = by_name["张伟"]
    assert {u.unit_id for u in zhang.units} == {estate["units"][0].id, estate["units"][2].id}
    assert zhang.area_centi == 8650 + 5000
    assert by_name["王芳"].units[0].relation is OccupantRelation.co_owner
    assert by_name["原电力公司"].kind is PersonKind.organization and by_name["原电力公司"].area_centi == 7001
    assert [r.person_id for r in records] == sorted(r.person_id for r in records)
    assert await reads.owners(db, estate["t"].estate.id) == records  # the same snapshot twice


async def test_owners_narrowed_to_buildings_or_entrances(db, estate):
    t = estate["t"]
    in_b2 = await reads.owners(db, t.estate.id, building_ids=[estate["b2"].id])
    assert [r.name for r in in_b2] == ["原电力公司"]
    in_e2 = await reads.owners(db, t.estate.id, entrance_ids=[estate["e2"].id])
    assert [(r.name, r.area_centi) for r in in_e2] == [("张伟", 5000)]  # only the unit in scope counts
    either = await reads.owners(db, t.estate.id, building_ids=[estate["b2"].id], entrance_ids=[estate["e2"].id])
    assert {r.name for r in either} == {"张伟", "原电力公司"}
    other = await f.estate(db)
    assert await reads.owners(db, other.id) == []


async def test_units_estate_and_labels(db, estate):
    t = estate["t"]
    units = await reads.units(db, t.estate.id)
    assert {u.id for u in units} == {u.id for u in estate["units"]}
    assert {u.id for u in await reads.units(db, t.estate.id, building_ids=[estate["b2"].id])} == {estate["units"][3].id}
    found = await reads.estate(db, t.estate.id)
    assert (found.name, found.community_name, found.street_name, found.district) == (
        t.estate.name, t.community.name, t.street.name, t.street.district)
    labels = await reads.unit_labels(db, [t.unit.id])
    assert labels[t.unit.id].label == f"{t.building.name}{t.entrance.name}{t.unit.room_number}"
    assert (await reads.unit_refs(db, [t.unit.id]))[t.unit.id].label == labels[t.unit.id].label
    assert await reads.streets_of_estates(db, [t.estate.id]) == frozenset({t.street.id})


async def test_person_on_record_matches_owner_phones_only(db, estate):
    u2 = estate["units"][1]
    match = await reads.person_on_record(db, u2.id, "13800000002")
    assert match == reads.PersonOnRecord(estate["li"].id, OccupantRelation.owner)
    assert await reads.person_on_record(db, u2.id, "13800000003") is None  # the tenant
    assert await reads.person_on_record(db, estate["units"][0].id, "13800000002") is None  # another unit


async def test_scope_reads_follow_the_registry_rules(db, estate):
    t = estate["t"]
    grid_worker = await f.user(db, (Role.grid_worker, t.grid.id))
    outsider = await f.user(db, (Role.community_staff, (await f.community(db)).id))
    as_grid, as_outsider = await principal_of(db, grid_worker), await principal_of(db, outsider)
    assert (await reads.unit_in_scope(db, as_grid, t.unit.id, "contact")).id == t.unit.id
    assert await reads.unit_in_scope(db, as_grid, t.unit.id, "manage") is None
    assert await reads.unit_in_scope(db, as_outsider, t.unit.id, "read") is None
    assert t.estate.id in set((await db.exec(reads.estate_ids(as_grid, "contact"))).all())
    assert t.estate.id not in set((await db.exec(reads.estate_ids(as_outsider))).all())
