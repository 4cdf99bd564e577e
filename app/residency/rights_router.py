"""The caller's rights over their personal information (API.md: Personal information; docs/personal-information.md):
consents, their data, who looked, correction requests - and staff answering them - and closing the
account. The notice itself is public (``GET /privacy``, app.privacy)."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from app.auth import reads as accounts
from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import responses
from app.core.pagination import Page, PageDep, bounded
from app.core.spreadsheets import attachment
from app.files.errors import FILE_CONTENT_MISSING
from app.files.storage import StorageDep
from app.privacy import consents
from app.privacy.errors import CONSENT_VERSION_UNKNOWN
from app.privacy.schemas import ConsentIn, ConsentPublic, DataAccessPublic
from app.residency import rights
from app.residency.errors import CORRECTION_ALREADY_ANSWERED, CORRECTION_NOT_ON_RECORD, CORRECTION_SELF_DECISION
from app.residency.models import CorrectionStatus
from app.residency.schemas import (
    CorrectionRequestCreate,
    CorrectionRequestPublic,
    CorrectionRequestStaff,
    MyData,
    RecordCorrectionAnswer,
    RecordCorrectionRejection,
)

router = APIRouter(tags=["privacy"])


@router.post("/me/consents", response_model=bounded(ConsentPublic, "the caller's own consents"),
             responses=responses(*AUTHENTICATED, 403, 422, CONSENT_VERSION_UNKNOWN))
async def accept_privacy_notice(body: ConsentIn, principal: CurrentPrincipal, session: SessionDep) -> list[ConsentPublic]:
    """Accept the privacy notice (``GET /privacy``) in the version shown, for each purpose: ``service``
    before binding a unit or a phone, ``location`` (a supervisor; sensitive, asked separately) before an
    inspection records a position. Only the current version is accepted (409 names it). Every consent the
    caller has given."""
    given = await consents.accept(session, principal.id, body.notice_version, body.purposes)
    return [ConsentPublic(purpose=c.purpose, notice_version=c.notice_version, accepted_at=c.accepted_at) for c in given]


ZIP: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {}, "application/zip": {"schema": {"type": "string", "format": "binary"}}},
             "description": "JSON, or with ?format=zip a ZIP of data.json and the caller's uploaded files"}}


@router.get("/me/data", response_model=MyData,
            responses={**ZIP, **responses(*AUTHENTICATED, 403, 422, FILE_CONTENT_MISSING)})
async def get_my_data(
    principal: CurrentPrincipal, session: SessionDep, storage: StorageDep,
    format: Annotated[Literal["json", "zip"], Query(description="zip: with the caller's uploaded files")] = "json",
) -> MyData | Response:
    """Everything the service holds about the caller (PIPL art. 45): the account and its logins, consents,
    bindings and their own entries on units' records (others on the record masked), questionnaire answers,
    opinions, votes with their receipts, complaints, notifications, uploads, and which staff were shown
    their data. Nothing about anyone else."""
    if format == "zip":
        spooled = await rights.my_data_zip(session, storage, principal)
        return StreamingResponse(iter(lambda: spooled.read(64 * 1024), b""), media_type="application/zip", headers={
            **attachment("my-data.zip", "我的个人信息.zip"), "Cache-Control": "no-store"})
    return await rights.my_data(session, principal)


@router.get("/me/data-access", response_model=Page[DataAccessPublic],
            responses=responses(400, *AUTHENTICATED, 403, 422))
async def list_my_data_access(principal: CurrentPrincipal, session: SessionDep, page: PageDep) -> Page[DataAccessPublic]:
    """Who was shown the caller's full phone or unmasked name - as their account or as their entry on a
    unit's record - when and where: one entry per staff member and day, newest first."""
    items, cursor = await rights.who_looked(session, principal, page)
    return Page(items=items, next_cursor=cursor)


@router.post("/me/correction-requests", response_model=CorrectionRequestPublic, status_code=status.HTTP_201_CREATED,
             responses=responses(*AUTHENTICATED, 403, 404, 422))
async def request_record_correction(
    body: CorrectionRequestCreate, principal: CurrentPrincipal, session: SessionDep
) -> CorrectionRequestPublic:
    """Ask for the caller's own entry on the record of a unit they are bound to to be corrected (name,
    phone). Staff who may correct the unit answer; the caller is told. Another unit is not found."""
    return await rights.request_correction(session, principal, body)


@router.get("/me/correction-requests", response_model=Page[CorrectionRequestPublic],
            responses=responses(400, *AUTHENTICATED, 403, 422))
async def list_my_correction_requests(
    principal: CurrentPrincipal, session: SessionDep, page: PageDep
) -> Page[CorrectionRequestPublic]:
    items, cursor = await rights.my_corrections(session, principal, page)
    return Page(items=items, next_cursor=cursor)


@router.get("/correction-requests", response_model=Page[CorrectionRequestStaff],
            responses=responses(400, *AUTHENTICATED, 403, 422))
async def list_correction_requests(
    principal: CurrentPrincipal, session: SessionDep, page: PageDep,
    status_: Annotated[CorrectionStatus | None, Query(alias="status")] = CorrectionStatus.pending,
) -> Page[CorrectionRequestStaff]:
    """Residents' requests to correct their entries on the records of units the caller may correct (grid,
    community, street: the registry's contact level), oldest first; pending ones by default."""
    items, cursor = await rights.corrections_for_staff(session, principal, page, status_)
    return Page(items=items, next_cursor=cursor)


ANSWER_ERRORS = (*AUTHENTICATED, 403, 404, 422, CORRECTION_SELF_DECISION, CORRECTION_ALREADY_ANSWERED)


@router.post("/correction-requests/{request_id}/accept", response_model=CorrectionRequestStaff,
             responses=responses(*ANSWER_ERRORS, CORRECTION_NOT_ON_RECORD))
async def accept_correction_request(
    request_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep,
    body: RecordCorrectionAnswer | None = None,
) -> CorrectionRequestStaff:
    """Correct the entry as asked (audited, as a correction of the unit's record); the resident keeps
    their binding and is told."""
    return await rights.answer_correction(session, principal, request_id, True, (body or RecordCorrectionAnswer()).reply)


@router.post("/correction-requests/{request_id}/reject", response_model=CorrectionRequestStaff,
             responses=responses(*ANSWER_ERRORS))
async def reject_correction_request(
    request_id: uuid.UUID, body: RecordCorrectionRejection, principal: CurrentPrincipal, session: SessionDep,
) -> CorrectionRequestStaff:
    """Refuse, saying why; the resident is told."""
    return await rights.answer_correction(session, principal, request_id, False, body.reply)


class AccountClosed(BaseModel):
    closed_at: datetime
    released: list[str] = Field(description="the parts of the service that released what they held")


@router.post("/me/deletion", response_model=AccountClosed, responses=responses(*AUTHENTICATED, 403))
async def close_my_account(principal: CurrentPrincipal, session: SessionDep) -> AccountClosed:
    """Close the caller's own account (注销, PIPL art. 47), for good: every login ends; WeChat ids,
    nickname and phone leave the account. The ledger's record of an owner stays (it is the estate's);
    votes stay with the person for the ballot's legal retention; questionnaire answers and opinions stay
    without a link to anyone. Logging in with WeChat again starts a new account."""
    released = await rights.close_account(session, principal)
    return AccountClosed(closed_at=await accounts.closed_at(session, principal.id), released=released)

