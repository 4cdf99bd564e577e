"""The public notice board as JSON (API.md "Public notice board"): the documents the pages show, for
anyone, without logging in. Every answer carries ETag and Cache-Control (``cache.PublicBoard``)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from app.core.db import SessionDep
from app.core.errors import responses
from app.core.spreadsheets import attachment
from app.files.errors import FILE_CONTENT_MISSING
from app.files.storage import StorageDep
from app.public import schemas, service
from app.public.errors import PUBLIC_RATE_LIMITED

router = APIRouter(prefix="/public", tags=["public"], responses=responses(404, PUBLIC_RATE_LIMITED))

Code = Annotated[str, Path(min_length=1, max_length=16, description="the estate's short code, as printed")]
Hash = Annotated[str, Path(min_length=1, max_length=64, description="the SHA-256 the certificate's QR code carries")]
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {"schema": {"type": "string",
                                                                                       "format": "binary"}}}}}
JPEG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}}}


def _pdf(data: bytes, name: str) -> Response:
    """Shown in the phone's viewer rather than downloaded: it is what the paper notice says."""
    disposition = attachment("notice.pdf", f"{name}.pdf")["Content-Disposition"].replace("attachment", "inline", 1)
    return Response(data, media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.get("/estates/{code}", response_model=schemas.Estate)
async def public_estate(code: Code, session: SessionDep) -> schemas.Estate:
    """An estate by the short code on its notices: its projects with their stage and timeline, each item's
    progress with its photos, the published plans, the announced ballots, the acceptance and the
    satisfaction survey's totals."""
    return await service.estate(session, code)


@router.get("/plans/{plan_id}", response_model=schemas.Plan)
async def public_plan(plan_id: uuid.UUID, session: SessionDep) -> schemas.Plan:
    """A published plan version, and the residents' opinions on it with their answers (never who wrote them)."""
    return await service.plan(session, plan_id)


@router.get("/plans/{plan_id}/pdf", response_class=Response, responses={**PDF, **responses(FILE_CONTENT_MISSING)})
async def public_plan_pdf(plan_id: uuid.UUID, session: SessionDep, storage: StorageDep) -> Response:
    return _pdf(*await service.plan_pdf(session, storage, plan_id))


@router.get("/ballots/{ballot_id}", response_model=schemas.Ballot)
async def public_ballot(ballot_id: uuid.UUID, session: SessionDep) -> schemas.Ballot:
    """An announced ballot: its announcement, and once closed its totals, preliminary then final - never
    a household's vote, nor which households voted."""
    return await service.ballot(session, ballot_id)


@router.get("/ballots/{ballot_id}/announcement.pdf", response_class=Response, responses=PDF)
async def public_ballot_announcement(ballot_id: uuid.UUID, session: SessionDep) -> Response:
    return _pdf(*await service.ballot_pdf(session, ballot_id, "announcement"))


@router.get("/ballots/{ballot_id}/results.pdf", response_class=Response, responses=PDF)
async def public_ballot_results(ballot_id: uuid.UUID, session: SessionDep) -> Response:
    return _pdf(*await service.ballot_pdf(session, ballot_id, "results"))


@router.get("/receipts/{code}", response_model=schemas.Receipt)
async def public_receipt(code: Annotated[str, Path(min_length=1, max_length=32)], session: SessionDep) -> schemas.Receipt:
    """A vote's receipt code: counted in which ballot (never the choice). Receipts are published when the
    ballot closes; an unknown code is not found."""
    return await service.receipt(session, code)


@router.get("/certificates/{content_hash}", response_model=schemas.Certificate)
async def public_certificate(content_hash: Hash, session: SessionDep) -> schemas.Certificate:
    """The acceptance certificate its QR code carries the hash of, and whether the record and every
    signature in force still match it."""
    return await service.certificate(session, content_hash)


@router.get("/certificates/{content_hash}/pdf", response_class=Response,
            responses={**PDF, **responses(FILE_CONTENT_MISSING)})
async def public_certificate_pdf(content_hash: Hash, session: SessionDep, storage: StorageDep) -> Response:
    return _pdf(*await service.certificate_pdf(session, storage, content_hash))


@router.get("/photos/{file_id}", response_class=Response, responses={**JPEG, **responses(FILE_CONTENT_MISSING)})
async def public_photo(file_id: uuid.UUID, session: SessionDep, storage: StorageDep) -> Response:
    """A photo of a progress report, as a thumbnail; any other file is not found."""
    return Response(await service.photo(session, storage, file_id), media_type="image/jpeg")
