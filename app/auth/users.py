"""Accounts: the caller's own (its WeChat-verified phone, its roles as ``/me`` shows them), and staff
accounts with their role assignments (/users).

Which role may be given where is decided by the pure rule in ``app.auth.rules``; this module only looks
up where a scope object sits (its street and community) and applies the answer.
"""

import uuid
from collections import defaultdict

from sqlalchemy import exists, false, or_, true, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.errors import (
    ACCOUNT_NOT_STAFF,
    ACCOUNT_SELF_CHANGE,
    PHONE_IN_USE,
    PHONE_IN_USE_STAFF,
    PHONE_UNSUPPORTED,
    ROLE_EXISTS,
    ROLE_NOT_ASSIGNABLE,
    ROLE_NOT_FOUND,
    ROLE_SCOPE_INVALID,
    ROLE_SELF_ASSIGNMENT,
    WECHAT_NOT_LOGGED_IN,
)
from app.auth.models import AuthSession, Role, RoleAssignment, ScopeType, User
from app.auth.principal import Principal
from app.auth.roles import ROLE_SCOPE
from app.auth.rules import Ancestry, Assigner, is_mobile_phone, may_assign
from app.auth.schemas import (
    RoleAssign,
    RoleAssignmentPublic,
    RoleScopePublic,
    UserCreate,
    UserPublic,
)
from app.auth.scopes import registered, scope_kind
from app.core import audit, clock, pools
from app.core.errors import AppError, NotFound
from app.core.pagination import PageParams, paginate
from app.core.security import hash_password
from app.privacy import disclosures
from app.wechat.client import WechatClient


async def scope_names(session: AsyncSession, scopes: list[tuple[ScopeType, uuid.UUID | None]]) -> dict:
    """Names of scope objects keyed by (scope type, id): one query per scope type, not per row."""
    by_type: dict[ScopeType, set[uuid.UUID]] = defaultdict(set)
    for scope_type, scope_id in scopes:
        if scope_id is not None:
            by_type[scope_type].add(scope_id)
    names: dict[tuple[ScopeType, uuid.UUID], str] = {}
    for scope_type, ids in by_type.items():
        if (kind := scope_kind(scope_type)) is not None:
            names.update({(scope_type, i): n for i, n in (await kind.names(session, ids)).items()})
    return names


async def _assignments_public(session: AsyncSession, assignments: list[RoleAssignment]) -> list[RoleAssignmentPublic]:
    names = await scope_names(session, [(a.scope_type, a.scope_id) for a in assignments])
    return [
        RoleAssignmentPublic(id=a.id, role=a.role, scope_type=a.scope_type, scope_id=a.scope_id,
                             scope_name=names.get((a.scope_type, a.scope_id)))
        for a in assignments
    ]


async def bind_phone(session: AsyncSession, wechat: WechatClient, user_id: uuid.UUID, code: str) -> User:
    """Set the caller's phone to the number WeChat verified for them."""
    user = (await session.exec(select(User).where(User.id == user_id))).one()
    if user.wechat_openid is None:
        # Only a WeChat login can prove a phone through getPhoneNumber; staff phones are set by admins.
        raise WECHAT_NOT_LOGGED_IN()
    phone = await wechat.phone_number(session, code)
    if not is_mobile_phone(phone):
        # WeChat also verifies numbers outside the mainland; they are not valid accounts here.
        raise PHONE_UNSUPPORTED()
    holder = (await session.exec(select(User).where(User.phone == phone, User.id != user.id))).first()
    if holder is not None:
        # Never merge accounts automatically: the other account may be a staff member's or a mistake.
        raise (PHONE_IN_USE_STAFF if holder.password_hash else PHONE_IN_USE)()
    before = audit.snapshot({"phone": user.phone})
    user.phone = phone
    session.add(user)
    await session.flush()
    await audit.record(session, actor_id=user.id, action="user.phone_bind", entity_type="user", entity_id=user.id,
                       before=before, after=audit.snapshot({"phone": phone}))
    return user


