"""Authentication dependencies: the bearer token becomes a ``Principal`` (or a 401)."""

import functools
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.caller_cache import CACHE
from app.auth.errors import ACCOUNT_DISABLED, TOKEN_EXPIRED, TOKEN_INVALID
from app.auth.models import AuthSession, RoleAssignment, User
from app.auth.principal import CALLER, Binding, Principal
from app.auth.residence import Assurance, BindingRelation, approved_bindings
from app.core.db import SessionDep
from app.core.errors import NOT_AUTHENTICATED
from app.core.security import AccessClaims, decode_access_token

_bearer = HTTPBearer(auto_error=False, description="Access token from /auth/login or /auth/wechat/login")


def _caller(*columns: Any):
    """The token's user (and ``columns``) joined to its login, which must be the user's and not revoked: a
    logout or a detected refresh-token reuse revokes the login, and with it its access tokens. Built once,
    with the ids as parameters: building the expression costs more than running it. The rows as the database
    has them, even where the session already holds the user (its version moved by a trigger meanwhile)."""
    return (
        select(User, *columns)
        .join(AuthSession, (AuthSession.id == bindparam("session_id")) & (AuthSession.user_id == User.id))
        .where(User.id == bindparam("user_id"), col(AuthSession.revoked_at).is_(None))
        .execution_options(populate_existing=True)
    )


_LIVE_USER = _caller()


@functools.cache
def _principal_statement():
    """One row per assignment x approved binding (a handful): the caller in one round trip. Built at the
    first request, once the residency domain provides its bindings (``app.auth.residence``)."""
    bound = approved_bindings()
    return (
        _caller(RoleAssignment, bound.c.unit_id, bound.c.person_id, bound.c.relation, bound.c.assurance)
        .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
        .outerjoin(bound, bound.c.user_id == User.id)
    )


def _ids(claims: AccessClaims) -> dict[str, Any]:
    return {"user_id": claims.user_id, "session_id": claims.session_id}


async def _live_user(session: AsyncSession, claims: AccessClaims) -> User | None:
    """The token's user while its login lives."""
    return (await session.exec(_LIVE_USER, params=_ids(claims))).first()


async def login_is_live(session: AsyncSession, claims: AccessClaims) -> bool:
    """Whether the token's login still lives and its account is active (the idempotency layer asks before
    replaying a stored response)."""
    user = await _live_user(session, claims)
    return user is not None and user.is_active


async def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise NOT_AUTHENTICATED(headers={"WWW-Authenticate": "Bearer"})
    claims = decode_access_token(credentials.credentials)
    if claims is None:
        expired = decode_access_token(credentials.credentials, allow_expired=True) is not None
        raise (TOKEN_EXPIRED if expired else TOKEN_INVALID)(headers={"WWW-Authenticate": "Bearer"})
    # The process's copy while no instance has changed the caller since (app.auth.caller_cache), else read
    # afresh: a revoked login, a disabled account or a removed role stops working at once, everywhere.
    if (cached := await CACHE.get(claims.user_id, claims.session_id)) is not None:
        CALLER.set(cached)
        return cached
    epoch = CACHE.epoch
    rows = (await session.exec(_principal_statement(), params=_ids(claims))).all()
    if not rows:
        raise TOKEN_INVALID(headers={"WWW-Authenticate": "Bearer"})
    user = rows[0][0]
    if not user.is_active:
        raise ACCOUNT_DISABLED()
    assignments = {a.id: a for _, a, *_ in rows if a is not None}
    bindings = {Binding(unit_id, person_id, BindingRelation(relation), Assurance(assurance) if assurance else None)
                for _, _, unit_id, person_id, relation, assurance in rows if unit_id is not None}
    principal = Principal(user=user, assignments=tuple(assignments.values()),
                          unit_ids=frozenset(b.unit_id for b in bindings), bindings=tuple(bindings))
    CACHE.put(claims.session_id, user.principal_version, principal, epoch)
    CALLER.set(principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]

# The 401 codes of every authenticated route, for its ``responses(...)`` (a disabled account answers 403
# ``account_disabled`` on every route too; the API description says so once).
AUTHENTICATED = (NOT_AUTHENTICATED, TOKEN_INVALID, TOKEN_EXPIRED)
