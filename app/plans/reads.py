"""The plans domain's read API for the domains above it (a ballot's motion adopts a plan version)."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.plans.models import PlanStatus, PlanVersion

__all__ = ["PlanRef", "PlanStatus", "plans"]


@dataclass(frozen=True)
class PlanRef:
    id: uuid.UUID
    project_id: uuid.UUID
    version: int
    title: str
    status: PlanStatus


async def plans(session: AsyncSession, plan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PlanRef]:
    """The plan versions of those ids that exist, in one query."""
    if not plan_ids:
        return {}
    found = (await session.exec(select(PlanVersion).where(col(PlanVersion.id).in_(list(plan_ids))))).all()
    return {p.id: PlanRef(p.id, p.project_id, p.version, p.title, PlanStatus(p.status)) for p in found}
