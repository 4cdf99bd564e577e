"""Residents' routes: the caller's page (/me, /me/phone, /me/tasks), unit bindings and their decisions,
invitation codes (API.md: Auth and me, Unit bindings)."""

import uuid
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from app.auth import users
from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.auth.errors import PHONE_IN_USE, PHONE_IN_USE_STAFF, PHONE_UNSUPPORTED, WECHAT_NOT_LOGGED_IN
from app.auth.schemas import PhoneBind
from app.core.db import SessionDep
from app.core.errors import AppError, error_json, responses
from app.core.pagination import Page, PageDep, bounded
from app.files.errors import FILE_NOT_USABLE
from app.privacy import consents
from app.privacy.errors import CONSENT_REQUIRED
from app.residency import me, service
from app.residency.errors import (
    BINDING_ALREADY_DECIDED,
    BINDING_EXISTS,
    BINDING_NOT_APPROVED,
    BINDING_PERSON_NOT_ON_RECORD,
    BINDING_PERSON_REQUIRED,
    BINDING_SELF_BENEFIT,
    BINDING_SELF_DECISION,
    BINDING_TARGET_REQUIRED,
    FAMILY_INVITE_NOT_ALLOWED,
    IDENTITY_CHECK_SELF,
    INVITE_CODE_INVALID,
    INVITE_CODE_THROTTLED,
    INVITE_CODE_UNAVAILABLE,
    PERSON_ALREADY_BOUND,
    REALNAME_FAILED,
    REALNAME_MISMATCH,
    REALNAME_UNAVAILABLE,
)
from app.residency.models import BindingStatus
from app.residency.realname import RealNameProvider, get_realname
from app.residency.rights_router import router as rights_router
from app.residency.schemas import (
    BindingDecisionApprove,
    BindingDecisionReject,
    FamilyInvitationCreate,
    IdentityCheckIn,
    InviteCodeCreate,
    InviteCodePublic,
    MePublic,
    MyBindingPublic,
    RealNameIn,
    TasksPublic,
    UnitBindingCreate,
    UnitBindingPublic,
)
from app.wechat.client import WechatDep
from app.wechat.errors import WECHAT_ERRORS

# The same tag as the login routes: to a client, /me and its bindings are one part of the API.
router = APIRouter(tags=["auth"])


# ---- me ---------------------------------------------------------------------------------------------


@router.get("/me", response_model=MePublic, responses=responses(*AUTHENTICATED, 403))
async def get_me(principal: CurrentPrincipal, session: SessionDep) -> MePublic:
    return await me.me(session, principal)


@router.post("/me/phone", response_model=MePublic, responses=responses(
    *AUTHENTICATED, 403, 422, CONSENT_REQUIRED, WECHAT_NOT_LOGGED_IN, PHONE_UNSUPPORTED, PHONE_IN_USE,
    PHONE_IN_USE_STAFF, *WECHAT_ERRORS))
async def bind_my_phone(body: PhoneBind, principal: CurrentPrincipal, session: SessionDep, wechat: WechatDep) -> MePublic:
    """Bind the phone number WeChat verified (getPhoneNumber code), once the caller accepted the privacy
    notice in force for ``service`` (428 ``consent_required`` names the version)."""
    await consents.require(session, principal.id, consents.Purpose.service)
    user = await users.bind_phone(session, wechat, principal.id, body.code)
    return await me.me(session, replace(principal, user=user))


@router.get("/me/tasks", response_model=TasksPublic, responses=responses(*AUTHENTICATED, 403))
async def get_my_tasks(principal: CurrentPrincipal, session: SessionDep) -> TasksPublic:
    """What waits for the caller, as typed lists: open questionnaires a unit of theirs has not answered,
    published plans it has not opened, ballots with a vote of theirs not cast, acceptances to sign,
    rectification orders to answer or verify; for deciders, the binding requests they may approve."""
    return await me.tasks(session, principal)


@router.get("/me/unit-bindings", response_model=bounded(MyBindingPublic, "the caller's own bindings"), responses=responses(*AUTHENTICATED, 403))
async def list_my_unit_bindings(principal: CurrentPrincipal, session: SessionDep) -> list[MyBindingPublic]:
    return await service.my_bindings(session, principal.id)