async def assigned_roles(session: AsyncSession, principal: Principal) -> list[RoleScopePublic]:
    """The caller's assigned roles with their scopes' names, highest role first (``/me``)."""
    assignments = sorted(principal.assignments, key=lambda a: (list(Role).index(a.role), str(a.scope_id)))
    return [RoleScopePublic(**a.model_dump(exclude={"id"})) for a in await _assignments_public(session, assignments)]


# ---- visibility of users ----------------------------------------------------------------------------


def _visible_assignments(principal: Principal):
    """Condition on ``RoleAssignment``: the roles scoped inside what the principal manages (all, for an
    admin). Others' roles elsewhere are none of their business, in lists as in a user's detail."""
    if principal.is_admin:
        return true()
    inside = [(t, kind.managed_ids(principal)) for t, kind in registered().items() if kind.managed_ids]
    return or_(false(), *[(col(RoleAssignment.scope_type) == t) & col(RoleAssignment.scope_id).in_(ids) for t, ids in inside])


def _visible_users(principal: Principal):
    """Condition on ``User``: admins see every staff-like account (a password or a role); street and
    community staff see the holders of roles scoped inside what they manage (contractor accounts of their
    streets' organisations included). Said as the accounts' ids, found from the few holding a password (an
    index of their own) or a role: said as a condition on each account, it had the database read every
    resident's account in the city to list the staff."""
    if principal.is_admin:
        return col(User.id).in_(select(User.id).where(col(User.password_hash).is_not(None))
                                .union(select(RoleAssignment.user_id)))
    return col(User.id).in_(select(RoleAssignment.user_id).where(_visible_assignments(principal)))


async def _users_public(
    session: AsyncSession, principal: Principal, users: list[User], assignments: list[RoleAssignment] | None = None
) -> list[UserPublic]:
    """Users with the roles the principal may see; ``assignments`` are loaded in one query unless given.
    Their phones are shown in full, which is recorded (who looked)."""
    if assignments is None:
        ids = [u.id for u in users]
        assignments = list(
            (
                await session.exec(
                    select(RoleAssignment)
                    .where(col(RoleAssignment.user_id).in_(ids), _visible_assignments(principal))
                    .order_by(col(RoleAssignment.created_at), col(RoleAssignment.id))
                )
            ).all()
        ) if ids else []
    public = await _assignments_public(session, assignments)
    by_user: dict[uuid.UUID, list[RoleAssignmentPublic]] = defaultdict(list)
    for a, p in zip(assignments, public, strict=True):
        by_user[a.user_id].append(p)
    out = [
        UserPublic(id=u.id, display_name=u.display_name, phone=u.phone, has_password=u.password_hash is not None,
                   is_active=u.is_active, roles=by_user[u.id], created_at=u.created_at)
        for u in users
    ]
    await disclosures.record(session, principal.id, users=[u.id for u in users if u.phone])
    return out


async def list_users(session: AsyncSession, principal: Principal, params: PageParams) -> tuple[list[UserPublic], str | None]:
    stmt = select(User).where(_visible_users(principal))
    rows, cursor = await paginate(session, stmt, [col(User.created_at), col(User.id)], params)
    return await _users_public(session, principal, rows), cursor


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> UserPublic:
    user = (await session.exec(select(User).where(User.id == user_id, _visible_users(principal)))).first()
    if user is None:
        raise NotFound()
    return (await _users_public(session, principal, [user]))[0]


async def _new_account(session: AsyncSession, actor_id: uuid.UUID | None, body: UserCreate) -> User:
    """An account with a password, made by ``actor_id`` (None: the server's console) and audited."""
    if (await session.exec(select(User.id).where(User.phone == body.phone))).first() is not None:
        raise PHONE_IN_USE()
    # argon2 is CPU work: in a thread, so that it does not stall the event loop.
    password_hash = await pools.run_in(pools.PASSWORDS, hash_password, body.password)
    user = User(display_name=body.display_name, phone=body.phone, password_hash=password_hash, created_by=actor_id)
    session.add(user)
    await session.flush()
    await audit.record(session, actor_id=actor_id, action="user.create", entity_type="user", entity_id=user.id,
                       after=audit.snapshot(user))
    return user


