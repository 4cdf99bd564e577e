"""Login, tokens, staff accounts and roles (API.md: Auth and me, /users)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from app.auth import service, users
from app.auth.authz import require_roles
from app.auth.deps import AUTHENTICATED
from app.auth.errors import (
    ACCOUNT_DISABLED,
    ACCOUNT_LOCKED,
    ACCOUNT_NOT_STAFF,
    ACCOUNT_SELF_CHANGE,
    INVALID_CREDENTIALS,
    LOGIN_THROTTLED,
    PHONE_IN_USE,
    REFRESH_TOKEN_INVALID,
    REFRESH_TOKEN_REUSED,
    ROLE_EXISTS,
    ROLE_NOT_ASSIGNABLE,
    ROLE_NOT_FOUND,
    ROLE_SCOPE_INVALID,
    ROLE_SELF_ASSIGNMENT,
)
from app.auth.models import Role
from app.auth.principal import Principal
from app.auth.schemas import (
    PasswordLogin,
    PasswordReset,
    RefreshRequest,
    RoleAssign,
    RoleAssignmentPublic,
    TokenPublic,
    TokenUser,
    UserCreate,
    UserPublic,
    WechatLogin,
)
from app.core.db import SessionDep
from app.core.errors import AppError, error_json, responses
from app.core.pagination import Page, PageDep
from app.wechat.client import WechatDep
from app.wechat.errors import WECHAT_ERRORS

router = APIRouter(tags=["auth"])

StaffAdmin = Annotated[Principal, require_roles(Role.admin, Role.street_staff, Role.community_staff)]


def _tokens(result: service.TokenPair | AppError, request: Request) -> TokenPublic | JSONResponse:
    # A refusal that wrote something (failure count, revoked login) is answered, not raised, so that the
    # request transaction commits it.
    if isinstance(result, AppError):
        return error_json(request, result.code, result.status, result.details, result.headers)
    return TokenPublic(
        access_token=result.access_token,
        refresh_token=result.refresh_token,
        expires_in=result.expires_in,
        user=TokenUser(id=result.user.id, display_name=result.user.display_name, roles=result.roles),
    )


# ---- auth -------------------------------------------------------------------------------------------


@router.post("/auth/wechat/login", response_model=TokenPublic,
             responses=responses(422, ACCOUNT_DISABLED, LOGIN_THROTTLED, *WECHAT_ERRORS))
async def wechat_login(body: WechatLogin, session: SessionDep, wechat: WechatDep, request: Request):
    """Log in with a ``wx.login`` code; the first login creates the user. Many codes WeChat refuses from
    one address stop that address for a while (429 ``login_throttled``, ``Retry-After``)."""
    return _tokens(await service.wechat_login(session, wechat, body.code, _source(request)), request)


@router.post("/auth/login", response_model=TokenPublic,
             responses=responses(422, INVALID_CREDENTIALS, ACCOUNT_LOCKED, LOGIN_THROTTLED, ACCOUNT_DISABLED))
async def password_login(body: PasswordLogin, session: SessionDep, request: Request):
    """Staff login by phone and password; repeated failures lock the account for a growing time, and many
    failures from one address - whatever the phones tried - stop that address for a while (429
    ``login_throttled``, ``Retry-After``)."""
    return _tokens(await service.password_login(session, body.phone, body.password, _source(request)), request)


def _source(request: Request) -> str:
    """The client's address (behind the proxy, the one it forwarded: FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "unknown"


@router.post("/auth/refresh", response_model=TokenPublic,
             responses=responses(422, REFRESH_TOKEN_INVALID, REFRESH_TOKEN_REUSED, ACCOUNT_DISABLED))
async def refresh_tokens(body: RefreshRequest, session: SessionDep, request: Request):
    """Rotate the refresh token. Presenting a used one revokes its whole login."""
    return _tokens(await service.refresh_tokens(session, body.refresh_token), request)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=responses(422))
async def log_out(body: RefreshRequest, session: SessionDep) -> Response:
    """End the login the refresh token belongs to (also its access tokens). Unknown tokens answer 204."""
    await service.logout(session, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---- staff accounts and roles -----------------------------------------------------------------------


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED,
             responses=responses(*AUTHENTICATED, 403, 422, PHONE_IN_USE))
async def create_staff_user(body: UserCreate, principal: StaffAdmin, session: SessionDep) -> UserPublic:
    """A staff account with phone and password; give it roles with POST /users/{id}/roles."""
    return await users.create_user(session, principal, body)


@router.post("/users/{user_id}/disable", response_model=UserPublic,
             responses=responses(*AUTHENTICATED, 403, 404, ACCOUNT_SELF_CHANGE))
async def disable_user(user_id: uuid.UUID, principal: StaffAdmin, session: SessionDep) -> UserPublic:
    """Disable an account the caller manages (a role in their scope, or created by them): every login of
    it ends at once. Audited."""
    return await users.set_active(session, principal, user_id, False)


@router.post("/users/{user_id}/enable", response_model=UserPublic,
             responses=responses(*AUTHENTICATED, 403, 404, ACCOUNT_SELF_CHANGE))
async def enable_user(user_id: uuid.UUID, principal: StaffAdmin, session: SessionDep) -> UserPublic:
    """Enable it again (and lift a login lockout). Audited."""
    return await users.set_active(session, principal, user_id, True)


@router.post("/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT,
             responses=responses(*AUTHENTICATED, 403, 404, 422, ACCOUNT_SELF_CHANGE, ACCOUNT_NOT_STAFF))
async def reset_user_password(
    user_id: uuid.UUID, body: PasswordReset, principal: StaffAdmin, session: SessionDep
) -> Response:
    """Set a new password for a staff account the caller manages; its logins end. Audited, without the
    password. One's own password is changed by someone else too."""
    await users.reset_password(session, principal, user_id, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users", response_model=Page[UserPublic], responses=responses(400, *AUTHENTICATED, 403))
async def list_staff_users(principal: StaffAdmin, session: SessionDep, page: PageDep) -> Page[UserPublic]:
    items, cursor = await users.list_users(session, principal, page)
    return Page(items=items, next_cursor=cursor)


@router.get("/users/{user_id}", response_model=UserPublic, responses=responses(*AUTHENTICATED, 403, 404))
async def get_staff_user(user_id: uuid.UUID, principal: StaffAdmin, session: SessionDep) -> UserPublic:
    return await users.get_user(session, principal, user_id)


@router.post(
    "/users/{user_id}/roles",
    response_model=RoleAssignmentPublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTHENTICATED, 403, 404, 422, ROLE_SCOPE_INVALID, ROLE_NOT_ASSIGNABLE, ROLE_EXISTS,
                        ROLE_SELF_ASSIGNMENT),
)
async def assign_user_role(user_id: uuid.UUID, body: RoleAssign, principal: StaffAdmin, session: SessionDep) -> RoleAssignmentPublic:
    """Give a role with its scope; allowed to admins and to staff strictly above the scope."""
    return await users.assign_role(session, principal, user_id, body)


@router.delete(
    "/users/{user_id}/roles/{assignment_id}", status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTHENTICATED, 403, 404, ROLE_NOT_FOUND, ROLE_NOT_ASSIGNABLE)
)
async def revoke_user_role(user_id: uuid.UUID, assignment_id: uuid.UUID, principal: StaffAdmin, session: SessionDep) -> Response:
    await users.revoke_role(session, principal, user_id, assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