@router.post(
    "/me/unit-bindings",
    response_model=MyBindingPublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTHENTICATED, 403, 404, 422, CONSENT_REQUIRED, BINDING_TARGET_REQUIRED, INVITE_CODE_INVALID,
                        BINDING_EXISTS, BINDING_SELF_BENEFIT, PERSON_ALREADY_BOUND, INVITE_CODE_THROTTLED),
)
async def request_unit_binding(
    body: UnitBindingCreate, principal: CurrentPrincipal, session: SessionDep, request: Request
) -> MyBindingPublic | JSONResponse:
    """Bind to a unit by invitation code (approved at once) or by unit id (approved at once when the
    caller's WeChat-verified phone is an owner's on record, else pending a decider). Ten wrong codes
    an hour, per account and per source address, and codes are refused for the rest of the hour (429).
    The caller first accepts the privacy notice in force for ``service`` (428 ``consent_required``)."""
    await consents.require(session, principal.id, consents.Purpose.service)
    source = request.client.host if request.client else "unknown"
    binding = await service.request_binding(session, principal, body, source)
    if isinstance(binding, AppError):  # answered, not raised: the refusal's count and audit entry commit
        return error_json(request, binding.code, binding.status, binding.details, binding.headers)
    mine = await service.my_bindings(session, principal.id)
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
    items, cursor = await service.list_for_decider(session, principal, page, status_, estate_id)
    return Page(items=items, next_cursor=cursor)


async def _decided(session, principal, binding) -> UnitBindingPublic:
    return (await service.public_bindings(session, principal, [binding]))[0]


@router.post("/unit-bindings/{binding_id}/approve", response_model=UnitBindingPublic,
             responses=responses(*AUTHENTICATED, 403, 404, 422, BINDING_SELF_DECISION, BINDING_ALREADY_DECIDED,
                                 BINDING_PERSON_REQUIRED, BINDING_PERSON_NOT_ON_RECORD, PERSON_ALREADY_BOUND,
                                 FILE_NOT_USABLE))
async def approve_unit_binding(
    binding_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep,
    body: Annotated[BindingDecisionApprove | None, Body()] = None,
) -> UnitBindingPublic:
    """Approve the applicant as one person on the unit's record (``person_id``; may be omitted when the
    request already names one), having checked them in person: the binding's assurance is ``in_person``
    (the document seen, and its photo, may be recorded). Nobody approves an account of their own, nor a
    person whose record they corrected; a person has at most one approved binding per unit."""
    binding = await service.approve_binding(session, principal, binding_id, body or BindingDecisionApprove())
    return await _decided(session, principal, binding)


@router.post("/unit-bindings/{binding_id}/identity-checks", response_model=UnitBindingPublic,
             responses=responses(*AUTHENTICATED, 403, 404, 422, BINDING_NOT_APPROVED, IDENTITY_CHECK_SELF,
                                 FILE_NOT_USABLE))
async def check_binding_identity(
    binding_id: uuid.UUID, body: IdentityCheckIn, principal: CurrentPrincipal, session: SessionDep
) -> UnitBindingPublic:
    """A grid worker or staff member who decides the unit's bindings checked the bound person's ID card or
    property certificate in person: the binding's assurance rises to ``in_person`` (never lowers). Never
    for oneself or an account one created."""
    return await _decided(session, principal, await service.check_identity(session, principal, binding_id, body))


@router.post(
    "/unit-bindings/{binding_id}/reject", response_model=UnitBindingPublic,
    responses=responses(*AUTHENTICATED, 403, 404, 422, BINDING_SELF_DECISION, BINDING_ALREADY_DECIDED)
)
async def reject_unit_binding(
    binding_id: uuid.UUID, body: BindingDecisionReject, principal: CurrentPrincipal, session: SessionDep
) -> UnitBindingPublic:
    binding = await service.reject_binding(session, principal, binding_id, body.reason)
    return await _decided(session, principal, binding)


@router.post("/me/unit-bindings/{binding_id}/real-name", response_model=MyBindingPublic,
             responses=responses(*AUTHENTICATED, 403, 404, 422, BINDING_NOT_APPROVED, REALNAME_FAILED,
                                 REALNAME_MISMATCH, REALNAME_UNAVAILABLE))
async def check_my_real_name(
    binding_id: uuid.UUID, body: RealNameIn, principal: CurrentPrincipal, session: SessionDep,
    provider: Annotated[RealNameProvider | None, Depends(get_realname)],
) -> MyBindingPublic:
    """The token of a real-name check made in the mini-program (WeChat 实名/人脸核身): when it passed for the
    name on the unit's record, the binding's assurance rises to ``provider``. Never the only way: a grid
    worker's in-person check does as much."""
    binding = await service.check_real_name(session, principal, binding_id, body.token, provider)
    return next(b for b in await service.my_bindings(session, principal.id) if b.id == binding.id)


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
    invite = await service.invite_family(session, principal, binding_id, body)
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
    invite = await service.create_invite_code(session, principal, unit_id, body)
    assert invite.person_id is not None
    return InviteCodePublic(code=invite.code, unit_id=invite.unit_id, person_id=invite.person_id,
                            relation=invite.relation, expires_at=invite.expires_at)


# Residency's routes: the resident's own, tagged with the login routes, and their rights (tagged privacy).
routes = APIRouter()
routes.include_router(router)
routes.include_router(rights_router)
