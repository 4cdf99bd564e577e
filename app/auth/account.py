"""What identity holds about a person, for ``GET /me/data``, and closing an account (注销, docs/personal-information.md,
PIPL art. 47): logins end, and the WeChat ids, nickname, phone and password leave the account. The
account's row stays, empty, so that what others recorded about it (who decided a binding, who cast a
vote for a unit) still points somewhere; nothing in it names the person any more. Login records are
removed when past their retention."""

from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import AuthSession, RefreshToken, RoleAssignment, User
from app.core import audit, clock, retention
from app.core.config import get_settings
from app.privacy.holders import Subject


async def export(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    user = await session.get(User, subject.user_id)
    assert user is not None
    logins = await session.exec(select(AuthSession).where(AuthSession.user_id == user.id)
                                .order_by(col(AuthSession.created_at), col(AuthSession.id)))
    roles = await session.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id)
                               .order_by(col(RoleAssignment.created_at), col(RoleAssignment.id)))
    return {
        "id": user.id, "display_name": user.display_name, "phone": user.phone,
        "wechat_openid": user.wechat_openid, "wechat_unionid": user.wechat_unionid,
        "has_password": user.password_hash is not None, "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "logins": [{"channel": s.channel, "created_at": s.created_at, "revoked_at": s.revoked_at,
                    "revoke_reason": s.revoke_reason} for s in logins.all()],
        "roles": [{"role": r.role, "scope_type": r.scope_type, "scope_id": r.scope_id, "created_at": r.created_at}
                  for r in roles.all()],
    }


async def close(session: AsyncSession, subject: Subject) -> None:
    """Close the account: every login (and its tokens) deleted, roles removed, identifiers emptied. Closing
    a closed account changes nothing."""
    user = (await session.exec(select(User).where(User.id == subject.user_id).with_for_update())).one()
    if user.closed_at is not None:
        return
    logins = select(AuthSession.id).where(AuthSession.user_id == user.id)
    await session.exec(delete(RefreshToken).where(col(RefreshToken.session_id).in_(logins)))
    ended = (await session.exec(delete(AuthSession).where(col(AuthSession.user_id) == user.id))).rowcount
    roles = (await session.exec(delete(RoleAssignment).where(col(RoleAssignment.user_id) == user.id))).rowcount
    user.wechat_openid = user.wechat_unionid = user.wechat_session_key = None
    user.phone = user.password_hash = None
    user.display_name = ""
    user.is_active = False
    user.failed_logins, user.locked_until = 0, None
    user.closed_at = clock.now()
    session.add(user)
    await session.flush()
    # Ids and counts only: the chain holds no personal data, so nothing here needs erasing later.
    await audit.record(session, actor_id=user.id, action="user.close", entity_type="user", entity_id=user.id,
                       after={"logins_ended": ended, "roles_removed": roles})


async def remove_old_logins(session: AsyncSession) -> int:
    """Login records ended longer ago than ``APP_RETENTION_LOGIN_DAYS``: revoked then, or with every refresh
    token expired by then (with their tokens)."""
    cutoff = retention.cutoff(get_settings().retention_login_days)
    live_token = select(RefreshToken.id).where(col(RefreshToken.session_id) == AuthSession.id,
                                               col(RefreshToken.expires_at) >= cutoff)
    old = select(AuthSession.id).where(
        (col(AuthSession.revoked_at) < cutoff)
        | (col(AuthSession.revoked_at).is_(None) & (col(AuthSession.created_at) < cutoff) & ~live_token.exists()))
    ids = list((await session.exec(old)).all())
    await session.exec(delete(RefreshToken).where(col(RefreshToken.session_id).in_(ids)))
    removed = await session.exec(delete(AuthSession).where(col(AuthSession.id).in_(ids)))
    return retention.removed("login_records", removed.rowcount or 0)
