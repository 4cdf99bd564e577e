"""The residency domain's read API: who lives where, as plain values, for the domains above it.

- ``residents``: the accounts with an approved binding to some units - who to tell about their estate.
- ``bound_as``: the accounts bound as some persons on record - who may cast an owner's vote.
- ``bound_units``: the units and persons some accounts are bound as - which households a notice reached.
- ``approved``: every approved binding as a query, which identity joins through its port
  (``app.auth.residence``): the principal's bindings, the resident role, the grid roster's bound units.
"""

import uuid
from collections.abc import Collection

from sqlalchemy import Select
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import reads as accounts
from app.auth.residence import OWNER_RELATIONS, BindingRelation
from app.residency.models import BindingStatus, UnitBinding

__all__ = ["OWNER_RELATIONS", "BindingRelation", "approved", "bound_as", "bound_units", "residents"]


def approved() -> Select:
    """Every approved binding: ``user_id``, ``unit_id``, ``person_id``, ``relation``, ``assurance``."""
    # SQLAlchemy's own select: sqlmodel's is typed for at most four columns.
    return sa_select(col(UnitBinding.user_id), col(UnitBinding.unit_id), col(UnitBinding.person_id),
                     col(UnitBinding.relation), col(UnitBinding.assurance)).where(
        col(UnitBinding.status) == BindingStatus.approved)


async def residents(
    session: AsyncSession, unit_ids: Collection[uuid.UUID] | Select,
    relations: Collection[BindingRelation] | None = None,
) -> list[uuid.UUID]:
    """The active accounts bound (approved) to any of the units, optionally only in some relations, in id
    order and each once. ``unit_ids`` may be a subquery (e.g. the registry's units of an estate)."""
    ids = unit_ids if isinstance(unit_ids, Select) else list(unit_ids)
    stmt = (
        select(UnitBinding.user_id)
        .where(col(UnitBinding.unit_id).in_(ids), UnitBinding.status == BindingStatus.approved,
               accounts.is_active_account(col(UnitBinding.user_id)))
    )
    if relations is not None:
        stmt = stmt.where(col(UnitBinding.relation).in_(list(relations)))
    return sorted(set((await session.exec(stmt)).all()))


async def bound_as(
    session: AsyncSession, person_ids: Collection[uuid.UUID] | Select, relations: Collection[BindingRelation],
) -> list[uuid.UUID]:
    """The active accounts bound (approved) as any of the persons on record in one of the relations, in id
    order and each once. ``person_ids`` may be a subquery."""
    ids = person_ids if isinstance(person_ids, Select) else list(person_ids)
    stmt = (
        select(UnitBinding.user_id)
        .where(col(UnitBinding.person_id).in_(ids), col(UnitBinding.relation).in_(list(relations)),
               UnitBinding.status == BindingStatus.approved, accounts.is_active_account(col(UnitBinding.user_id)))
    )
    return sorted(set((await session.exec(stmt)).all()))


async def bound_units(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]:
    """(user, unit, person on record) for every approved binding of the given accounts."""
    ids = list(set(user_ids))
    if not ids:
        return []
    rows = await session.exec(select(UnitBinding.user_id, UnitBinding.unit_id, UnitBinding.person_id).where(
        col(UnitBinding.user_id).in_(ids), UnitBinding.status == BindingStatus.approved))
    return list(rows.all())
