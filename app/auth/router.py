"""Auth and me routes, unit bindings, staff accounts and roles (API.md: Auth and me, /users)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.auth import bindings as binding_service
from app.auth import service, todo, users
from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.auth.errors import (
    ACCOUNT_DISABLED,
    ACCOUNT_LOCKED,
    ACCOUNT_NOT_STAFF,
    ACCOUNT_SELF_CHANGE,
    BINDING_ALREADY_DECIDED,
    BINDING_EXISTS,
    BINDING_PERSON_NOT_ON_RECORD,
    BINDING_PERSON_REQUIRED,
    BINDING_SELF_BENEFIT,
    BINDING_SELF_DECISION,
    BINDING_TARGET_REQUIRED,
    FAMILY_INVITE_NOT_ALLOWED,
    INVALID_CREDENTIALS,
    INVITE_CODE_INVALID,
    INVITE_CODE_THROTTLED,
    INVITE_CODE_UNAVAILABLE,
    PERSON_ALREADY_BOUND,
    PHONE_IN_USE,
    PHONE_IN_USE_STAFF,
    PHONE_UNSUPPORTED,
    REFRESH_TOKEN_INVALID,
    REFRESH_TOKEN_REUSED,
    ROLE_EXISTS,
    ROLE_NOT_ASSIGNABLE,
    ROLE_NOT_FOUND,
    ROLE_SCOPE_INVALID,
    ROLE_SELF_ASSIGNMENT,
    WECHAT_NOT_LOGGED_IN,
)
from app.auth.models import BindingStatus, Role
from app.auth.principal import Principal
from app.auth.schemas import (
    BindingDecisionApprove,
    BindingDecisionReject,
    FamilyInvitationCreate,
    InviteCodeCreate,
    InviteCodePublic,
    MePublic,
    MyBindingPublic,
    PasswordLogin,
    PasswordReset,
    PhoneBind,
    RefreshRequest,
    RoleAssign,
    RoleAssignmentPublic,
    TasksPublic,
    TokenPublic,
    TokenUser,
    UnitBindingCreate,
    UnitBindingPublic,
    UserCreate,
    UserPublic,
    WechatLogin,
)
from app.authz import require_roles
from app.core.db import SessionDep
from app.core.errors import AppError, error_json, responses
from app.core.pagination import Page, PageDep
from app.wechat.client import WechatClient, get_wechat
from app.wechat.errors import WECHAT_ERRORS

router = APIRouter(tags=["auth"])

WechatDep = Annotated[WechatClient, Depends(get_wechat)]
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


@router.post("/auth/wechat/login", response_model=TokenPublic, responses=responses(422, ACCOUNT_DISABLED, *WECHAT_ERRORS))
async def wechat_login(body: WechatLogin, session: SessionDep, wechat: WechatDep, request: Request):
    """Log in with a ``wx.login`` code; the first login creates the user."""
    return _tokens(await service.wechat_login(session, wechat, body.code), request)


@router.post("/auth/login", response_model=TokenPublic,
             responses=responses(422, INVALID_CREDENTIALS, ACCOUNT_LOCKED, ACCOUNT_DISABLED))
async def password_login(body: PasswordLogin, session: SessionDep, request: Request):
    """Staff login by phone and password; repeated failures lock the account for a growing time."""
    return _tokens(await service.password_login(session, body.phone, body.password), request)


@router.post("/auth/refresh", response_model=TokenPublic,
             responses=responses(422, REFRESH_TOKEN_INVALID, REFRESH_TOKEN_REUSED, ACCOUNT_DISABLED))
async def refresh_tokens(body: RefreshRequest, session: SessionDep, request: Request):
    """Rotate the refresh token. Presenting a used one revokes its whole login."""
    return _tokens(await service.refresh_tokens(session, body.refresh_token), request)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=responses(422))
async def logout(body: RefreshRequest, session: SessionDep) -> Response:
    """End the login the refresh token belongs to (also its access tokens). Unknown tokens answer 204."""
    await service.logout(session, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---- me ---------------------------------------------------------------------------------------------


@router.get("/me", response_model=MePublic, responses=responses(*AUTHENTICATED, 403))
async def get_me(principal: CurrentPrincipal, session: SessionDep) -> MePublic:
    return await users.me(session, principal)


@router.post("/me/phone", response_model=MePublic, responses=responses(
    *AUTHENTICATED, 403, 422, WECHAT_NOT_LOGGED_IN, PHONE_UNSUPPORTED, PHONE_IN_USE, PHONE_IN_USE_STAFF, *WECHAT_ERRORS))
async def bind_my_phone(body: PhoneBind, principal: CurrentPrincipal, session: SessionDep, wechat: WechatDep) -> MePublic:
    """Bind the phone number WeChat verified (getPhoneNumber code)."""
    await service.bind_phone(session, wechat, principal.user, body.code)
    return await users.me(session, principal)


@router.get("/me/tasks", response_model=TasksPublic, responses=responses(*AUTHENTICATED, 403))
async def get_my_tasks(principal: CurrentPrincipal, session: SessionDep) -> TasksPublic:
    """What waits for the caller: open questionnaires their unit has not answered (and, as the later
    domains arrive, plans, ballots, signatures, rectifications); for deciders, the binding requests they
    may approve."""
    return TasksPublic(unit_bindings=await binding_service.pending_for_decider(session, principal),
                       **await todo.collect(session, principal))


@router.get("/me/unit-bindings", response_model=list[MyBindingPublic], responses=responses(*AUTHENTICATED, 403))
async def list_my_unit_bindings(principal: CurrentPrincipal, session: SessionDep) -> list[MyBindingPublic]:
    return await binding_service.my_bindings(session, principal.id)


@router.post(
    "/me/unit-bindings",
    response_model=MyBindingPublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTHENTICATED, 403, 404, 422, BINDING_TARGET_REQUIRED, INVITE_CODE_INVALID, BINDING_EXISTS,
                        BINDING_SELF_BENEFIT, PERSON_ALREADY_BOUND, INVITE_CODE_THROTTLED),
)
async def request_unit_binding(
    body: UnitBindingCreate, principal: CurrentPrincipal, session: SessionDep, request: Request
) -> MyBindingPublic | JSONResponse:
    """Bind to a unit by invitation code (approved at once) or by unit id (approved at once when the
    caller's WeChat-verified phone is an owner's on record, else pending a decider). Ten wrong codes
    an hour, per account and per source address, and codes are refused for the rest of the hour (429)."""
    source = request.client.host if request.client else "unknown"
    binding = await binding_service.request_binding(session, principal.user, body, source)
    if isinstance(binding, AppError):  # answered, not raised: the refusal's count and audit entry commit
        return error_json(request, binding.code, binding.status, binding.details, binding.headers)
    mine = await binding_service.my_bindings(session, principal.id)
    return next(b for b in mine if b.id == binding.id)


# ---- deciding bindings ------------------------------------------------------------------------------


@router.get("/unit-bindings", response_model=Page[UnitBindingPublic], responses=responses(400, *AUTHENTICATED, 403))
async def list_unit_bindings(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[BindingStatus | None, Query(alias="status")] = BindingStatus.pending,
    estate_id: uuid.UUID | None = None,
) -> Page[UnitBindingPublic]:
    """Binding requests in the caller's scope (grid, community, street), pending ones by default."""
    items, cursor = await binding_service.list_for_decider(session, principal, page, status_, estate_id)
    return Page(items=items, next_cursor=cursor)


