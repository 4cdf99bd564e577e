"""The plans domain's read API for the domains above it (a ballot's motion adopts a plan version)."""

import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from app.plans.models import PlanStatus, PlanVersion

__all__ = ["PlanRef", "PlanStatus", "plan"]


@dataclass(frozen=True)
class PlanRef:
    id: uuid.UUID
    project_id: uuid.UUID
    version: int
    title: str
    status: PlanStatus


async def plan(session: AsyncSession, plan_id: uuid.UUID) -> PlanRef | None:
    found = await session.get(PlanVersion, plan_id)
    return PlanRef(found.id, found.project_id, found.version, found.title, PlanStatus(found.status)) if found else None
