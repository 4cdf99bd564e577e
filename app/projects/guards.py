"""The lifecycle guards the projects domain owns. Imported by ``app.projects.service``, so they are
registered whenever projects can be transitioned; other domains register theirs the same way, under the
names ``lifecycle.REQUIRED_GUARDS`` declares (an edge whose guard nobody registered stays closed)."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.projects.lifecycle import guard
from app.projects.models import (
    Project,
    ProjectItem,
    ProjectOrganization,
    ProjectOrganizationRole,
    ProjectStatus,
)


async def _has_items(session: AsyncSession, project: Project) -> bool:
    stmt = select(ProjectItem.id).where(ProjectItem.project_id == project.id).limit(1)
    return (await session.exec(stmt)).first() is not None


async def _has_contractor(session: AsyncSession, project: Project) -> bool:
    stmt = select(ProjectOrganization.id).where(
        ProjectOrganization.project_id == project.id, ProjectOrganization.role == ProjectOrganizationRole.contractor
    )
    return (await session.exec(stmt.limit(1))).first() is not None


async def _items_complete(session: AsyncSession, project: Project) -> bool:
    # No item at all is not "complete": acceptance needs something that was built.
    if not await _has_items(session, project):
        return False
    stmt = select(ProjectItem.id).where(ProjectItem.project_id == project.id, ProjectItem.progress_percent < 100)
    return (await session.exec(stmt.limit(1))).first() is None


ITEMS_SELECTED = guard(
    "items_selected",
    [(ProjectStatus.designing, ProjectStatus.publicizing)],
    "请先从改造菜单中选择至少一项改造内容",
    "Select at least one item of the renovation menu first",
    _has_items,
)
CONTRACTOR_ASSIGNED = guard(
    "contractor_assigned",
    [(ProjectStatus.approved, ProjectStatus.constructing)],
    "请先为项目指定施工单位",
    "Link a contractor organisation to the project first",
    _has_contractor,
)
ITEMS_COMPLETE = guard(
    "items_complete",
    [(ProjectStatus.constructing, ProjectStatus.accepting)],
    "所有改造内容的进度达到100%后才能申请竣工验收",
    "Every renovation item must be at 100% before acceptance",
    _items_complete,
)
