"""Resource loaders: fetch a registry object the caller may touch at a given level, or refuse.

An object outside the caller's "read" scope is not found (404), so ids of other estates leak nothing.
An object the caller can read but not change at the level the route needs answers 403.
"""

import uuid
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.deps import CurrentPrincipal
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.errors import Forbidden, NotFound
from app.registry import access
from app.registry.access import Level
from app.registry.models import Building, Community, Estate, Grid, PropertyUnit, Street

M = TypeVar("M", bound=SQLModel)
Condition = Callable[[Principal, Level], ColumnElement[bool]]


async def load_scoped(
    session: AsyncSession, model: type[M], obj_id: uuid.UUID, condition: Condition, principal: Principal,
    level: Level = "read",
) -> M:
    obj = (await session.exec(select(model).where(model.id == obj_id, condition(principal, "read")))).first()
    if obj is None:
        raise NotFound()
    if level != "read":
        allowed = (
            await session.exec(select(model.id).where(model.id == obj_id, condition(principal, level)))
        ).first()
        if allowed is None:
            raise Forbidden()
    return obj


async def _estate_for_read(estate_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Estate:
    return await load_scoped(session, Estate, estate_id, access.estate_condition, principal, "read")


async def _estate_for_manage(estate_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Estate:
    return await load_scoped(session, Estate, estate_id, access.estate_condition, principal, "manage")


async def _building_for_read(building_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Building:
    return await load_scoped(session, Building, building_id, access.building_condition, principal, "read")


async def _building_for_manage(
    building_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Building:
    return await load_scoped(session, Building, building_id, access.building_condition, principal, "manage")


async def _unit_for_read(unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> PropertyUnit:
    return await load_scoped(session, PropertyUnit, unit_id, access.unit_condition, principal, "read")


async def _unit_for_contact(unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> PropertyUnit:
    return await load_scoped(session, PropertyUnit, unit_id, access.unit_condition, principal, "contact")


async def _grid_for_manage(grid_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Grid:
    return await load_scoped(session, Grid, grid_id, access.grid_condition, principal, "manage")


EstateForRead = Annotated[Estate, Depends(_estate_for_read)]
EstateForManage = Annotated[Estate, Depends(_estate_for_manage)]
BuildingForRead = Annotated[Building, Depends(_building_for_read)]
BuildingForManage = Annotated[Building, Depends(_building_for_manage)]
UnitForRead = Annotated[PropertyUnit, Depends(_unit_for_read)]
# PATCH of a unit: grid workers may correct the units of their grid.
UnitForContact = Annotated[PropertyUnit, Depends(_unit_for_contact)]
GridForManage = Annotated[Grid, Depends(_grid_for_manage)]


async def street_for(session: AsyncSession, principal: Principal, street_id: uuid.UUID, level: Level) -> Street:
    return await load_scoped(session, Street, street_id, access.street_condition, principal, level)


async def community_for(
    session: AsyncSession, principal: Principal, community_id: uuid.UUID, level: Level
) -> Community:
    return await load_scoped(session, Community, community_id, access.community_condition, principal, level)
