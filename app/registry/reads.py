"""The registry's read API: everything other domains may know of the ledger, as plain values.

Other domains never import the registry's tables; they call these functions (or put the subqueries
below into their own conditions). What comes back is frozen dataclasses, so nothing outside the registry
can change a ledger row by accident, and the registry can change its tables without breaking them.

- Scope: ``estate_ids`` / ``unit_ids`` (subqueries of what a principal may touch at a level) and
  ``require_estate`` (404 outside read scope, 403 below the level).
- Places: ``estate``, ``streets_of_estates``, ``building_names``, ``unit_labels``, ``unit_refs``,
  ``unit_in_scope``, ``units`` (the units of an estate or of some of its buildings or entrances).
- People on record: ``owners`` (each owner with their units and areas in a scope: the electorate of a
  ballot), ``occupants`` (everyone on one unit's record), ``person_on_record`` (a phone on a unit's
  record, for binding by phone match), ``person_names`` (the names of given persons).
- Organisations: ``organizations`` (names, kinds and streets).
- ``format_area``: an area in 0.01 m² as residents read it (8650 -> "86.50"); ``mask_phone`` (131****6729).
"""

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Select, or_
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.authz import in_ids, in_scope
from app.auth.principal import Principal
from app.registry import access
from app.registry.access import Level
from app.registry.areas import format_area
from app.registry.deps import estate_for
from app.registry.masking import mask_phone
from app.registry.models import (
    Building,
    Community,
    Entrance,
    Estate,
    OccupantRelation,
    Organization,
    OrganizationKind,
    Person,
    PersonKind,
    PropertyUnit,
    Street,
    UnitOccupant,
)

__all__ = [
    "EstateRef", "Occupant", "OccupantRelation", "OrganizationKind", "OrganizationRef", "OwnedUnit", "OwnerRecord",
    "PersonKind", "PersonOnRecord", "UnitLabel", "UnitRef", "building_names", "estate", "estates", "format_area", "estate_ids", "estate_in", "estate_unit_ids", "occupants", "occupants_of_units", "organizations", "owners",
    "mask_phone", "person_names", "person_on_record", "require_estate", "street_estate_ids", "streets_of_estates", "unit_ids", "unit_in_scope", "unit_labels", "unit_ref_columns", "unit_refs", "units",
    "units_in_scope",
]

OWNER_RELATIONS = (OccupantRelation.owner, OccupantRelation.co_owner)


# ---- scope ------------------------------------------------------------------------------------------


def estate_ids(p: Principal, level: Level = "read") -> Select:
    """Subquery of the ids of the estates ``p`` may touch at ``level``."""
    return select(Estate.id).where(access.estate_condition(p, level))


def estate_in(column: Any, p: Principal, level: Level = "read") -> ColumnElement[bool]:
    """``column`` (an estate id) is one of the estates ``p`` may touch at ``level`` (plain false for none)."""
    return in_scope(column, Estate.id, access.estate_condition(p, level))


def unit_ids(p: Principal, level: Level = "read", *, estate_id: uuid.UUID | None = None) -> Select:
    """Subquery of the ids of the units ``p`` may touch at ``level`` (optionally of one estate)."""
    stmt = select(PropertyUnit.id).where(access.unit_condition(p, level))
    return stmt if estate_id is None else stmt.where(PropertyUnit.estate_id == estate_id)


def street_estate_ids(street_ids: Collection[uuid.UUID]) -> Select:
    """Subquery of the ids of the estates of some streets (what street staff decide on)."""
    return select(Estate.id).join(Community, col(Community.id) == Estate.community_id).where(
        in_ids(Community.street_id, street_ids))


def estate_unit_ids(estate_id: uuid.UUID) -> Select:
    """Subquery of the ids of an estate's units (whom to tell about the estate: their residents)."""
    return select(PropertyUnit.id).where(PropertyUnit.estate_id == estate_id)


