"""Auth's read API: what other domains may know of accounts, as plain values.

- ``wechat_openids``: where a WeChat subscribe message for a user goes (notifications).
- ``is_active_account``, ``accounts_of``: who may be told anything; whose accounts are someone's own.
- ``contacts``, ``display_names``, ``actors``: the "who did it" of timelines and lists (name and role).
Who lives where is the residency domain's read API (``app.auth.residence`` its port).
"""

import functools
import uuid
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import ColumnElement, bindparam, exists, or_
from sqlalchemy.orm import Mapped
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import RoleAssignment, User
from app.auth.residence import approved_bindings
from app.auth.roles import Role

__all__ = ["ActorPublic", "accounts_of", "actors", "closed_at", "contacts", "display_names", "is_active_account",
           "wechat_openids"]


async def wechat_openids(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The WeChat openid of each given user that has one."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = await session.exec(
        select(User.id, User.wechat_openid)
        .where(col(User.id).in_(ids), col(User.wechat_openid).is_not(None))
    )
    # The query has no user without one; the check says so to the type checker.
    return {user_id: openid for user_id, openid in rows.all() if openid is not None}


def is_active_account(user_id: Mapped[uuid.UUID]) -> ColumnElement[bool]:
    """Condition that the account ``user_id`` (a column of the caller's query) is not disabled: looked up
    by its key for each row. (As ``IN (SELECT id FROM app_user WHERE is_active)`` SQLite read every account
    in the city to build the list, for each notice sent to an estate's residents or a ballot's owners.)"""
    return exists().where(col(User.id) == user_id, col(User.is_active).is_(True))


async def accounts_of(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> list[tuple[uuid.UUID, str | None]]:
    """The accounts of these people, with their phones: their own and every account they created
    (``User.created_by``): whoever acts on someone's behalf may not benefit any of them."""
    ids = list(set(user_ids))
    if not ids:
        return []
    rows = await session.exec(select(User.id, User.phone).where(or_(col(User.id).in_(ids), col(User.created_by).in_(ids))))
    return list(rows.all())


async def contacts(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str | None]]:
    """Each user's display name and phone (to be masked by the caller where the reader may not see it)."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = await session.exec(select(User.id, User.display_name, User.phone).where(col(User.id).in_(ids)))
    return {uid: (name, phone) for uid, name, phone in rows.all()}


async def display_names(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    return dict((await session.exec(select(User.id, User.display_name).where(col(User.id).in_(ids)))).all())


class ActorPublic(BaseModel):
    """Who did something, as a timeline shows them: name and the role they act in (their highest)."""

    id: uuid.UUID
    display_name: str
    role: Role | None


@functools.cache
def _actors_statement():
    """Each given user (``ids``) with a row per role they hold (None: no role) and whether an approved
    binding makes them a resident: one round trip. Built at the first call, once the residency domain
    provides its bindings (``app.auth.residence``), the ids bound when it runs."""
    approved = approved_bindings()
    resident = exists().where(approved.c.user_id == User.id)
    return (
        select(User.id, User.display_name, RoleAssignment.role, resident.label("resident"))
        .outerjoin(RoleAssignment, col(RoleAssignment.user_id) == User.id)
        .where(col(User.id).in_(bindparam("ids", expanding=True)))
    )


async def actors(session: AsyncSession, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, ActorPublic]:
    """Each user's name and highest role (admin first, resident last), in one query."""
    ids = list({i for i in user_ids if i is not None})
    if not ids:
        return {}
    names: dict[uuid.UUID, str] = {}
    held: dict[uuid.UUID, set[Role]] = {}
    for user_id, name, role, resident in (await session.exec(_actors_statement(), params={"ids": ids})).all():
        names[user_id] = name
        roles = held.setdefault(user_id, set())
        if role is not None:
            roles.add(Role(role))
        if resident:
            roles.add(Role.resident)
    order = list(Role)
    return {i: ActorPublic(id=i, display_name=names[i], role=min(held[i], key=order.index) if held[i] else None)
            for i in names}


async def closed_at(session: AsyncSession, user_id: uuid.UUID) -> datetime:
    """When the account was closed (注销); it must have been."""
    closed = (await session.exec(select(User.closed_at).where(User.id == user_id))).one()
    assert closed is not None
    return closed
