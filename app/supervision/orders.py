"""Supervision's write API for other domains: issuing rectification orders on a project (acceptance
turns each reason of a rejection into one). The orders follow the same workflow, timeline and notices as
those a supervisor issues."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.projects import reads as projects
from app.projects.reads import ProjectRef
from app.supervision import service
from app.supervision.errors import NOT_A_CONTRACTOR
from app.supervision.rules import Priority
from app.supervision.schemas import RectificationIn


@dataclass(frozen=True)
class OrderRef:
    id: uuid.UUID
    number: int
    title: str


async def issue(session: AsyncSession, actor_id: uuid.UUID, project: ProjectRef, titles: list[tuple[str, str]],
                due_at: datetime) -> list[OrderRef]:
    """One order per (title, description) to the project's contractor, high priority, due ``due_at``."""
    contractors = await projects.organizations(session, project.id, projects.ProjectOrganizationRole.contractor)
    if not contractors:
        raise NOT_A_CONTRACTOR()
    out = []
    for title, description in titles:
        order = await service.issue(session, actor_id, project, RectificationIn(
            title=title[:200], description=description[:2000], organization_id=contractors[0].organization_id,
            priority=Priority.high, due_at=due_at))
        out.append(OrderRef(order.id, order.number, order.title))
    return out
