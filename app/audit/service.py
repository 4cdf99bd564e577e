"""Reading the audit log within a caller's scope (the chain itself, and verifying it, are core's)."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.core.models import AuditEntry
from app.core.pagination import PageParams, paginate
from app.registry import reads as registry


async def entries(
    session: AsyncSession, principal: Principal, page: PageParams, entity_type: str | None, entity_id: str | None,
) -> tuple[list[AuditEntry], str | None]:
    """Newest first. Admins read everything; street and community staff the entries of their estates."""
    stmt = select(AuditEntry)
    if not principal.is_admin:
        stmt = stmt.where(registry.estate_in(AuditEntry.estate_id, principal, "manage"))
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    return await paginate(session, stmt, [col(AuditEntry.id)], page, descending=True)
