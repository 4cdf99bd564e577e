"""The caller's own page: who they are here (``/me``) and what waits for them (``/me/tasks``).

Identity (``app.auth``) knows the account and its assigned roles; this domain knows where the caller
lives and, through the task sources the participation domains install (``todo``), what they are asked to
do. A resident role is not assigned: each approved binding is one, scoped to its unit.
"""

import functools

from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import users
from app.auth.principal import Principal
from app.auth.roles import Role, ScopeType
from app.auth.schemas import RoleScopePublic
from app.privacy import consents
from app.residency import service, todo
from app.residency.models import BindingStatus
from app.residency.schemas import MePublic, TasksPublic


@functools.cache
def _statement(asked: tuple[consents.Purpose, ...]) -> service.BindingsBeside:
    """/me's one statement for the consents asked (one per set of purposes, built once)."""
    return service.bindings_beside(consents.accepted_columns(service.CALLER, asked))


async def me(session: AsyncSession, principal: Principal) -> MePublic:
    user = principal.user
    asked = [consents.Purpose.service] + ([consents.Purpose.location] if Role.supervisor in principal.roles else [])
    bindings, accepted = await service.my_bindings_beside(session, user.id, _statement(tuple(asked)))
    roles = await users.assigned_roles(session, principal)
    # Each approved binding is a resident role scoped to its unit, named as the unit scope is named
    # (estate and unit), from the labels the bindings already carry.
    roles += [
        RoleScopePublic(role=Role.resident, scope_type=ScopeType.unit, scope_id=b.unit_id,
                        scope_name=f"{b.estate_name}{b.unit_label}")
        for b in bindings
        if b.status == BindingStatus.approved
    ]
    return MePublic(
        id=user.id, display_name=user.display_name, phone=user.phone, has_password=user.password_hash is not None,
        roles=roles,
        bindings=bindings,
        consents_needed=[p for p, ok in zip(asked, accepted, strict=True) if not ok],
    )


async def tasks(session: AsyncSession, principal: Principal) -> TasksPublic:
    return TasksPublic(unit_bindings=await service.pending_for_decider(session, principal),
                       **await todo.collect(session, principal))
