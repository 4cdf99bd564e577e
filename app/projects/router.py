"""Projects routes (API.md: Projects). Thin: loaders authorise, services do the work."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response, status
from pydantic import Field

from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import responses, wants_english
from app.core.pagination import Page, PageDep, page_of
from app.files.errors import FILE_NOT_USABLE
from app.projects import service
from app.projects.deps import (
    ItemForProgress,
    ItemForRead,
    LinkForManage,
    ProjectForManage,
    ProjectForProgress,
    ProjectForRead,
)
from app.projects.errors import (
    CONTRACTOR_REQUIRED,
    ORGANIZATION_ALREADY_LINKED,
    ORGANIZATION_OUTSIDE_STREET,
    ORGANIZATION_UNKNOWN,
    PROJECT_ITEM_HAS_PROGRESS,
    PROJECT_ITEMS_LOCKED,
    PROJECT_NOT_CONSTRUCTING,
    RENOVATION_ITEM_DUPLICATE,
    RENOVATION_ITEM_UNKNOWN,
    TRANSITION_NOT_ALLOWED,
)
from app.projects.models import ProjectStatus, RenovationCategory
from app.projects.schemas import (
    ItemProgressCreate,
    ItemProgressPublic,
    ProjectCreate,
    ProjectEventPublic,
    ProjectItemIn,
    ProjectItems,
    ProjectItemsIn,
    ProjectOrganizationCreate,
    ProjectOrganizationPublic,
    ProjectPublic,
    ProjectUpdate,
    RenovationItemPublic,
    TransitionCreate,
)
from app.registry import reads as registry

router = APIRouter(tags=["projects"], responses=responses(*AUTHENTICATED, 422))

READ = responses(404)
WRITE = responses(403, 404, 409)
English = Annotated[bool, Depends(wants_english)]


# --- projects ----------------------------------------------------------------------------------------


@router.get("/projects", response_model=Page[ProjectPublic])
async def list_projects(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep,
    estate_id: uuid.UUID | None = None, status: ProjectStatus | None = None,
):
    rows, cursor = await service.list_projects(session, principal, page, estate_id, status)
    return Page[ProjectPublic](items=[service.project_public(r) for r in rows], next_cursor=cursor)


@router.post("/projects", response_model=ProjectPublic, status_code=status.HTTP_201_CREATED, responses=WRITE)
async def create_project(data: ProjectCreate, session: SessionDep, principal: CurrentPrincipal):
    await registry.require_estate(session, principal, data.estate_id, "manage")
    return service.project_public(await service.create_project(session, principal, data))


@router.get("/projects/{project_id}", response_model=ProjectPublic, responses=READ)
async def get_project(project: ProjectForRead):
    return service.project_public(project)


@router.patch("/projects/{project_id}", response_model=ProjectPublic, responses=WRITE)
async def update_project(data: ProjectUpdate, project: ProjectForManage, session: SessionDep,
                         principal: CurrentPrincipal):
    return service.project_public(await service.update_project(session, principal, project, data))


@router.post(
    "/projects/{project_id}/transitions", response_model=ProjectPublic,
    responses=responses(403, 404, TRANSITION_NOT_ALLOWED),
    description="Move the project to the next stage. A refusal answers 409 `transition_not_allowed` with "
    "`details: {from, to, unmet_guards: [{name, message}]}` naming every unmet guard, or with "
    "`allowed: [...]` when the lifecycle has no such move. A guard whose domain is not available yet "
    "(plans, voting, supervision, acceptance) is unmet too, so those stages stay closed until it is.",
)
async def transition_project(data: TransitionCreate, project: ProjectForManage, session: SessionDep,
                             principal: CurrentPrincipal, english: English):
    return service.project_public(
        await service.transition(session, principal.id, project, data.to, data.note, english)
    )


@router.get("/projects/{project_id}/timeline", response_model=Page[ProjectEventPublic], responses=READ)
async def get_project_timeline(project: ProjectForRead, session: SessionDep, page: PageDep):
    items, cursor = await service.timeline(session, project, page)
    return Page[ProjectEventPublic](items=items, next_cursor=cursor)


# --- organisations -----------------------------------------------------------------------------------


@router.get("/projects/{project_id}/organizations", response_model=Page[ProjectOrganizationPublic], responses=READ)
async def list_project_organizations(project: ProjectForRead, session: SessionDep, page: PageDep):
    items, cursor = await service.list_organizations(session, project, page)
    return Page[ProjectOrganizationPublic](items=items, next_cursor=cursor)


@router.post(
    "/projects/{project_id}/organizations", response_model=ProjectOrganizationPublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, ORGANIZATION_UNKNOWN, ORGANIZATION_ALREADY_LINKED, ORGANIZATION_OUTSIDE_STREET),
)
async def link_project_organization(data: ProjectOrganizationCreate, project: ProjectForManage, session: SessionDep,
                                    principal: CurrentPrincipal):
    return await service.link_organization(session, principal, project, data)


@router.delete(
    "/projects/{project_id}/organizations/{link_id}", status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(403, 404, CONTRACTOR_REQUIRED),
    description="Unlink an organisation. From construction on, the project's last contractor cannot be "
    "unlinked (409 `contractor_required`): link the new contractor first.",
)
async def unlink_project_organization(link: LinkForManage, project: ProjectForManage, session: SessionDep,
                                      principal: CurrentPrincipal):
    await service.unlink_organization(session, principal, project, link)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- renovation menu and items -----------------------------------------------------------------------


@router.get("/renovation-items", response_model=Page[RenovationItemPublic])
async def list_renovation_items(session: SessionDep, _principal: CurrentPrincipal, page: PageDep,
                                category: RenovationCategory | None = None):
    return page_of(RenovationItemPublic, *await service.list_renovation_items(session, page, category))


@router.get("/projects/{project_id}/items", response_model=ProjectItems, responses=READ)
async def list_project_items(project_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep):
    return await service.readable_project_items(session, principal, project_id)


@router.put(
    "/projects/{project_id}/items", response_model=ProjectItems,
    responses=responses(403, 404, PROJECT_ITEMS_LOCKED, PROJECT_ITEM_HAS_PROGRESS, RENOVATION_ITEM_UNKNOWN,
                        RENOVATION_ITEM_DUPLICATE),
    description="Replace the selection. Only while surveying, designing or rejected (else 409 "
    "`project_items_locked`); an item with progress cannot be removed (409); unknown codes are 422.",
)
async def replace_project_items(
    selection: Annotated[Annotated[list[ProjectItemIn], Field(max_length=100)] | ProjectItemsIn, Body()],
    project: ProjectForManage, session: SessionDep, principal: CurrentPrincipal,
):
    """The selection as a list of items, or as the very object GET answers (with ``items``)."""
    items = selection.items if isinstance(selection, ProjectItemsIn) else selection
    return await service.replace_items(session, principal, project, items)


@router.post(
    "/projects/{project_id}/items/{item_id}/progress", response_model=ItemProgressPublic,
    status_code=status.HTTP_201_CREATED, responses=responses(403, 404, PROJECT_NOT_CONSTRUCTING, FILE_NOT_USABLE),
    description="Report an item's progress while the project is constructing (else 409 "
    "`project_not_constructing`). `file_ids` are the caller's own uploads (422 `file_not_usable`).",
)
async def report_item_progress(data: ItemProgressCreate, item: ItemForProgress, project: ProjectForProgress,
                               session: SessionDep, principal: CurrentPrincipal):
    return await service.report_progress(session, principal, project, item, data)


@router.get(
    "/projects/{project_id}/items/{item_id}/progress", response_model=Page[ItemProgressPublic], responses=READ,
)
async def list_item_progress(item: ItemForRead, session: SessionDep, page: PageDep):
    return page_of(ItemProgressPublic, *await service.progress_history(session, item, page))
