"""The plans domain's read API for the domains above it (a ballot's motion adopts a plan version; a
deciding ballot is held on the version currently published)."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.plans.models import PlanStatus, PlanVersion

__all__ = ["PlanRef", "PlanStatus", "current_version", "plans"]


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


async def current_version(session: AsyncSession, project_id: uuid.UUID) -> PlanRef | None:
    """The project's plan as residents know it: its latest version, if published. None while there is no
    plan or a revision is being drafted."""
    latest = (await session.exec(select(PlanVersion).where(PlanVersion.project_id == project_id)
                                 .order_by(col(PlanVersion.version).desc()).limit(1))).first()
    if latest is None or latest.status != PlanStatus.published:
        return None
    return PlanRef(latest.id, latest.project_id, latest.version, latest.title, PlanStatus(latest.status))
