"""The public notice board as web pages: the same documents as ``router``, at the same paths without the
API prefix (``/public/estates/{code}`` ...), rendered on the server with Jinja2 - no JavaScript, large type,
one column on a phone (适老化). A notice's QR code opens these."""

import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.acceptance.reads import ROLE_NAMES
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import AppError
from app.public import service

router = APIRouter(prefix="/public", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["minute"] = lambda at: clock.shanghai_text(at) if isinstance(at, datetime) else ""
templates.env.filters["day"] = lambda at: clock.shanghai_text(at)[:10] if isinstance(at, datetime) else ""
templates.env.filters["yuan"] = service.yuan
OUTCOMES = {"passed": "通过", "rejected": "未通过", "quorum_not_met": "参与表决未达法定比例，未通过"}
RATIO_NAMES = {"participation_area": "参与表决面积占比", "participation_headcount": "参与表决人数占比",
               "approval_area": "同意面积占参与面积", "approval_headcount": "同意人数占参与人数"}


async def _render(request: Request, template: str, make: Any, **context: Any) -> Response:
    """The page of ``await make``; a document not found is the board's own 404 page (never which part of
    a code or hash was wrong)."""
    try:
        document = await make
    except AppError as refused:
        if refused.status != 404:
            raise
        return templates.TemplateResponse(request, "missing.html", {}, status_code=404)
    return templates.TemplateResponse(request, template, {"d": document, **context})


@router.get("/estates/{code}", response_class=HTMLResponse)
async def estate_page(code: str, request: Request, session: SessionDep) -> Response:
    return await _render(request, "estate.html", service.estate(session, code[:16]))


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
async def plan_page(plan_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    return await _render(request, "plan.html", service.plan(session, plan_id))


@router.get("/ballots/{ballot_id}", response_class=HTMLResponse)
async def ballot_page(ballot_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    return await _render(request, "ballot.html", service.ballot(session, ballot_id), outcomes=OUTCOMES,
                         ratio_names=RATIO_NAMES)


@router.get("/receipts", response_class=HTMLResponse)
async def receipt_form(code: Annotated[str, Query(max_length=32)] = "") -> Response:
    """The form on every page asks here; the answer is the code's own page."""
    target = f"/public/receipts/{code.strip().upper()}" if code.strip() else "/public/receipts/-"
    return RedirectResponse(target, status_code=303)


@router.get("/receipts/{code}", response_class=HTMLResponse)
async def receipt_page(code: str, request: Request, session: SessionDep) -> Response:
    return await _render(request, "receipt.html", service.receipt(session, code[:32]))


@router.get("/certificates/{content_hash}", response_class=HTMLResponse)
async def certificate_page(content_hash: str, request: Request, session: SessionDep) -> Response:
    return await _render(request, "certificate.html", service.certificate(session, content_hash[:64]),
                         role_names=ROLE_NAMES)
