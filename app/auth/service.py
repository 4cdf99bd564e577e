"""Logins (WeChat and staff password), token issue and rotation, logout, phone binding.

Some refusals must leave a trace in the database although the answer is an error: a failed password
counts towards the lockout, and a reused refresh token revokes its login. The request transaction rolls
back when an exception escapes the route, so these functions *return* the ``AppError`` instead of raising
it, and the router answers it as a plain response, letting the transaction commit.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.errors import (
    ACCOUNT_DISABLED,
    ACCOUNT_LOCKED,
    INVALID_CREDENTIALS,
    LOGIN_THROTTLED,
    REFRESH_TOKEN_INVALID,
    REFRESH_TOKEN_REUSED,
)
from app.auth.models import AuthSession, RefreshToken, Role, RoleAssignment, User
from app.auth.residence import approved_bindings
from app.core import audit, clock, pools, throttle
from app.core.config import get_settings
from app.core.db import UTCDateTime
from app.core.errors import AppError
from app.core.logging import get_logger
from app.core.security import (
    create_access_token,
    hash_token,
    new_refresh_token,
    verify_password,
)
from app.wechat.client import WechatClient

log = get_logger(__name__)

WECHAT_DEFAULT_NAME = "微信用户"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User
    roles: list[Role]


async def user_roles(session: AsyncSession, user_id: uuid.UUID) -> list[Role]:
    """Distinct roles of a user, ``resident`` included when a binding is approved."""
    assigned = set((await session.exec(select(col(RoleAssignment.role)).where(RoleAssignment.user_id == user_id))).all())
    approved = approved_bindings()
    bound = (await session.exec(select(approved.c.unit_id).where(approved.c.user_id == user_id).limit(1))).first()
    if bound is not None:
        assigned.add(Role.resident)
    return sorted(assigned, key=list(Role).index)


async def _new_refresh_token(session: AsyncSession, login: AuthSession) -> str:
    token = new_refresh_token()
    expires_at = clock.now() + timedelta(seconds=get_settings().refresh_token_ttl_seconds)
    session.add(RefreshToken(session_id=login.id, token_hash=hash_token(token), expires_at=expires_at))
    await session.flush()
    return token


async def _pair(session: AsyncSession, user: User, login: AuthSession, refresh: str) -> TokenPair:
    access, ttl = create_access_token(user.id, login.id)
    return TokenPair(access, refresh, ttl, user, await user_roles(session, user.id))


async def issue_tokens(session: AsyncSession, user: User, channel: str) -> TokenPair:
    """Start a login (a refresh-token family) for ``user`` and hand out its first pair of tokens."""
    login = AuthSession(user_id=user.id, channel=channel)
    session.add(login)
    user.last_login_at = clock.now()
    session.add(user)
    await session.flush()
    return await _pair(session, user, login, await _new_refresh_token(session, login))


# ---- WeChat -----------------------------------------------------------------------------------------


async def _create_wechat_user(session: AsyncSession, openid: str) -> User:
    """First login; when two first logins of one openid race, the loser reads the winner's row."""
    try:
        async with session.begin_nested():
            user = User(display_name=WECHAT_DEFAULT_NAME, wechat_openid=openid)
            session.add(user)
            await session.flush()
        return user
    except IntegrityError:
        return (await session.exec(select(User).where(User.wechat_openid == openid))).one()


# ---- failed logins per source address ---------------------------------------------------------------
#
# Each account locks after a few wrong passwords; an address trying many accounts (or many WeChat codes,
# each a call to WeChat) is stopped here, in the shared throttle. Generous: a compound or a carrier's
# network puts many people behind one address.


def _source_key(channel: str, source: str) -> str:
    return f"login:{channel}:{source}"[:120]


def _source_window() -> timedelta:
    return timedelta(seconds=get_settings().login_source_window_seconds)


async def _source_throttled(session: AsyncSession, channel: str, source: str) -> AppError | None:
    """429 ``login_throttled`` with ``Retry-After`` while the address has used up its failures."""
    wait = await throttle.retry_after(session, _source_key(channel, source),
                                      get_settings().login_source_max_failures, _source_window())
    if wait is None:
        return None
    return LOGIN_THROTTLED(details={"retry_after_seconds": wait}, headers={"Retry-After": str(wait)})


