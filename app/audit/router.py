"""Audit routes: ``GET /audit`` (staff, scoped to the estates they manage) and ``GET /audit/verify``."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import select

from app.auth.deps import AUTHENTICATED
from app.auth.principal import Principal
from app.auth.roles import Role
from app.authz import require_roles
from app.core import audit
from app.core.db import SessionDep
from app.core.errors import responses
from app.core.models import AuditEntry
from app.core.pagination import Page, PageDep, page_of, paginate
from app.registry import reads as registry

router = APIRouter(tags=["audit"])

AuditReader = Annotated[Principal, require_roles(Role.admin, Role.street_staff, Role.community_staff)]
Admin = Annotated[Principal, require_roles(Role.admin)]


class AuditEntryPublic(BaseModel):
    seq: int
    created_at: datetime
    actor_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: str
    estate_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    hash: str


class AuditVerifyPublic(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


@router.get("/audit", response_model=Page[AuditEntryPublic], responses=responses(400, *AUTHENTICATED, 403))
async def list_audit_entries(
    principal: AuditReader,
    session: SessionDep,
    page: PageDep,
    entity_type: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[AuditEntryPublic]:
    """Newest first. Admins read everything; street and community staff the entries of their estates."""
    stmt = select(AuditEntry)
    if not principal.is_admin:
        stmt = stmt.where(AuditEntry.estate_id.in_(registry.estate_ids(principal, "manage")))
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    rows, cursor = await paginate(session, stmt, [AuditEntry.seq], page, descending=True)
    return page_of(AuditEntryPublic, rows, cursor)


@router.get("/audit/verify", response_model=AuditVerifyPublic, responses=responses(*AUTHENTICATED, 403))
async def verify_audit_chain(principal: Admin, session: SessionDep) -> AuditVerifyPublic:
    """Recompute the hash chain; names the first entry that was edited, removed or inserted."""
    result = await audit.verify(session)
    return AuditVerifyPublic(**result.__dict__)
