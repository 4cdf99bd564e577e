"""What happens when a ballot closes, in one place: a ballot that decides the project moves it from
voting to approved (every motion passed) or rejected, through the lifecycle - its guards check this
ballot, and entering the new stage tells the residents (the projects domain's reaction)."""

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from app.projects import moves
from app.projects import reads as projects
from app.projects.reads import ProjectStatus
from app.voting.models import Ballot


async def closed(session: AsyncSession, ballot: Ballot, actor_id: uuid.UUID | None, passed: bool) -> None:
    if not ballot.decides_project:
        return
    project = await projects.project(session, ballot.project_id)
    if project is None or project.status != ProjectStatus.voting:
        return
    target = ProjectStatus.approved if passed else ProjectStatus.rejected
    await moves.move(session, project.id, target, actor_id, note=f"表决「{ballot.title}」{'通过' if passed else '未通过'}")
