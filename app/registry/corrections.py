"""Correcting a unit's record from another domain - a ballot's electorate correction accepted by staff -
through the same audited path, and the same scope check, as ``PATCH /units/{id}``."""

import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.core.errors import Forbidden
from app.registry import access, service
from app.registry.models import PropertyUnit
from app.registry.schemas import UnitUpdate

__all__ = ["UnitUpdate", "correct_unit"]


async def correct_unit(session: AsyncSession, p: Principal, unit_id: uuid.UUID, data: UnitUpdate) -> None:
    """Apply ``data`` to the unit as ``p`` would through ``PATCH /units/{id}`` (403 outside their contact
    scope). People taken off the record have their bindings checked again (``registry.hooks``)."""
    unit = (await session.exec(select(PropertyUnit).where(
        PropertyUnit.id == unit_id, access.unit_condition(p, "contact")))).first()
    if unit is None:
        raise Forbidden()
    await service.update_unit(session, unit, data, actor_id=p.id)
