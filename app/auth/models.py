"""Users, their roles with scopes, login sessions and refresh tokens."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.auth.roles import Role, ScopeType
from app.core.db import created_at_field, dt_field, enum_field, id_field


class User(SQLModel, table=True):
    """Anyone who logs in: residents through WeChat, staff by phone and password."""

    __tablename__ = "app_user"
    # Staff log in with a password, residents through WeChat: the few accounts holding one, in the order
    # the list of staff pages them (``app.auth.users``), so that listing staff reads no resident's account.
    __table_args__ = (
        Index("ix_app_user_password_holders", "created_at", "id", postgresql_where=text("password_hash IS NOT NULL"),
              sqlite_where=text("password_hash IS NOT NULL")),
    )
    id: uuid.UUID = id_field()
    display_name: str = Field(default="", max_length=100)
    phone: str | None = Field(default=None, max_length=20, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    wechat_openid: str | None = Field(default=None, max_length=64, unique=True)
    wechat_unionid: str | None = Field(default=None, max_length=64)
    # Kept server-side only: never serialised to a client or a log.
    wechat_session_key: str | None = Field(default=None, max_length=128)
    is_active: bool = True
    # The staff member who created this account (POST /users): their accounts are theirs in the binding
    # rules, so that nobody makes a resident of a second account of their own.
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)
    failed_logins: int = 0
    locked_until: datetime | None = dt_field()
    last_login_at: datetime | None = dt_field()
    # 注销 (docs/personal-information.md): the account is closed for good; its WeChat ids, name and phone are gone.
    closed_at: datetime | None = dt_field()
    created_at: datetime = created_at_field()
    # Bumped on PostgreSQL by triggers (migration 0019) in every transaction that changes this row, a login,
    # a role or a binding of the user; processes' caller caches forget the user then (app.auth.caller_cache).
    principal_version: int = Field(default=0, sa_type=BigInteger)


class RoleAssignment(SQLModel, table=True):
    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "scope_id"),)
    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    role: Role = enum_field(Role)
    scope_type: ScopeType = enum_field(ScopeType)
    scope_id: uuid.UUID | None = Field(default=None, index=True)
    granted_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class AuthSession(SQLModel, table=True):
    """One login; its refresh tokens form a rotation family. Revoking it ends every token of the login."""

    __tablename__ = "auth_session"
    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=16)  # wechat | password
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = dt_field()
    revoke_reason: str | None = Field(default=None, max_length=32)


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_token"
    id: uuid.UUID = id_field()
    session_id: uuid.UUID = Field(foreign_key="auth_session.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = dt_field(nullable=False)
    used_at: datetime | None = dt_field()  # set when rotated; presenting it again is reuse
