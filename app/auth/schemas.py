"""Request and response models of the login, token, phone and user routes.

Table models never leave the service layer: ``session_key``, password hashes and lockout counters have no
field here, so they cannot reach a client by accident.
"""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.auth.roles import Role, ScopeType
from app.core.phones import MobilePhone

# ---- login and tokens -------------------------------------------------------------------------------


class WechatLogin(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="code from wx.login")


class PasswordLogin(BaseModel):
    phone: MobilePhone
    password: str = Field(min_length=1, max_length=128)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class TokenUser(BaseModel):
    id: uuid.UUID
    display_name: str
    roles: list[Role]


class TokenPublic(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="access token lifetime in seconds")
    user: TokenUser


# ---- me ---------------------------------------------------------------------------------------------


class PhoneBind(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="code from getPhoneNumber")


class RoleScopePublic(BaseModel):
    role: Role
    scope_type: ScopeType
    scope_id: uuid.UUID | None
    scope_name: str | None = None


class RoleAssignmentPublic(RoleScopePublic):
    id: uuid.UUID


# ---- users and roles --------------------------------------------------------------------------------


class UserCreate(BaseModel):
    display_name: str = Field(min_length=1, max_length=100)
    phone: MobilePhone
    password: str = Field(min_length=8, max_length=128)


class PasswordReset(BaseModel):
    password: str = Field(min_length=8, max_length=128)


class UserPublic(BaseModel):
    id: uuid.UUID
    display_name: str
    phone: str | None
    has_password: bool
    is_active: bool
    roles: list[RoleAssignmentPublic]
    created_at: datetime


class RoleAssign(BaseModel):
    role: Role
    scope_id: uuid.UUID | None = Field(default=None, description="omitted for admin (global scope)")
