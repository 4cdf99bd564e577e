"""Acceptance (API.md "Acceptance"): thin routes over ``service``."""

import uuid

from fastapi import APIRouter, Response, status

from app.acceptance import documents, service
from app.acceptance.deps import AcceptanceForManage, AcceptanceForRead
from app.acceptance.errors import (
    ACCEPTANCE_CLOSED,
    ACCEPTANCE_OPEN,
    CHECKLIST_INCOMPLETE,
    COMMITTEE_REQUIRED,
    CONTENT_CHANGED,
    ITEM_UNKNOWN,
    MANDATORY_MISSING,
    NO_COMMITTEE,
    NO_SUPERVISION_COMPANY,
    PROJECT_NOT_READY,
    REASONS_REQUIRED,
    REPRESENTATIVE_INVALID,
    REPRESENTATIVES_REQUIRED,
    ROLE_NOT_HELD,
    ROLE_NOT_REQUIRED,
    ROLE_SIGNED,
    SIGNATURE_IMAGE_INVALID,
    SUPERVISION_REQUIRED,
)
from app.acceptance.schemas import AcceptanceOpen, AcceptancePatch, AcceptancePublic, SignIn, VerifyPublic
from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import responses
from app.core.pagination import bounded
from app.core.spreadsheets import attachment
from app.files.errors import FILE_CONTENT_MISSING, FILE_NOT_USABLE
from app.files.storage import StorageDep
from app.projects import reads as projects
from app.projects.errors import TRANSITION_NOT_ALLOWED
from app.supervision.errors import NOT_A_CONTRACTOR

router = APIRouter(tags=["acceptance"], responses=responses(*AUTHENTICATED, 422))


async def _one(session, a) -> AcceptancePublic:
    return (await service.public(session, [a]))[0]


@router.get("/projects/{project_id}/acceptances", response_model=bounded(AcceptancePublic, "the rounds of one project"), responses=responses(404))
async def list_acceptances(project_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep):
    """Every round of the project's acceptance, oldest first (residents read them too)."""
    await projects.require_project(session, principal, project_id, "read")
    return await service.public(session, await service.list_acceptances(session, principal, project_id))


@router.post("/projects/{project_id}/acceptance", response_model=AcceptancePublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, PROJECT_NOT_READY, ACCEPTANCE_OPEN, TRANSITION_NOT_ALLOWED, COMMITTEE_REQUIRED,
                                 NO_COMMITTEE, REPRESENTATIVES_REQUIRED, NO_SUPERVISION_COMPANY, SUPERVISION_REQUIRED,
                                 MANDATORY_MISSING,
                                 REPRESENTATIVE_INVALID))
async def open_acceptance(project_id: uuid.UUID, body: AcceptanceOpen, principal: CurrentPrincipal,
                          session: SessionDep):
    """Open a round of acceptance (those who manage the project). From ``constructing`` it moves the
    project to ``accepting``, so the guards apply: every item at 100 %, every rectification order closed or
    waived (409 ``transition_not_allowed`` names what is missing). The signatories are told."""
    project = await projects.require_project(session, principal, project_id, "manage")
    return await _one(session, await service.open_acceptance(session, principal, project, body))


@router.get("/acceptances/{acceptance_id}", response_model=AcceptancePublic, responses=responses(404))
async def get_acceptance(a: AcceptanceForRead, session: SessionDep):
    """The record: its checklist, who must sign, the signatures, and the content and hash to sign."""
    return await _one(session, a)


@router.patch("/acceptances/{acceptance_id}", response_model=AcceptancePublic,
              responses=responses(403, 404, ACCEPTANCE_CLOSED, ITEM_UNKNOWN))
async def update_acceptance(a: AcceptanceForManage, body: AcceptancePatch, principal: CurrentPrincipal,
                            session: SessionDep):
    """Decide checklist items (accepted / not accepted, remarks) or change the remarks. Any change of the
    content invalidates every signature given, and their signers are told to sign again."""
    return await _one(session, await service.update(session, principal, a, body))


@router.post("/acceptances/{acceptance_id}/signatures", response_model=AcceptancePublic,
             status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, ACCEPTANCE_CLOSED, ROLE_NOT_REQUIRED, ROLE_NOT_HELD, CONTENT_CHANGED,
                                 CHECKLIST_INCOMPLETE, ROLE_SIGNED, REASONS_REQUIRED, SIGNATURE_IMAGE_INVALID,
                                 FILE_NOT_USABLE, NOT_A_CONTRACTOR, TRANSITION_NOT_ALLOWED))
async def sign_acceptance(a: AcceptanceForRead, body: SignIn, principal: CurrentPrincipal, session: SessionDep):
    """Sign for a role you hold, on the record as you read it (``content_hash``; a stale one is refused):
    approve, or reject with reasons. The last approval accepts the project; a rejection sends it back to
    construction with a rectification order per reason."""
    await service.sign(session, principal, a, body)
    return await _one(session, a)


@router.get("/acceptances/{acceptance_id}/verify", response_model=VerifyPublic, responses=responses(404))
async def verify_acceptance(a: AcceptanceForRead, session: SessionDep):
    """Recompute the record's content hash and check every signature against it."""
    return await service.verify(session, a)


@router.get("/acceptances/{acceptance_id}/certificate.pdf", response_class=Response, responses={
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
          "description": "The certificate (验收单) as a PDF"}, **responses(404, FILE_CONTENT_MISSING)})
async def acceptance_certificate(a: AcceptanceForRead, session: SessionDep, storage: StorageDep):
    """The certificate: estate, project, checklist, each signatory with decision, time and signature, the
    content hash and a QR code of the verify link."""
    data = await documents.certificate(session, storage, await _one(session, a))
    return Response(data, media_type="application/pdf", headers={
        **attachment(f"acceptance-{a.round}.pdf", f"竣工验收单（第{a.round}轮）.pdf"), "Cache-Control": "private"})
