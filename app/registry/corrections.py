"""Correcting a unit's record from another domain - a ballot's electorate correction, a resident's request
to correct their own entry, accepted by staff - through the same audited path, and the same scope check,
as ``PATCH /units/{id}``."""

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.core import audit
from app.core.errors import Forbidden, NotFound
from app.registry import access, service
from app.registry.models import Person, PropertyUnit, UnitOccupant
from app.registry.schemas import UnitUpdate

__all__ = ["UnitUpdate", "correct_person", "correct_unit"]


async def correct_unit(session: AsyncSession, p: Principal, unit_id: uuid.UUID, data: UnitUpdate) -> None:
    """Apply ``data`` to the unit as ``p`` would through ``PATCH /units/{id}`` (403 outside their contact
    scope). People taken off the record have their bindings checked again (``registry.hooks``)."""
    unit = (await session.exec(select(PropertyUnit).where(
        PropertyUnit.id == unit_id, access.unit_condition(p, "contact")))).first()
    if unit is None:
        raise Forbidden()
    await service.update_unit(session, unit, data, actor_id=p.id)


async def correct_person(session: AsyncSession, p: Principal, unit_id: uuid.UUID, person_id: uuid.UUID, *,
                         name: str | None, phone: str | None) -> None:
    """Correct the name or phone of a person on the unit's record where it stands, at the request of that
    person (PIPL art. 46): the same human keeps their entry - on every unit they hold - and whatever was
    bound to it, unlike a replaced list of people (``correct_unit``). 403 outside ``p``'s contact scope, 404
    when the person is no longer on the unit's record. The log holds which fields changed, never values."""
    unit = (await session.exec(select(PropertyUnit).where(
        PropertyUnit.id == unit_id, access.unit_condition(p, "contact")))).first()
    if unit is None:
        raise Forbidden()
    person = (await session.exec(
        select(Person).join(UnitOccupant, col(UnitOccupant.person_id) == Person.id)
        .where(UnitOccupant.unit_id == unit_id, Person.id == person_id).with_for_update(of=Person))).first()
    if person is None:
        raise NotFound()
    changed = [field for field, value in (("name", name), ("phone", phone))
               if value is not None and value != getattr(person, field)]
    for field in changed:
        setattr(person, field, name if field == "name" else phone)
    if not changed:
        return
    session.add(person)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="person.correct", entity_type="person", entity_id=person.id,
                       after={"unit_id": str(unit_id), "fields": changed}, estate_id=unit.estate_id)
