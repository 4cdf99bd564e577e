"""Auth's read API: what other domains may know of accounts and who lives where, as plain values.

- ``wechat_openids``: where a WeChat subscribe message for a user goes (notifications).
- ``residents``: the accounts with an approved binding to some units - who to tell about their estate.
- ``display_names``: the "who did it" of timelines and lists.
"""

import uuid
from collections.abc import Collection, Iterable

from sqlalchemy import Select
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import BindingRelation, BindingStatus, UnitBinding, User

__all__ = ["BindingRelation", "display_names", "residents", "wechat_openids"]


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


async def display_names(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    return dict((await session.exec(select(User.id, User.display_name).where(User.id.in_(ids)))).all())
