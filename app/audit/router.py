"""Audit routes: ``GET /audit`` (staff, scoped to the estates they manage) and ``GET /audit/verify``."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditEntryPublic, AuditVerifyPublic
from app.auth.authz import require_roles
from app.auth.deps import AUTHENTICATED
from app.auth.principal import Principal
from app.auth.roles import Role
from app.core import audit
from app.core.db import SessionDep
from app.core.errors import responses
from app.core.pagination import Page, PageDep, page_of

router = APIRouter(tags=["audit"])

AuditReader = Annotated[Principal, require_roles(Role.admin, Role.street_staff, Role.community_staff)]
Admin = Annotated[Principal, require_roles(Role.admin)]


@router.get("/audit", response_model=Page[AuditEntryPublic], responses=responses(400, *AUTHENTICATED, 403))
async def list_audit_entries(
    principal: AuditReader,
    session: SessionDep,
    page: PageDep,
    entity_type: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[AuditEntryPublic]:
    """Newest first. Admins read everything; street and community staff the entries of their estates."""
    rows, cursor = await service.entries(session, principal, page, entity_type, entity_id)
    return page_of(AuditEntryPublic, rows, cursor)


@router.get("/audit/verify", response_model=AuditVerifyPublic, responses=responses(*AUTHENTICATED, 403))
async def verify_audit_chain(principal: Admin, session: SessionDep) -> AuditVerifyPublic:
    """Recompute every chain (one per estate, one for the city); names the first entry that was edited,
    removed or inserted, and counts the entries not chained yet."""
    result = await audit.verify(session)
    return AuditVerifyPublic(**result.__dict__)
