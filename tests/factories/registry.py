"""Registry factories: the street-to-unit chain, people on record, organisations."""

import uuid
from dataclasses import dataclass

from app.registry.models import (
    Building,
    Community,
    Entrance,
    Estate,
    Grid,
    OccupantRelation,
    Organization,
    OrganizationKind,
    Person,
    PropertyUnit,
    Street,
    UnitOccupant,
)
from tests.factories._base import add as _add
from tests.factories._base import n as _n


async def street(db, **kw) -> Street:
    return await _add(db, Street(**{"district": "测试区", "name": f"测试街道{_n()}", **kw}))


async def community(db, street_id: uuid.UUID | None = None, **kw) -> Community:
    street_id = street_id or (await street(db)).id
    return await _add(db, Community(**{"street_id": street_id, "name": f"测试社区{_n()}", **kw}))


async def estate(db, community_id: uuid.UUID | None = None, **kw) -> Estate:
    community_id = community_id or (await community(db)).id
    return await _add(db, Estate(**{"community_id": community_id, "name": f"测试小区{_n()}", **kw}))


async def grid(db, community_id: uuid.UUID, **kw) -> Grid:
    return await _add(db, Grid(**{"community_id": community_id, "name": f"第{_n()}网格", **kw}))


async def building(db, estate_id: uuid.UUID, grid_id: uuid.UUID | None = None, **kw) -> Building:
    return await _add(db, Building(**{"estate_id": estate_id, "grid_id": grid_id, "name": f"{_n()}栋", **kw}))


async def entrance(db, building_id: uuid.UUID, **kw) -> Entrance:
    return await _add(db, Entrance(**{"building_id": building_id, "name": f"{_n()}单元", **kw}))


async def unit(db, entrance_obj: Entrance, estate_id: uuid.UUID, **kw) -> PropertyUnit:
    values = {
        "estate_id": estate_id,
        "building_id": entrance_obj.building_id,
        "entrance_id": entrance_obj.id,
        "floor": 1,
        "room_number": str(100 + _n()),
        "area_centi": 8650,
        **kw,
    }
    return await _add(db, PropertyUnit(**values))


@dataclass
class Tree:
    """One chain of the registry: street > community > estate (with a grid) > building > entrance > unit."""

    street: Street
    community: Community
    estate: Estate
    grid: Grid
    building: Building
    entrance: Entrance
    unit: PropertyUnit


async def tree(db) -> Tree:
    street_obj = await street(db)
    community_obj = await community(db, street_obj.id)
    estate_obj = await estate(db, community_obj.id)
    grid_obj = await grid(db, community_obj.id)
    building_obj = await building(db, estate_obj.id, grid_obj.id)
    entrance_obj = await entrance(db, building_obj.id)
    unit_obj = await unit(db, entrance_obj, estate_obj.id)
    return Tree(street_obj, community_obj, estate_obj, grid_obj, building_obj, entrance_obj, unit_obj)


async def owner(db, unit_obj: PropertyUnit, name: str = "张三", phone: str | None = "13800138000",
                relation: OccupantRelation = OccupantRelation.owner) -> Person:
    person = await _add(db, Person(name=name, phone=phone))
    await _add(db, UnitOccupant(unit_id=unit_obj.id, person_id=person.id, relation=relation))
    return person


async def holding(db, unit_obj: PropertyUnit, person: Person,
                  relation: OccupantRelation = OccupantRelation.owner) -> UnitOccupant:
    """``person`` (already on record elsewhere) also holds ``unit_obj``: one owner of several units."""
    return await _add(db, UnitOccupant(unit_id=unit_obj.id, person_id=person.id, relation=relation))


async def organization(db, kind=None, **kw) -> Organization:
    return await _add(db, Organization(**{"name": f"测试单位{_n()}", "kind": kind or OrganizationKind.contractor, **kw}))
