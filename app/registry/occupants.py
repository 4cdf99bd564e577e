"""What other domains may write to a unit's record: a tenant, added by the owner who lets to them.

An owner may put a tenant on their own unit's record (to invite them); owners and co-owners come only
from the ledger and staff corrections, since they carry votes. The tenant is recorded by the owner's
account (``recorded_by``), so that account can never be the one bound as them.
"""

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import audit
from app.registry.models import OccupantRelation, Person, PersonKind, PropertyUnit, UnitOccupant
from app.registry.reads import Occupant


async def add_tenant(
    session: AsyncSession, unit_id: uuid.UUID, name: str, phone: str | None, recorded_by: uuid.UUID
) -> Occupant:
    unit = await session.get(PropertyUnit, unit_id)
    assert unit is not None  # the caller holds a binding to it
    person = Person(name=name, phone=phone, kind=PersonKind.natural)
    session.add(person)
    await session.flush()
    session.add(UnitOccupant(unit_id=unit_id, person_id=person.id, relation=OccupantRelation.tenant,
                             recorded_by=recorded_by))
    await session.flush()
    await audit.record(session, actor_id=recorded_by, action="unit.tenant_add", entity_type="unit",
                       entity_id=unit_id, after={"person_id": str(person.id), "relation": "tenant"},
                       estate_id=unit.estate_id)
    return Occupant(person.id, name, phone, OccupantRelation.tenant, recorded_by)