# ---- places -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstateRef:
    id: uuid.UUID
    name: str
    address: str | None
    community_id: uuid.UUID
    community_name: str
    street_id: uuid.UUID
    street_name: str
    district: str
    location: tuple[float, float] | None = None  # (latitude, longitude)

    @property
    def issuer(self) -> str:
        """Who issues the estate's notices, as a printed notice names them: its street and community."""
        return f"{self.street_name}{self.community_name}"


async def estate(session: AsyncSession, estate_id: uuid.UUID) -> EstateRef | None:
    """An estate with the names of its community, street and district."""
    return await _estate_where(session, Estate.id == estate_id)


async def estates(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, EstateRef]:
    """``estate`` of each of these estates, in one statement."""
    return {e.id: e for e in await _estates_where(session, col(Estate.id).in_(list(ids)))} if ids else {}


def normal_code(code: str) -> str:
    """An estate's short code as stored, from the code as typed off paper."""
    return code.strip().upper()


async def estate_by_code(session: AsyncSession, code: str) -> EstateRef | None:
    """The estate whose short code (printed on its notices, opened by their QR codes) this is."""
    return await _estate_where(session, Estate.short_code == normal_code(code))


async def estate_code(session: AsyncSession, estate_id: uuid.UUID) -> str | None:
    return (await session.exec(select(Estate.short_code).where(Estate.id == estate_id))).first()


async def _estate_where(session: AsyncSession, condition: Any) -> EstateRef | None:
    found = await _estates_where(session, condition)
    return found[0] if found else None


async def _estates_where(session: AsyncSession, condition: Any) -> list[EstateRef]:
    rows = await session.exec(
        select(Estate, Community, Street)
        .join(Community, col(Community.id) == Estate.community_id)
        .join(Street, col(Street.id) == Community.street_id)
        .where(condition)
    )
    return [
        EstateRef(e.id, e.name, e.address, c.id, c.name, s.id, s.name, s.district,
                  (e.latitude, e.longitude) if e.latitude is not None and e.longitude is not None else None)
        for e, c, s in rows.all()
    ]


async def require_estate(session: AsyncSession, p: Principal, estate_id: uuid.UUID, level: Level) -> EstateRef:
    """The estate if ``p`` may touch it at ``level``: 404 outside their read scope, 403 below ``level``."""
    await estate_for(session, p, estate_id, level)
    found = await estate(session, estate_id)
    assert found is not None  # just loaded in the same transaction
    return found


async def streets_of_estates(session: AsyncSession, ids: Collection[uuid.UUID] | Select) -> frozenset[uuid.UUID]:
    """The streets the given estates lie in (``ids`` may be a subquery)."""
    ids = ids if isinstance(ids, Select) else list(ids)
    rows = await session.exec(
        select(Community.street_id).join(Estate, col(Estate.community_id) == Community.id)
        .where(col(Estate.id).in_(ids)).distinct()
    )
    return frozenset(rows.all())


@dataclass(frozen=True)
class UnitLabel:
    label: str  # "1栋1单元101"
    estate_id: uuid.UUID
    estate_name: str

    @property
    def full(self) -> str:
        """The estate and the unit, as a notice names it: "电力小区1栋1单元101"."""
        return f"{self.estate_name}{self.label}"


def unit_label_columns() -> Any:
    """A subquery of every unit's label parts, to join by ``unit_id`` where a list needs its units' labels in
    the same statement: ``unit_id``, ``building``, ``entrance``, ``room``, ``estate_id``, ``estate_name``
    (``unit_label`` makes the ``UnitLabel`` of such a row)."""
    return (
        sa_select(col(PropertyUnit.id).label("unit_id"), col(Building.name).label("building"),
                  col(Entrance.name).label("entrance"), col(PropertyUnit.room_number).label("room"),
                  col(Estate.id).label("estate_id"), col(Estate.name).label("estate_name"))
        .join(Building, col(Building.id) == PropertyUnit.building_id)
        .join(Entrance, col(Entrance.id) == PropertyUnit.entrance_id)
        .join(Estate, col(Estate.id) == PropertyUnit.estate_id)
        .subquery("unit_label")
    )


