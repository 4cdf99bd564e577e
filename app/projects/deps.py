"""Resource loaders for projects: fetch what the caller may touch at the level the route needs.

A project outside the caller's read scope is not found (404); one they can read but not change at the
route's level answers 403. Items and organisation links are looked up inside the loaded project, so
an id from another project is not found either.
"""

import uuid
from typing import Annotated

from fastapi import Depends
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.deps import CurrentPrincipal
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.projects import access
from app.projects.access import ProjectLevel
from app.projects.models import Project, ProjectItem, ProjectOrganization
from app.registry.deps import load_scoped


async def project_for(session: AsyncSession, principal: Principal, project_id: uuid.UUID, level: ProjectLevel) -> Project:
    return await load_scoped(session, Project, project_id, access.project_condition, principal, level)


async def _project_for_read(project_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Project:
    return await project_for(session, principal, project_id, "read")


async def _project_for_manage(project_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Project:
    return await project_for(session, principal, project_id, "manage")


async def _project_for_progress(project_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Project:
    return await project_for(session, principal, project_id, "progress")


ProjectForRead = Annotated[Project, Depends(_project_for_read)]
ProjectForManage = Annotated[Project, Depends(_project_for_manage)]
ProjectForProgress = Annotated[Project, Depends(_project_for_progress)]


async def _item_in(session: AsyncSession, project: Project, item_id: uuid.UUID) -> ProjectItem:
    item = (
        await session.exec(select(ProjectItem).where(ProjectItem.id == item_id, ProjectItem.project_id == project.id))
    ).first()
    if item is None:
        raise NotFound()
    return item


async def _item_for_read(item_id: uuid.UUID, project: ProjectForRead, session: SessionDep) -> ProjectItem:
    return await _item_in(session, project, item_id)


async def _item_for_progress(item_id: uuid.UUID, project: ProjectForProgress, session: SessionDep) -> ProjectItem:
    return await _item_in(session, project, item_id)


ItemForRead = Annotated[ProjectItem, Depends(_item_for_read)]
ItemForProgress = Annotated[ProjectItem, Depends(_item_for_progress)]


async def _link_for_manage(link_id: uuid.UUID, project: ProjectForManage, session: SessionDep) -> ProjectOrganization:
    link = (
        await session.exec(
            select(ProjectOrganization).where(
                ProjectOrganization.id == link_id, ProjectOrganization.project_id == project.id
            )
        )
    ).first()
    if link is None:
        raise NotFound()
    return link


LinkForManage = Annotated[ProjectOrganization, Depends(_link_for_manage)]