async def _source_failed(session: AsyncSession, channel: str, source: str) -> None:
    """Count a failed login of the address; the failure that uses up its allowance is audited - the
    address and the channel, never the phone or code tried."""
    key, limit = _source_key(channel, source), get_settings().login_source_max_failures
    await throttle.hit(session, key, _source_window())
    if await throttle.retry_after(session, key, limit, _source_window()) is not None:
        await audit.record(session, actor_id=None, action="login.throttled", entity_type="login_source",
                           entity_id=source[:64], after={"channel": channel, "failures": limit,
                                                         "window_seconds": get_settings().login_source_window_seconds})


async def wechat_login(session: AsyncSession, wechat: WechatClient, code: str, source: str) -> TokenPair | AppError:
    """Log in with a ``wx.login`` code. A code WeChat refuses counts against the address (the refusal is
    returned, so that the count commits)."""
    if (refused := await _source_throttled(session, "wechat", source)) is not None:
        return refused
    try:
        wx = await wechat.code_to_session(code)
    except AppError as exc:
        if exc.status >= 500:  # WeChat unreachable: nobody's guess
            raise
        await _source_failed(session, "wechat", source)
        return exc
    user = (await session.exec(select(User).where(User.wechat_openid == wx.openid))).first()
    if user is None:
        user = await _create_wechat_user(session, wx.openid)
    # session_key is needed server-side to decrypt WeChat payloads; it never leaves this table.
    user.wechat_session_key = wx.session_key
    if wx.unionid:
        user.wechat_unionid = wx.unionid
    session.add(user)
    await session.flush()
    if not user.is_active:
        raise ACCOUNT_DISABLED()
    return await issue_tokens(session, user, "wechat")


# ---- staff password login ---------------------------------------------------------------------------


def _lock_seconds(failures: int) -> int:
    """Lock length after ``failures`` consecutive failures (at least login_max_failures)."""
    settings = get_settings()
    doublings = failures - settings.login_max_failures
    return min(settings.login_lock_seconds * 2 ** min(doublings, 30), settings.login_lock_max_seconds)


def _locked_until_after_failure(failures, now: datetime):
    """SQL for ``locked_until`` once ``failures`` (an SQL expression) failures have been counted.

    The lock doubles per failure up to a cap, so it takes only a handful of values: one CASE branch each,
    the longest first. Below the threshold the column keeps its (expired or empty) value.
    """
    settings = get_settings()
    steps: list[tuple[int, int]] = []  # (failures from which, lock seconds)
    n = settings.login_max_failures
    while True:
        seconds = _lock_seconds(n)
        steps.append((n, seconds))
        if seconds >= settings.login_lock_max_seconds or n - settings.login_max_failures >= 30:
            break
        n += 1
    return case(
        *[(failures >= at, literal(now + timedelta(seconds=s), UTCDateTime())) for at, s in reversed(steps)],
        else_=User.locked_until,
    )


async def _count_failure(session: AsyncSession, user: User, now: datetime) -> None:
    """Count a wrong password in one atomic statement: concurrent guesses must each be counted."""
    failures = User.failed_logins + 1
    counted = (
        await session.exec(
            update(User)
            .where(col(User.id) == user.id)
            .values(failed_logins=failures, locked_until=_locked_until_after_failure(failures, now))
            .returning(col(User.failed_logins), col(User.locked_until))
            .execution_options(synchronize_session=False)
        )
    ).one()
    # Keep the loaded object in step with the row without marking it changed.
    set_committed_value(user, "failed_logins", counted.failed_logins)
    set_committed_value(user, "locked_until", counted.locked_until)


def _locked(retry_after: int) -> AppError:
    retry_after = max(retry_after, 1)
    return ACCOUNT_LOCKED(details={"retry_after_seconds": retry_after}, headers={"Retry-After": str(retry_after)}
    )