def unit_label(building: str, entrance: str, room: str, estate_id: uuid.UUID, estate_name: str) -> UnitLabel:
    return UnitLabel(f"{building}{entrance}{room}", estate_id, estate_name)


async def unit_labels(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, UnitLabel]:
    """Human labels of units, in one query."""
    ids = list(set(ids))
    if not ids:
        return {}
    labels = unit_label_columns()
    rows = await session.exec(sa_select(labels).where(labels.c.unit_id.in_(ids)))  # type: ignore[call-overload]
    return {uid: unit_label(*parts) for uid, *parts in rows.all()}


async def building_names(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    return dict((await session.exec(select(Building.id, Building.name).where(col(Building.id).in_(ids)))).all())


class UnitRef(NamedTuple):
    """A unit as other domains know it. A named tuple: lists of an estate's units are made by the thousand."""

    id: uuid.UUID
    estate_id: uuid.UUID
    building_id: uuid.UUID
    building_name: str
    entrance_id: uuid.UUID
    entrance_name: str
    room_number: str
    area_centi: int  # registered floor area in 0.01 m²

    @property
    def label(self) -> str:
        return f"{self.building_name}{self.entrance_name}{self.room_number}"


# The columns of a UnitRef, in its order: plain rows, not entities (an estate's 10,000 units in a list
# cost a tenth of what loading them as objects does).
_UNIT_REF_COLUMNS = (col(PropertyUnit.id), col(PropertyUnit.estate_id), col(PropertyUnit.building_id),
                     col(Building.name), col(PropertyUnit.entrance_id), col(Entrance.name),
                     col(PropertyUnit.room_number), col(PropertyUnit.area_centi))


def _units_query():
    return (
        sa_select(*_UNIT_REF_COLUMNS)
        .join(Building, col(Building.id) == PropertyUnit.building_id)
        .join(Entrance, col(Entrance.id) == PropertyUnit.entrance_id)
    )


def _unit_ref(row) -> UnitRef:
    return UnitRef._make(row)


def unit_ref_columns() -> Any:
    """A subquery of every unit as a ``UnitRef`` (its columns in that order; ``.c[0]`` the unit's id,
    ``.c[1]`` its estate's), to join where a list needs its units in the same statement; ``UnitRef._make``
    makes the ``UnitRef`` of such a row's columns."""
    return _units_query().subquery("unit_ref")


async def unit_refs(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, UnitRef]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = await session.exec(_units_query().where(col(PropertyUnit.id).in_(ids)))
    return {(ref := _unit_ref(row)).id: ref for row in rows.all()}


async def unit_in_scope(session: AsyncSession, p: Principal, unit_id: uuid.UUID, level: Level) -> UnitRef | None:
    """The unit if ``p`` may touch it at ``level``, else None."""
    row = (await session.exec(_units_query().where(PropertyUnit.id == unit_id, access.unit_condition(p, level)))).first()
    return _unit_ref(row) if row else None


async def units_in_scope(
    session: AsyncSession, p: Principal, ids: Iterable[uuid.UUID], level: Level
) -> dict[uuid.UUID, UnitRef]:
    """Those of the units that ``p`` may touch at ``level`` (one query for a batch)."""
    ids = list(set(ids))
    if not ids:
        return {}
    rows = await session.exec(_units_query().where(col(PropertyUnit.id).in_(ids), access.unit_condition(p, level)))
    return {(ref := _unit_ref(row)).id: ref for row in rows.all()}


def _in_scope(stmt, estate_id: uuid.UUID, building_ids: Collection[uuid.UUID] | None,
              entrance_ids: Collection[uuid.UUID] | None):
    """Units of the estate, narrowed to the given buildings and/or entrances (either matching)."""
    stmt = stmt.where(PropertyUnit.estate_id == estate_id)
    narrowing = []
    if building_ids:
        narrowing.append(col(PropertyUnit.building_id).in_(list(building_ids)))
    if entrance_ids:
        narrowing.append(col(PropertyUnit.entrance_id).in_(list(entrance_ids)))
    if narrowing:
        stmt = stmt.where(or_(*narrowing))
    return stmt


def scope_unit_ids(estate_id: uuid.UUID, building_ids: Collection[uuid.UUID] | None = None,
                   entrance_ids: Collection[uuid.UUID] | None = None) -> Select:
    """Subquery of the units of an estate, or of some of its buildings or entrances."""
    return _in_scope(select(PropertyUnit.id), estate_id, building_ids, entrance_ids)


async def units(
    session: AsyncSession, estate_id: uuid.UUID, *, building_ids: Collection[uuid.UUID] | None = None,
    entrance_ids: Collection[uuid.UUID] | None = None, grid_id: uuid.UUID | None = None,
    visible_to: tuple[Principal, Level] | None = None,
) -> list[UnitRef]:
    """The units of an estate, or of some of its buildings or entrances, in building/entrance/room order;
    optionally only those of one grid, or only those a principal may touch at a level."""
    stmt = _in_scope(_units_query(), estate_id, building_ids, entrance_ids)
    if grid_id is not None:
        stmt = stmt.where(Building.grid_id == grid_id)
    if visible_to is not None:
        stmt = stmt.where(access.unit_condition(*visible_to))
    rows = await session.exec(stmt.order_by(col(Building.name), col(Entrance.name), col(PropertyUnit.room_number)))
    return [_unit_ref(row) for row in rows.all()]


# ---- people on record -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnedUnit:
    unit_id: uuid.UUID
    building_id: uuid.UUID
    entrance_id: uuid.UUID
    area_centi: int
    relation: OccupantRelation  # owner or co_owner


@dataclass(frozen=True)
class OwnerRecord:
    """A person owning units in the scope, with each of those units (and its area)."""

    person_id: uuid.UUID
    name: str
    kind: PersonKind  # an organisation that owns units (原产权单位) is one owner
    phone: str | None
    units: tuple[OwnedUnit, ...]

    @property
    def area_centi(self) -> int:
        return sum(u.area_centi for u in self.units)


async def owners(
    session: AsyncSession, estate_id: uuid.UUID, *, building_ids: Collection[uuid.UUID] | None = None,
    entrance_ids: Collection[uuid.UUID] | None = None,
) -> list[OwnerRecord]:
    """Every owner and co-owner on record of the units in scope, once per person, with their units there.

    Ordered by person id, units by unit id, so that a snapshot taken twice of an unchanged ledger is equal.
    """
    stmt = (
        # sqlmodel types select() for at most four columns (it takes any number).
        select(Person.id, Person.name, Person.kind, Person.phone, PropertyUnit.id, PropertyUnit.building_id,  # type: ignore[call-overload]
               PropertyUnit.entrance_id, PropertyUnit.area_centi, UnitOccupant.relation)
        .join(UnitOccupant, col(UnitOccupant.person_id) == Person.id)
        .join(PropertyUnit, col(PropertyUnit.id) == UnitOccupant.unit_id)
        .where(col(UnitOccupant.relation).in_(OWNER_RELATIONS))
    )
    rows = (await session.exec(_in_scope(stmt, estate_id, building_ids, entrance_ids))).all()
    people: dict[uuid.UUID, tuple[str, PersonKind, str | None]] = {}
    held: dict[uuid.UUID, list[OwnedUnit]] = defaultdict(list)
    for person_id, name, kind, phone, unit_id, building_id, entrance_id, area, relation in rows:
        people[person_id] = (name, kind, phone)
        held[person_id].append(OwnedUnit(unit_id, building_id, entrance_id, area, relation))
    return [OwnerRecord(pid, *people[pid], tuple(sorted(held[pid], key=lambda u: u.unit_id))) for pid in sorted(people)]


async def units_owned_by(
    session: AsyncSession, person_ids: Collection[uuid.UUID], estate_id: uuid.UUID, *,
    building_ids: Collection[uuid.UUID] | None = None, entrance_ids: Collection[uuid.UUID] | None = None,
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Of the given persons, the units in scope each owns or co-owns."""
    ids = list(set(person_ids))
    if not ids:
        return {}
    stmt = (select(UnitOccupant.person_id, UnitOccupant.unit_id)
            .join(PropertyUnit, col(PropertyUnit.id) == UnitOccupant.unit_id)
            .where(col(UnitOccupant.person_id).in_(ids), col(UnitOccupant.relation).in_(OWNER_RELATIONS)))
    out: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for person_id, unit_id in (await session.exec(_in_scope(stmt, estate_id, building_ids, entrance_ids))).all():
        out[person_id].append(unit_id)
    return out


@dataclass(frozen=True)
class Occupant:
    """A person on a unit's record, as the binding rules need them."""

    person_id: uuid.UUID
    name: str
    phone: str | None
    relation: OccupantRelation
    recorded_by: uuid.UUID | None  # who put them there by a correction; None for the imported ledger


async def occupants(session: AsyncSession, unit_id: uuid.UUID) -> list[Occupant]:
    """Everyone on the unit's record (owners, co-owners, tenants), in relation then name order."""
    return (await occupants_of_units(session, [unit_id])).get(unit_id, [])


async def occupants_of_units(session: AsyncSession, unit_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Occupant]]:
    """``occupants`` of many units in one query."""
    ids = list(set(unit_ids))
    if not ids:
        return {}
    rows = await session.exec(
        # sqlmodel types select() for at most four columns (it takes any number).
        select(UnitOccupant.unit_id, Person.id, Person.name, Person.phone, UnitOccupant.relation,  # type: ignore[call-overload]
               UnitOccupant.recorded_by)
        .join(UnitOccupant, col(UnitOccupant.person_id) == Person.id)
        .where(col(UnitOccupant.unit_id).in_(ids))
        .order_by(col(UnitOccupant.relation), col(Person.name), col(Person.id))
    )
    found: dict[uuid.UUID, list[Occupant]] = defaultdict(list)
    for unit_id, *occupant in rows.all():
        found[unit_id].append(Occupant(*occupant))
    return dict(found)


async def person_names(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The name of each given person on record."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    return dict((await session.exec(select(Person.id, Person.name).where(col(Person.id).in_(wanted)))).all())


@dataclass(frozen=True)
class PersonOnRecord:
    person_id: uuid.UUID
    relation: OccupantRelation


async def person_on_record(
    session: AsyncSession, unit_id: uuid.UUID, phone: str, relations: Collection[OccupantRelation] = OWNER_RELATIONS
) -> PersonOnRecord | None:
    """The person of the unit's record with this phone and one of ``relations``."""
    row = (
        await session.exec(
            select(UnitOccupant.person_id, col(UnitOccupant.relation))
            .join(Person, col(Person.id) == UnitOccupant.person_id)
            .where(UnitOccupant.unit_id == unit_id, col(UnitOccupant.relation).in_(list(relations)), Person.phone == phone)
            .order_by(col(UnitOccupant.relation))
            .limit(1)
        )
    ).first()
    return PersonOnRecord(row[0], row[1]) if row else None


# ---- organisations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganizationRef:
    id: uuid.UUID
    name: str
    kind: OrganizationKind
    street_id: uuid.UUID | None  # the street it serves (None: a city-level organisation, serving all)

    def serves(self, street_id: uuid.UUID) -> bool:
        return self.street_id is None or self.street_id == street_id


async def organizations(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrganizationRef]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = await session.exec(select(Organization).where(col(Organization.id).in_(ids)))
    return {o.id: OrganizationRef(o.id, o.name, o.kind, o.street_id) for o in rows.all()}
