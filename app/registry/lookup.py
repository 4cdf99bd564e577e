"""Finding one's unit before being bound to it: the mini-program's pickers.

A resident not yet bound sees nothing of the registry, yet must name their unit to ask for a binding.
These reads give just enough to pick it - estates by name or community (or by the short code on a
notice's QR code), then building, entrance and room - and nothing about who lives there. Every call
counts towards a per-account allowance, so that a city's rooms cannot be listed wholesale.
"""

import uuid
from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.core import throttle
from app.core.errors import NotFound
from app.registry import reads
from app.registry.errors import LOOKUP_RATE_LIMITED
from app.registry.models import Building, Community, Entrance, Estate, PropertyUnit, Street
from app.registry.schemas import EstateLookup, PlaceLookup, RoomLookup

LOOKUPS_PER_HOUR = 200
LOOKUP_WINDOW = timedelta(hours=1)
ESTATE_RESULTS = 20


async def count_lookup(principal: Principal) -> None:
    """One more lookup for the caller; over the allowance, 429 with Retry-After."""
    wait = await throttle.allow(f"lookup:user:{principal.id}", LOOKUPS_PER_HOUR, LOOKUP_WINDOW)
    if wait is not None:
        raise LOOKUP_RATE_LIMITED(details={"retry_after_seconds": wait}, headers={"Retry-After": str(wait)})


def _estates():
    return (
        select(Estate, Community.name, Street.name, Street.district)
        .join(Community, col(Community.id) == Estate.community_id)
        .join(Street, col(Street.id) == Community.street_id)
    )


def _estate_lookup(row) -> EstateLookup:
    estate, community, street, district = row
    return EstateLookup(id=estate.id, name=estate.name, address=estate.address, community_name=community,
                        street_name=street, district=district, short_code=estate.short_code)


async def find_estates(session: AsyncSession, q: str, district: str | None) -> list[EstateLookup]:
    """Estates whose name, address or community contains ``q`` (in ``district`` if given)."""
    stmt = _estates().where(or_(col(Estate.name).contains(q), col(Estate.address).contains(q),
                                col(Community.name).contains(q)))
    if district:
        stmt = stmt.where(Street.district == district)
    rows = await session.exec(stmt.order_by(Street.district, Community.name, Estate.name).limit(ESTATE_RESULTS))
    return [_estate_lookup(r) for r in rows.all()]


async def estate_by_code(session: AsyncSession, code: str) -> EstateLookup:
    row = (await session.exec(_estates().where(Estate.short_code == reads.normal_code(code)))).first()
    if row is None:
        raise NotFound()
    return _estate_lookup(row)


async def _places(session: AsyncSession, model, parent_column, parent_model, parent_id: uuid.UUID) -> list[PlaceLookup]:
    """The named children of a parent, in name order; 404 when there is no such parent."""
    if await session.get(parent_model, parent_id) is None:
        raise NotFound()
    rows = await session.exec(select(model.id, model.name).where(parent_column == parent_id).order_by(model.name))
    return [PlaceLookup(id=i, name=n) for i, n in rows.all()]


async def buildings(session: AsyncSession, estate_id: uuid.UUID) -> list[PlaceLookup]:
    return await _places(session, Building, Building.estate_id, Estate, estate_id)


async def entrances(session: AsyncSession, building_id: uuid.UUID) -> list[PlaceLookup]:
    return await _places(session, Entrance, Entrance.building_id, Building, building_id)


async def rooms(session: AsyncSession, entrance_id: uuid.UUID) -> list[RoomLookup]:
    if await session.get(Entrance, entrance_id) is None:
        raise NotFound()
    rows = await session.exec(
        select(PropertyUnit.id, PropertyUnit.floor, PropertyUnit.room_number)
        .where(PropertyUnit.entrance_id == entrance_id)
        .order_by(col(PropertyUnit.floor), col(PropertyUnit.room_number))
    )
    return [RoomLookup(unit_id=i, floor=f, room_number=r) for i, f, r in rows.all()]