async def create_user(session: AsyncSession, principal: Principal, body: UserCreate) -> UserPublic:
    user = await _new_account(session, principal.id, body)
    return (await _users_public(session, principal, [user], []))[0]


async def create_admin(session: AsyncSession, body: UserCreate) -> User:
    """A deployment's first administrator (``python -m app create-admin``, docs/deployment.md): an account
    with a password and the admin role, made at the server's console - whoever can run commands there
    reaches the database anyway. Every later account and role is given through the API by someone who holds
    one. Both changes are audited with no actor: the console."""
    user = await _new_account(session, None, body)
    await _grant(session, None, user.id, Role.admin, ROLE_SCOPE[Role.admin], None)
    return user


# ---- role assignment --------------------------------------------------------------------------------


def _scope_invalid(reason: str) -> AppError:
    return ROLE_SCOPE_INVALID(details={"reason": reason})


async def _ancestry(
    session: AsyncSession, principal: Principal, scope_type: ScopeType, scope_id: uuid.UUID
) -> Ancestry | None:
    """Where the scope object sits, or None when no such object of that type exists *or the principal
    cannot read it*: an object outside one's view must answer exactly as a missing one."""
    kind = scope_kind(scope_type)
    if kind is None or kind.locate is None:
        return None
    return await kind.locate(session, principal, scope_id)


def _assigner(principal: Principal) -> Assigner:
    return Assigner(
        is_admin=principal.is_admin,
        street_ids=principal.scope_ids(Role.street_staff),
        community_ids=principal.scope_ids(Role.community_staff),
    )


async def _checked_scope(
    session: AsyncSession, principal: Principal, role: Role, scope_id: uuid.UUID | None, unseen: AppError | None = None
) -> ScopeType:
    """Validate the role's scope and the caller's right to give it; returns the scope type.

    A scope the caller cannot read raises ``unseen`` (by default the same 422 as a missing one)."""
    if role is Role.resident:
        raise _scope_invalid("resident comes from an approved unit binding, never from an assignment")
    scope_type = ROLE_SCOPE[role]
    if scope_type is ScopeType.global_:
        if scope_id is not None:
            raise _scope_invalid("admin has a global scope: omit scope_id")
        ancestry = Ancestry()
    else:
        if scope_id is None:
            raise _scope_invalid(f"{role.value} needs the id of a {scope_type.value}")
        found = await _ancestry(session, principal, scope_type, scope_id)
        if found is None:
            raise unseen or _scope_invalid(f"no {scope_type.value} with this id")
        ancestry = found
    if not may_assign(_assigner(principal), role, ancestry):
        raise ROLE_NOT_ASSIGNABLE()
    return scope_type


async def _target_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    """The user whose roles change: one the caller sees, or one holding no role yet (a fresh account is
    in no one's scope). A holder of roles elsewhere answers 404, like a missing user."""
    roleless = ~exists().where(col(RoleAssignment.user_id) == User.id)
    user = (await session.exec(select(User).where(User.id == user_id, or_(_visible_users(principal), roleless)))).first()
    if user is None:
        raise NotFound()
    return user


def _scope_estate(assignment: RoleAssignment) -> uuid.UUID | None:
    return assignment.scope_id if assignment.scope_type is ScopeType.estate else None


async def assign_role(session: AsyncSession, principal: Principal, user_id: uuid.UUID, body: RoleAssign) -> RoleAssignmentPublic:
    await _target_user(session, principal, user_id)
    if user_id == principal.id:
        # Oversight (supervisor, committee member) and contractor roles above all: whoever holds a role
        # was given it by someone else, so that no one appoints themselves to check their own work.
        raise ROLE_SELF_ASSIGNMENT()
    scope_type = await _checked_scope(session, principal, body.role, body.scope_id)
    duplicate = (
        await session.exec(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == user_id,
                RoleAssignment.role == body.role,
                col(RoleAssignment.scope_id).is_(None) if body.scope_id is None else RoleAssignment.scope_id == body.scope_id,
            )
        )
    ).first()
    if duplicate is not None:
        raise ROLE_EXISTS()
    assignment = await _grant(session, principal.id, user_id, body.role, scope_type, body.scope_id)
    return (await _assignments_public(session, [assignment]))[0]