async def password_login(session: AsyncSession, phone: str, password: str, source: str) -> TokenPair | AppError:
    """Staff login. Returns (not raises) refusals so that the failure counts are committed with them."""
    if (refused := await _source_throttled(session, "password", source)) is not None:
        return refused
    user = (await session.exec(select(User).where(User.phone == phone))).first()
    now = clock.now()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        # While locked the password is not even checked: guesses during the lock teach nothing.
        return _locked(int((user.locked_until - now).total_seconds() + 0.999))
    # argon2 takes tens of milliseconds of CPU: in a thread, so that other requests keep being served.
    ok, new_hash = await pools.run_in(pools.PASSWORDS, verify_password, password,
                                         user.password_hash if user else None)
    if user is None or not ok:
        if user is not None:
            await _count_failure(session, user, now)
            lock = user.locked_until if user.locked_until is not None and user.locked_until > now else None
            # Failures of a known account and the lock they cause leave a trace (unknown phones have no
            # account to attach it to; refusals during a lock are not logged, so hammering cannot flood it).
            await audit.record(session, actor_id=None, action="login.locked" if lock is not None else "login.failed",
                               entity_type="user", entity_id=user.id,
                               after={"failed_logins": user.failed_logins,
                                      "locked_until": lock.isoformat() if lock is not None else None})
        await _source_failed(session, "password", source)
        # The same answer for an unknown phone and a wrong password: phones are not enumerable.
        return INVALID_CREDENTIALS()
    # Checked only after the password, so that guessers learn nothing about the account's state.
    if not user.is_active:
        return ACCOUNT_DISABLED()
    user.failed_logins, user.locked_until = 0, None
    if new_hash is not None:
        user.password_hash = new_hash  # the stored hash used outdated parameters
    session.add(user)
    await session.flush()
    return await issue_tokens(session, user, "password")


# ---- refresh and logout -----------------------------------------------------------------------------


async def _find_refresh(session: AsyncSession, token: str) -> tuple[RefreshToken, AuthSession] | None:
    row = (
        await session.exec(
            select(RefreshToken, AuthSession)
            .join(AuthSession, col(AuthSession.id) == RefreshToken.session_id)
            .where(RefreshToken.token_hash == hash_token(token))
        )
    ).first()
    return (row[0], row[1]) if row else None


async def _revoke(session: AsyncSession, login: AuthSession, reason: str, action: str) -> None:
    if login.revoked_at is None:
        before = audit.snapshot(login)
        login.revoked_at, login.revoke_reason = clock.now(), reason
        session.add(login)
        await session.flush()
        # A detected reuse is the system's doing (the presenter may be a thief): no actor.
        actor = login.user_id if action == "logout" else None
        await audit.record(session, actor_id=actor, action=action, entity_type="auth_session", entity_id=login.id,
                           before=before, after=audit.snapshot(login))


async def refresh_tokens(session: AsyncSession, token: str) -> TokenPair | AppError:
    """Rotate a refresh token. Returns (not raises) the reuse refusal so the revocation is committed."""
    found = await _find_refresh(session, token)
    if found is None or found[1].revoked_at is not None:
        return REFRESH_TOKEN_INVALID()
    refresh, login = found
    now = clock.now()
    if refresh.used_at is None and refresh.expires_at <= now:
        return REFRESH_TOKEN_INVALID()
    # Mark it used atomically: of two concurrent refreshes with one token, only one may win.
    marked = await session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.id) == refresh.id, col(RefreshToken.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount == 0:
        used_at = (await session.exec(select(RefreshToken.used_at).where(RefreshToken.id == refresh.id))).one()
        if used_at is not None and now - used_at <= timedelta(seconds=get_settings().refresh_reuse_grace_seconds):
            # The same client refreshing from several requests at once (the mini-program does): each
            # gets a pair of its own in the login, instead of the reuse alarm logging the user out.
            user = await session.get(User, login.user_id)
            if user is None or not user.is_active:
                return ACCOUNT_DISABLED()
            return await _pair(session, user, login, await _new_refresh_token(session, login))
        # A rotated token came back later: either its holder or a thief has the newer one. Kill the login.
        log.warning("refresh token reuse; session revoked", extra={"session_id": str(login.id)})
        await _revoke(session, login, "reuse", "session.revoke_reuse")
        return REFRESH_TOKEN_REUSED()
    user = await session.get(User, login.user_id)
    if user is None or not user.is_active:
        return ACCOUNT_DISABLED()
    return await _pair(session, user, login, await _new_refresh_token(session, login))


async def logout(session: AsyncSession, token: str) -> None:
    """Revoke the login the token belongs to; an unknown token is silently accepted (nothing leaks)."""
    found = await _find_refresh(session, token)
    if found is not None:
        await _revoke(session, found[1], "logout", "logout")
