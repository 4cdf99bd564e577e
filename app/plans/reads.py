"""The plans domain's read API for the domains above it (a ballot's motion adopts a plan version; a
deciding ballot is held on the version currently published)."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.files.storage import Storage
from app.plans import documents, service
from app.plans.flows import STATUS_NAMES
from app.plans.models import PlanOpinion, PlanStatus, PlanVersion
from app.plans.schemas import PlanPublic

__all__ = ["PlanPublic", "PlanRef", "PlanStatus", "Reply", "board_pdf", "current_version", "plans", "published_plans",
           "replies"]


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


# ---- what the public notice board shows (docs/public-board.md) ----------------------------------------------


async def published_plans(session: AsyncSession, project_id: uuid.UUID) -> list[PlanPublic]:
    """The project's versions ever published (never a draft), newest first, as the board shows them: no
    name of who wrote or published them, and of the opinions they answer only those nobody hid."""
    rows = (await session.exec(select(PlanVersion).where(
        PlanVersion.project_id == project_id, PlanVersion.status != PlanStatus.draft)
        .order_by(col(PlanVersion.version).desc()))).all()
    return await service.public(session, None, list(rows))


@dataclass(frozen=True)
class Reply:
    """An opinion on a version and the answer to it, without who wrote either."""

    item_code: str | None
    content: str
    status: str
    status_name: str
    reply: str | None
    replied_at: datetime | None


async def replies(session: AsyncSession, plan_id: uuid.UUID) -> list[Reply]:
    """The opinions on a published version that nobody hid, with their answers, oldest first."""
    rows = (await session.exec(select(PlanOpinion).join(PlanVersion, col(PlanVersion.id) == PlanOpinion.plan_id).where(
        PlanOpinion.plan_id == plan_id, col(PlanOpinion.hidden).is_(False), PlanVersion.status != PlanStatus.draft)
        .order_by(col(PlanOpinion.created_at), col(PlanOpinion.id)))).all()
    return [Reply(o.item_code, o.content, o.status.value, STATUS_NAMES[o.status], o.reply, o.replied_at) for o in rows]


async def board_pdf(session: AsyncSession, storage: Storage, plan: PlanPublic) -> bytes:
    """The published version as the one PDF residents get, for the board."""
    return await documents.bundle(session, storage, plan)
