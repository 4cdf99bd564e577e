"""How another domain moves a project along the lifecycle when its own record decides it (a closed
ballot decides voting -> approved or rejected): the same transition as staff make, with every guard
checked and every reaction run, in the caller's transaction."""

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from app.projects import service
from app.projects.models import Project, ProjectStatus


async def move(session: AsyncSession, project_id: uuid.UUID, target: ProjectStatus, actor_id: uuid.UUID | None,
               note: str | None = None) -> None:
    """Move the project to ``target``; raises 409 ``transition_not_allowed`` when a guard is unmet."""
    project = await session.get(Project, project_id)
    assert project is not None  # the caller read it through projects.reads
    await service.transition(session, actor_id, project, target, note, english=False)