async def _decided(session, binding) -> UnitBindingPublic:
    return (await binding_service.public_bindings(session, [binding]))[0]


@router.post("/unit-bindings/{binding_id}/approve", response_model=UnitBindingPublic,
             responses=responses(*AUTHENTICATED, 403, 404, 422, BINDING_SELF_DECISION, BINDING_ALREADY_DECIDED,
                                 BINDING_PERSON_REQUIRED, BINDING_PERSON_NOT_ON_RECORD, PERSON_ALREADY_BOUND))
async def approve_unit_binding(
    binding_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep,
    body: Annotated[BindingDecisionApprove | None, Body()] = None,
) -> UnitBindingPublic:
    """Approve the applicant as one person on the unit's record (``person_id``; may be omitted when the
    request already names one). Nobody approves an account of their own, nor a person whose record
    they corrected; a person has at most one approved binding per unit."""
    binding = await binding_service.approve_binding(session, principal, binding_id, body.person_id if body else None)
    return await _decided(session, binding)


@router.post(
    "/unit-bindings/{binding_id}/reject", response_model=UnitBindingPublic,
    responses=responses(*AUTHENTICATED, 403, 404, 422, BINDING_SELF_DECISION, BINDING_ALREADY_DECIDED)
)
async def reject_unit_binding(
    binding_id: uuid.UUID, body: BindingDecisionReject, principal: CurrentPrincipal, session: SessionDep
) -> UnitBindingPublic:
    binding = await binding_service.reject_binding(session, principal, binding_id, body.reason)
    return await _decided(session, binding)


@router.post(
    "/me/unit-bindings/{binding_id}/invitations",
    response_model=InviteCodePublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTHENTICATED, 403, 404, 422, FAMILY_INVITE_NOT_ALLOWED, BINDING_PERSON_REQUIRED,
                        BINDING_PERSON_NOT_ON_RECORD, BINDING_SELF_BENEFIT, INVITE_CODE_UNAVAILABLE),
)
async def invite_family(
    binding_id: uuid.UUID, body: FamilyInvitationCreate, principal: CurrentPrincipal, session: SessionDep
) -> InviteCodePublic:
    """A bound owner or co-owner invites family to their unit: a co-owner on record, or a tenant (on
    record, or added now by name as their tenant). The code binds that person in that relation - a tenant
    never gets an owner's rights - and never the inviter themselves."""
    invite = await binding_service.invite_family(session, principal, binding_id, body)
    assert invite.person_id is not None
    return InviteCodePublic(code=invite.code, unit_id=invite.unit_id, person_id=invite.person_id,
                            relation=invite.relation, expires_at=invite.expires_at)


@router.post(
    "/units/{unit_id}/invite-codes",
    response_model=InviteCodePublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTHENTICATED, 403, 404, 422, INVITE_CODE_UNAVAILABLE, BINDING_PERSON_REQUIRED,
                        BINDING_PERSON_NOT_ON_RECORD, BINDING_SELF_BENEFIT),
)
async def create_unit_invite_code(
    unit_id: uuid.UUID, body: InviteCodeCreate, principal: CurrentPrincipal, session: SessionDep
) -> InviteCodePublic:
    """An invitation code for one person on the unit's record, printed on a notice delivered to them
    (single use); staff at contact level, never for a person carrying their own phone."""
    invite = await binding_service.create_invite_code(session, principal, unit_id, body)
    assert invite.person_id is not None
    return InviteCodePublic(code=invite.code, unit_id=invite.unit_id, person_id=invite.person_id,
                            relation=invite.relation, expires_at=invite.expires_at)


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
