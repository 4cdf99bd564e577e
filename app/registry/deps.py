"""Resource loaders of the registry: fetch an object the caller may touch at the route's level, or refuse.

An object outside the caller's "read" scope is not found (404), so ids of other estates leak nothing.
An object the caller can read but not change at the level the route needs answers 403.
"""

import uuid
from typing import Annotated

from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.authz import load_scoped, loader, require_roles
from app.auth.principal import Principal
from app.auth.roles import Role
from app.registry import access
from app.registry.access import Level
from app.registry.models import Building, Community, Estate, Grid, PropertyUnit, RegistryImport, Street

EstateForRead = Annotated[Estate, loader(Estate, access.estate_condition, "read", param="estate_id")]
EstateForManage = Annotated[Estate, loader(Estate, access.estate_condition, "manage", param="estate_id")]
BuildingForRead = Annotated[Building, loader(Building, access.building_condition, "read", param="building_id")]
BuildingForManage = Annotated[Building, loader(Building, access.building_condition, "manage", param="building_id")]
UnitForRead = Annotated[PropertyUnit, loader(PropertyUnit, access.unit_condition, "read", param="unit_id")]
# PATCH of a unit: grid workers may correct the units of their grid.
UnitForContact = Annotated[PropertyUnit, loader(PropertyUnit, access.unit_condition, "contact", param="unit_id")]
GridForManage = Annotated[Grid, loader(Grid, access.grid_condition, "manage", param="grid_id")]
GridForContact = Annotated[Grid, loader(Grid, access.grid_condition, "contact", param="grid_id")]
ImportForManage = Annotated[RegistryImport, loader(RegistryImport, access.import_condition, "read", param="import_id")]

# Creating what has no parent in the registry: streets (admins), organisations (the clients of the works).
Admin = Annotated[Principal, require_roles(Role.admin)]
OrganizationCreator = Annotated[Principal, require_roles(Role.admin, Role.street_staff)]


async def street_for(session: AsyncSession, principal: Principal, street_id: uuid.UUID, level: Level) -> Street:
    return await load_scoped(session, Street, street_id, access.street_condition, principal, level)


async def community_for(
    session: AsyncSession, principal: Principal, community_id: uuid.UUID, level: Level
) -> Community:
    return await load_scoped(session, Community, community_id, access.community_condition, principal, level)


async def estate_for(session: AsyncSession, principal: Principal, estate_id: uuid.UUID, level: Level) -> Estate:
    return await load_scoped(session, Estate, estate_id, access.estate_condition, principal, level)
