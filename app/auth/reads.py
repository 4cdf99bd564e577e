"""Auth's read API: what other domains may know of accounts and who lives where, as plain values.

- ``wechat_openids``: where a WeChat subscribe message for a user goes (notifications).
- ``residents``: the accounts with an approved binding to some units - who to tell about their estate.
- ``bound_as``: the accounts bound as some persons on record - who may cast an owner's vote.
- ``bound_unit_ids``, ``binding_summary``: which units have bound accounts (grid rosters).
- ``display_names``, ``actors``: the "who did it" of timelines and lists (name and role).
"""

import uuid
from collections.abc import Collection, Iterable

from pydantic import BaseModel
from sqlalchemy import Select
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import BindingRelation, BindingStatus, RoleAssignment, UnitBinding, User
from app.auth.roles import Role

__all__ = ["ActorPublic", "BindingRelation", "actors", "binding_summary", "bound_as", "contacts", "bound_unit_ids", "display_names",
           "residents", "wechat_openids"]


async def wechat_openids(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The WeChat openid of each given user that has one."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = await session.exec(
        select(User.id, User.wechat_openid)
        .where(User.id.in_(ids), User.wechat_openid.is_not(None))
    )
    return dict(rows.all())


async def residents(
    session: AsyncSession, unit_ids: Collection[uuid.UUID] | Select,
    relations: Collection[BindingRelation] | None = None,
) -> list[uuid.UUID]:
    """The active accounts bound (approved) to any of the units, optionally only in some relations, in id
    order and each once. ``unit_ids`` may be a subquery (e.g. the registry's units of an estate)."""
    ids = unit_ids if isinstance(unit_ids, Select) else list(unit_ids)
    stmt = (
        select(UnitBinding.user_id)
        .join(User, User.id == UnitBinding.user_id)
        .where(UnitBinding.unit_id.in_(ids), UnitBinding.status == BindingStatus.approved, User.is_active.is_(True))
    )
    if relations is not None:
        stmt = stmt.where(UnitBinding.relation.in_(list(relations)))
    return sorted(set((await session.exec(stmt)).all()))


async def bound_as(
    session: AsyncSession, person_ids: Collection[uuid.UUID] | Select, relations: Collection[BindingRelation],
) -> list[uuid.UUID]:
    """The active accounts bound (approved) as any of the persons on record in one of the relations, in id
    order and each once. ``person_ids`` may be a subquery."""
    ids = person_ids if isinstance(person_ids, Select) else list(person_ids)
    stmt = (
        select(UnitBinding.user_id)
        .join(User, User.id == UnitBinding.user_id)
        .where(UnitBinding.person_id.in_(ids), UnitBinding.relation.in_(list(relations)),
               UnitBinding.status == BindingStatus.approved, User.is_active.is_(True))
    )
    return sorted(set((await session.exec(stmt)).all()))


async def contacts(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str | None]]:
    """Each user's display name and phone (to be masked by the caller where the reader may not see it)."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = await session.exec(select(User.id, User.display_name, User.phone).where(User.id.in_(ids)))
    return {uid: (name, phone) for uid, name, phone in rows.all()}


async def display_names(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    return dict((await session.exec(select(User.id, User.display_name).where(User.id.in_(ids)))).all())


class ActorPublic(BaseModel):
    """Who did something, as a timeline shows them: name and the role they act in (their highest)."""

    id: uuid.UUID
    display_name: str
    role: Role | None


async def actors(session: AsyncSession, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, ActorPublic]:
    """Each user's name and highest role (admin first, resident last), in two queries."""
    ids = list({i for i in user_ids if i is not None})
    if not ids:
        return {}
    names = await display_names(session, ids)
    held: dict[uuid.UUID, set[Role]] = {i: set() for i in names}
    for user_id, role in (await session.exec(
            select(RoleAssignment.user_id, RoleAssignment.role).where(RoleAssignment.user_id.in_(ids)))).all():
        held[user_id].add(role)
    bound = await session.exec(select(UnitBinding.user_id).where(
        UnitBinding.user_id.in_(ids), UnitBinding.status == BindingStatus.approved).distinct())
    for user_id in bound.all():
        held[user_id].add(Role.resident)
    order = list(Role)
    return {i: ActorPublic(id=i, display_name=names[i], role=min(held[i], key=order.index) if held[i] else None)
            for i in names}


def bound_unit_ids() -> Select:
    """Subquery of the units that have an approved binding."""
    return select(UnitBinding.unit_id).where(UnitBinding.status == BindingStatus.approved)


async def binding_summary(session: AsyncSession, unit_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, tuple[int, bool]]:
    """Per unit: how many accounts are bound to it (approved), and whether an owner or co-owner is."""
    ids = list(unit_ids)
    if not ids:
        return {}
    rows = await session.exec(
        select(UnitBinding.unit_id, UnitBinding.relation)
        .where(UnitBinding.unit_id.in_(ids), UnitBinding.status == BindingStatus.approved)
    )
    summary: dict[uuid.UUID, tuple[int, bool]] = {}
    for unit_id, relation in rows.all():
        count, owner = summary.get(unit_id, (0, False))
        summary[unit_id] = (count + 1, owner or relation in (BindingRelation.owner, BindingRelation.co_owner))
    return summary
