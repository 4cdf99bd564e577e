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

from app.auth.authz import loader
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.projects import access
from app.projects.models import Project, ProjectItem, ProjectOrganization

ProjectForRead = Annotated[Project, loader(Project, access.project_condition, "read", param="project_id")]
ProjectForManage = Annotated[Project, loader(Project, access.project_condition, "manage", param="project_id")]
ProjectForProgress = Annotated[Project, loader(Project, access.project_condition, "progress", param="project_id")]


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
