"""Authentication dependencies: the bearer token becomes a ``Principal`` (or a 401)."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.errors import ACCOUNT_DISABLED, TOKEN_EXPIRED, TOKEN_INVALID
from app.auth.models import (
    AuthSession,
    BindingStatus,
    RoleAssignment,
    UnitBinding,
    User,
)
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.errors import NOT_AUTHENTICATED
from app.core.idempotency import register_login_check
from app.core.security import AccessClaims, decode_access_token

_bearer = HTTPBearer(auto_error=False, description="Access token from /auth/login or /auth/wechat/login")


async def _live_user(session: AsyncSession, claims: AccessClaims) -> User | None:
    """The token's user while its login lives: a logout or a detected refresh-token reuse revokes the
    login, and with it its access tokens."""
    user = await session.get(User, claims.user_id)
    login = await session.get(AuthSession, claims.session_id)
    if user is None or login is None or login.user_id != user.id or login.revoked_at is not None:
        return None
    return user


async def _login_is_live(session: AsyncSession, claims: AccessClaims) -> bool:
    user = await _live_user(session, claims)
    return user is not None and user.is_active


register_login_check(_login_is_live)


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
    user = await _live_user(session, claims)
    if user is None:
        raise TOKEN_INVALID(headers={"WWW-Authenticate": "Bearer"})
    if not user.is_active:
        raise ACCOUNT_DISABLED()
    assignments = (await session.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id))).all()
    unit_ids = (
        await session.exec(
            select(UnitBinding.unit_id).where(
                UnitBinding.user_id == user.id, UnitBinding.status == BindingStatus.approved
            )
        )
    ).all()
    return Principal(user=user, assignments=tuple(assignments), unit_ids=frozenset(unit_ids))


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]

# The 401 codes of every authenticated route, for its ``responses(...)`` (a disabled account answers 403
# ``account_disabled`` on every route too; the API description says so once).
AUTHENTICATED = (NOT_AUTHENTICATED, TOKEN_INVALID, TOKEN_EXPIRED)
