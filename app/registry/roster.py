"""The grid worker's roster page in one SQL statement.

A page is its units (keyset-paged in door order: building, entrance, floor, room, id), each with its
building and entrance names, the people on its record (relation, then name order) and a summary of the
accounts bound to it. One statement reads it all as flat rows - one per unit and person on its record, a
unit with nobody on record once - in page order; they are grouped here:

    WITH roster_page AS (the page's units, building and entrance names: filters, cursor, ORDER BY,
                         LIMIT n + 1; read off the door-order index, so no sort),
         roster_bound AS (per unit of the page: approved bindings, whether an owner's is among them)
    SELECT ... FROM roster_page LEFT JOIN unit_occupant LEFT JOIN person LEFT JOIN roster_bound
    ORDER BY the page order, then relation, name, person id

Plain joins, ``count`` and ``max``, and for the filters a count per unit: the same on SQLite and PostgreSQL. The cursor is ``paginate``'s
(app.core.pagination): the same keys, encoding and checks, so a client pages exactly as before.
"""

import functools
import uuid
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Integer, String, bindparam, case, func, or_, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.residence import OWNER_RELATIONS, approved_bindings
from app.core import db
from app.core.pagination import PageParams, decode_cursor, encode_cursor, sort_attribute
from app.registry.areas import format_area
from app.registry.models import Building, Entrance, Person, PropertyUnit, UnitOccupant
from app.registry.schemas import RosterUnit

# Door order, unique together: the page's sort and cursor keys (as ``paginate`` reads them).
ORDER = tuple(sort_attribute(c) for c in (col(PropertyUnit.building_id), col(PropertyUnit.entrance_id),
                                      col(PropertyUnit.floor), col(PropertyUnit.room_number), col(PropertyUnit.id)))


@functools.cache
def statement(*, building: bool, unbound: bool, q: bool, after: bool) -> Any:
    """The one statement of a roster page of this shape (16 in all, each built once: building a statement
    costs more than running it), its values bound by name: ``grid_id``, ``limit`` (a page and one), and
    ``building_id``, ``q``, ``k0``..``k4`` (the cursor's keys) where the shape has them.

    Rows of (unit id, building id, building name, entrance id, floor, room, area, entrance name, person id,
    name, phone, relation, bound accounts, owner bound), in page order."""
    approved = approved_bindings()
    units = (
        sa_select(*ORDER, col(PropertyUnit.area_centi), col(Building.name).label("building_name"),
                  col(Entrance.name).label("entrance_name"))
        .join(Building, col(Building.id) == PropertyUnit.building_id)
        .join(Entrance, col(Entrance.id) == PropertyUnit.entrance_id)
        .where(col(Building.grid_id) == bindparam("grid_id"))
    )
    if building:
        units = units.where(col(PropertyUnit.building_id) == bindparam("building_id"))
    # Both filters are a count per unit, correlated on purpose: as ``NOT IN`` / ``IN`` (or ``EXISTS``)
    # PostgreSQL hashed every approved binding, or everyone whose name matched, in the city, and walked the
    # city's units for the grid's. Counted per unit as the page walks them, a filtered page costs at most
    # what the grid holds, and a page of common matches stops at its units.
    if unbound:
        units = units.where(sa_select(func.count()).select_from(approved).where(approved.c.unit_id == PropertyUnit.id)
                            .correlate(PropertyUnit).scalar_subquery() == 0)
    if q:
        text = bindparam("q", type_=String)
        named = (sa_select(func.count()).select_from(UnitOccupant).join(Person, col(Person.id) == UnitOccupant.person_id)
                 .where(col(UnitOccupant.unit_id) == PropertyUnit.id, col(Person.name).contains(text))
                 .correlate(PropertyUnit).scalar_subquery())
        units = units.where(or_(col(PropertyUnit.room_number).contains(text), named > 0))
    if after:
        keys = [bindparam(f"k{i}", type_=c.type) for i, c in enumerate(ORDER)]
        # The buildings before the cursor's are left out by their own key too: on the row comparison alone,
        # PostgreSQL walks every unit of each of them (a page late in a grid cost ten times an early one).
        units = units.where(col(Building.id) >= keys[0], tuple_(*ORDER) > tuple_(*keys))
    units_cte = units.order_by(*ORDER).limit(bindparam("limit", type_=Integer)).cte("roster_page")
    u = units_cte.c
    bound = (
        sa_select(approved.c.unit_id.label("unit_id"), func.count().label("accounts"),
                  func.max(case((approved.c.relation.in_(sorted(OWNER_RELATIONS)), 1), else_=0)).label("owner"))
        .where(approved.c.unit_id.in_(sa_select(u.id)))
        .group_by(approved.c.unit_id)
        .cte("roster_bound")
    )
    return (
        sa_select(u.id, u.building_id, u.building_name, u.entrance_id, u.floor, u.room_number, u.area_centi,
                  u.entrance_name, col(Person.id), col(Person.name), col(Person.phone),
                  col(UnitOccupant.relation), bound.c.accounts, bound.c.owner)
        .select_from(units_cte)
        .outerjoin(UnitOccupant, col(UnitOccupant.unit_id) == u.id)
        .outerjoin(Person, col(Person.id) == UnitOccupant.person_id)
        .outerjoin(bound, bound.c.unit_id == u.id)
        .order_by(u.building_id, u.entrance_id, u.floor, u.room_number, u.id,
                  col(UnitOccupant.relation), col(Person.name), col(Person.id))
    )


# A page validated at once, from plain values: a quarter of what building its hundred models one by one costs.
_PAGE = TypeAdapter(list[RosterUnit])


async def page(
    session: AsyncSession, grid_id: uuid.UUID, params: PageParams, *, building_id: uuid.UUID | None = None,
    unbound: bool = False, q: str | None = None,
) -> tuple[list[RosterUnit], str | None]:
    """One page of the grid's roster and the cursor of the next (None on the last page), in one query."""
    values: dict[str, Any] = {"grid_id": grid_id, "limit": params.limit + 1}
    if building_id is not None:
        values["building_id"] = building_id
    if q:
        values["q"] = q
    if params.cursor:
        values |= {f"k{i}": v for i, v in enumerate(decode_cursor(params.cursor, ORDER))}
    stmt = statement(building=building_id is not None, unbound=unbound, q=bool(q), after=bool(params.cursor))
    units: list[dict[str, Any]] = []
    key: list[Any] = []  # the last unit's sort key (ORDER's values)
    for (unit_id, unit_building_id, building_name, entrance_id, floor, room, area, entrance_name, person_id, name,
         phone, relation, accounts_, owner) in await db.rows(session, stmt, values):
        if not units or unit_id != units[-1]["unit_id"]:
            if len(units) == params.limit:  # the first unit of the next page: there is one
                return _PAGE.validate_python(units), encode_cursor(key)
            key = [unit_building_id, entrance_id, floor, room, unit_id]
            units.append({
                "unit_id": unit_id, "building_id": unit_building_id, "building_name": building_name,
                "entrance_id": entrance_id, "entrance_name": entrance_name, "floor": floor, "room_number": room,
                "area": format_area(area), "occupants": [], "bound_accounts": accounts_ or 0,
                "owner_bound": bool(owner),
            })
        if person_id is not None:  # None: nobody on record (the outer join's one row)
            units[-1]["occupants"].append({"person_id": person_id, "name": name, "phone": phone, "relation": relation})
    return _PAGE.validate_python(units), None