async def _grant(session: AsyncSession, actor_id: uuid.UUID | None, user_id: uuid.UUID, role: Role,
                 scope_type: ScopeType, scope_id: uuid.UUID | None) -> RoleAssignment:
    """A role given by ``actor_id`` (None: the server's console), audited in its estate's chain."""
    assignment = RoleAssignment(user_id=user_id, role=role, scope_type=scope_type, scope_id=scope_id,
                                granted_by=actor_id)
    session.add(assignment)
    await session.flush()
    await audit.record(session, actor_id=actor_id, action="role.assign", entity_type="role_assignment",
                       entity_id=assignment.id, after=audit.snapshot(assignment), estate_id=_scope_estate(assignment))
    return assignment


async def revoke_role(session: AsyncSession, principal: Principal, user_id: uuid.UUID, assignment_id: uuid.UUID) -> None:
    await _target_user(session, principal, user_id)
    assignment = (
        await session.exec(
            select(RoleAssignment).where(RoleAssignment.id == assignment_id, RoleAssignment.user_id == user_id)
        )
    ).first()
    if assignment is None:
        raise ROLE_NOT_FOUND()
    # Taking a role away needs the same right as giving it; a scope the caller cannot read is not found.
    await _checked_scope(session, principal, assignment.role, assignment.scope_id, unseen=ROLE_NOT_FOUND())
    before = audit.snapshot(assignment)
    await session.delete(assignment)
    await session.flush()
    await audit.record(session, actor_id=principal.id, action="role.revoke", entity_type="role_assignment",
                       entity_id=assignment.id, before=before, estate_id=_scope_estate(assignment))



# ---- account management -----------------------------------------------------------------------------


async def _managed_account(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    """An account the caller manages: one holding a role in their scope, or one they created. Others are
    not found; one's own account is refused (someone else must act on it)."""
    user = (
        await session.exec(
            select(User).where(User.id == user_id, or_(_visible_users(principal), col(User.created_by) == principal.id))
            .with_for_update()
        )
    ).first()
    if user is None:
        raise NotFound()
    if user.id == principal.id:
        raise ACCOUNT_SELF_CHANGE()
    return user


async def _end_logins(session: AsyncSession, user: User, reason: str) -> int:
    """Revoke every live login of the account (their access tokens die with them)."""
    ended = await session.exec(
        update(AuthSession)
        .where(col(AuthSession.user_id) == user.id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=clock.now(), revoke_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return ended.rowcount


async def set_active(session: AsyncSession, principal: Principal, user_id: uuid.UUID, active: bool) -> UserPublic:
    """Disable (ending every login at once) or enable an account; enabling also lifts a login lockout."""
    user = await _managed_account(session, principal, user_id)
    before = {"is_active": user.is_active}
    user.is_active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    session.add(user)
    await session.flush()
    ended = 0 if active else await _end_logins(session, user, "disabled")
    await audit.record(session, actor_id=principal.id, action="user.enable" if active else "user.disable",
                       entity_type="user", entity_id=user.id, before=before,
                       after={"is_active": active, "logins_ended": ended})
    return (await _users_public(session, principal, [user]))[0]


async def reset_password(session: AsyncSession, principal: Principal, user_id: uuid.UUID, password: str) -> None:
    """Give a staff account a new password (to hand over in person); its logins end and a lockout lifts."""
    user = await _managed_account(session, principal, user_id)
    if user.password_hash is None:  # a WeChat account: a password would make it a staff login
        raise ACCOUNT_NOT_STAFF()
    user.password_hash = await pools.run_in(pools.PASSWORDS, hash_password, password)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    await session.flush()
    ended = await _end_logins(session, user, "password_reset")
    # Neither password nor hash in the log: that it happened, by whom, and what it ended.
    await audit.record(session, actor_id=principal.id, action="user.password_reset", entity_type="user",
                       entity_id=user.id, after={"logins_ended": ended})
