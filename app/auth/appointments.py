"""Appointing people to roles from another domain's side (supervisors of a project from supervision):
the same role assignments, rights and audit entries as ``POST /users/{id}/roles``, through one door."""

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import users
from app.auth.errors import ROLE_NOT_FOUND
from app.auth.models import RoleAssignment, User
from app.auth.principal import Principal
from app.auth.roles import Role
from app.auth.schemas import RoleAssign


async def appoint(session: AsyncSession, p: Principal, user_id: uuid.UUID, role: Role, scope_id: uuid.UUID) -> None:
    """Give ``user_id`` the role at the scope, as ``p`` (who must have the right to give it)."""
    await users.assign_role(session, p, user_id, RoleAssign(role=role, scope_id=scope_id))


async def dismiss(session: AsyncSession, p: Principal, user_id: uuid.UUID, role: Role, scope_id: uuid.UUID) -> None:
    assignment = (await session.exec(select(RoleAssignment.id).where(
        RoleAssignment.user_id == user_id, RoleAssignment.role == role, RoleAssignment.scope_id == scope_id))).first()
    if assignment is None:
        raise ROLE_NOT_FOUND()
    await users.revoke_role(session, p, user_id, assignment)


async def holders(session: AsyncSession, role: Role, scope_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The active accounts holding the role at each of the scopes."""
    out: dict[uuid.UUID, list[uuid.UUID]] = {s: [] for s in scope_ids}
    if not scope_ids:
        return out
    rows = await session.exec(select(RoleAssignment.scope_id, RoleAssignment.user_id)
                              .join(User, col(User.id) == RoleAssignment.user_id)
                              .where(RoleAssignment.role == role, col(RoleAssignment.scope_id).in_(scope_ids),
                                     col(User.is_active).is_(True))
                              .order_by(col(RoleAssignment.created_at)))
    for scope_id, user_id in rows.all():
        if scope_id is not None:  # always (one of scope_ids); the column may be null for unscoped roles
            out[scope_id].append(user_id)
    return out


async def scopes_of(session: AsyncSession, user_id: uuid.UUID, role: Role) -> set[uuid.UUID]:
    """The scopes at which the user holds the role (the organisations a contractor account works for)."""
    rows = await session.exec(select(RoleAssignment.scope_id).where(
        RoleAssignment.user_id == user_id, RoleAssignment.role == role))
    return {scope_id for scope_id in rows.all() if scope_id is not None}  # an unscoped role has none
