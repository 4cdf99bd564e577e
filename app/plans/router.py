"""Design plans (API.md "Design plans"): thin routes over ``service`` and ``documents``."""

import uuid

from fastapi import APIRouter, Response, status

from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import responses
from app.core.pagination import Page, PageDep, bounded, door_order, page_list
from app.core.spreadsheets import attachment
from app.files.errors import FILE_CONTENT_MISSING, FILE_NOT_USABLE
from app.files.storage import StorageDep
from app.plans import documents, service
from app.plans.deps import OpinionForManage, PlanForCollect, PlanForManage, PlanForRead
from app.plans.errors import (
    NOT_A_RESIDENT_HERE,
    NOTICE_NOT_STARTED,
    NOTICE_PERIOD_OVER,
    NOTICE_PERIOD_TOO_LONG,
    NOTICE_PERIOD_TOO_SHORT,
    NOTICE_START_INVALID,
    OPINION_IDS_UNKNOWN,
    OPINION_ITEM_UNKNOWN,
    PLAN_DRAFT_EXISTS,
    PLAN_EXISTS,
    PLAN_INCOMPLETE,
    PLAN_ITEM_NOT_SELECTED,
    PLAN_NOT_DRAFT,
    PLAN_NOT_LATEST,
    PLAN_NOT_PUBLISHED,
    PLAN_STAGE_CLOSED,
    PLAN_SUPERSEDED,
    PROXY_NOT_ALLOWED,
    REPLY_STATUS_INVALID,
)
from app.plans.models import OpinionStatus, PlanVersion
from app.plans.schemas import (
    HideIn,
    NonViewer,
    OpinionCreate,
    OpinionPublic,
    OpinionSummary,
    PlanCreate,
    PlanPublic,
    PlanPublishIn,
    PlanRevise,
    PlanUpdate,
    ReplyIn,
    ViewsOut,
)
from app.projects import reads as projects

router = APIRouter(tags=["plans"], responses=responses(*AUTHENTICATED, 422))



async def _one(session, principal, plan: PlanVersion) -> PlanPublic:
    return (await service.public(session, principal, [plan]))[0]


@router.get("/projects/{project_id}/plans", response_model=bounded(PlanPublic, "the versions of one project's plan"), responses=responses(404))
async def list_plans(project_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep):
    """Every version in order; drafts only for those who manage the project."""
    await projects.require_project(session, principal, project_id, "read")
    return await service.public(session, principal, await service.list_for_project(session, principal, project_id))


@router.post("/projects/{project_id}/plans", response_model=PlanPublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, PLAN_EXISTS, PLAN_DRAFT_EXISTS, PLAN_STAGE_CLOSED, PLAN_ITEM_NOT_SELECTED,
                                 FILE_NOT_USABLE))
async def create_plan(project_id: uuid.UUID, body: PlanCreate, principal: CurrentPrincipal, session: SessionDep):
    """The plan's first version, as a draft (later versions come from ``revise``)."""
    project = await projects.require_project(session, principal, project_id, "manage")
    return await _one(session, principal, await service.create(session, principal, project, body))


@router.get("/plans/{plan_id}", response_model=PlanPublic, responses=responses(404))
async def get_plan(plan: PlanForRead, principal: CurrentPrincipal, session: SessionDep):
    """The version with its items and costs, attachments (``GET /files/{id}``), notice period (its end also
    in Asia/Shanghai time) and, from v2 on, what changed and the opinions it answers."""
    return await _one(session, principal, plan)


@router.patch("/plans/{plan_id}", response_model=PlanPublic,
              responses=responses(403, 404, PLAN_NOT_DRAFT, PLAN_STAGE_CLOSED, PLAN_ITEM_NOT_SELECTED,
                                  OPINION_IDS_UNKNOWN, FILE_NOT_USABLE))
async def update_plan(plan: PlanForManage, body: PlanUpdate, principal: CurrentPrincipal, session: SessionDep):
    """Only while draft. ``attachment_file_ids`` is the whole list: files left out are detached."""
    return await _one(session, principal, await service.update_draft(session, principal, plan, body))


@router.post("/plans/{plan_id}/publish", response_model=PlanPublic,
             responses=responses(403, 404, PLAN_NOT_DRAFT, PLAN_STAGE_CLOSED, PLAN_INCOMPLETE, PLAN_ITEM_NOT_SELECTED,
                                 NOTICE_PERIOD_TOO_SHORT, NOTICE_PERIOD_TOO_LONG, NOTICE_START_INVALID))
async def publish_plan(plan: PlanForManage, principal: CurrentPrincipal, session: SessionDep,
                       body: PlanPublishIn | None = None):
    """Publish the draft for notice (公示): from ``notice_starts_at`` (default now) to ``notice_ends_at``
    (default and minimum: the configured number of days later, 7 unless set). It never changes again, and
    the version before it is superseded. Residents are told when the project is in (or enters) the notice
    stage."""
    return await _one(session, principal, await service.publish(session, principal, plan, body or PlanPublishIn()))


@router.post("/plans/{plan_id}/revise", response_model=PlanPublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, PLAN_DRAFT_EXISTS, PLAN_NOT_LATEST, PLAN_STAGE_CLOSED, OPINION_IDS_UNKNOWN))
async def revise_plan(plan: PlanForManage, body: PlanRevise, principal: CurrentPrincipal, session: SessionDep):
    """The next version as a draft copy of this one (the latest published), with change notes and the ids of
    the opinions it answers; edit it with PATCH, then publish it."""
    return await _one(session, principal, await service.revise(session, principal, plan, body))


@router.post("/plans/{plan_id}/views", response_model=ViewsOut, responses=responses(404))
async def record_plan_view(plan: PlanForRead, principal: CurrentPrincipal, session: SessionDep):
    """A read receipt for the caller's units in the plan's estate (none for others): the mini-program
    sends it when a resident opens the plan."""
    return ViewsOut(unit_ids=await service.record_views(session, principal, plan))


@router.get("/plans/{plan_id}/non-viewers", response_model=Page[NonViewer], responses=responses(400, 403, 404))
async def plan_non_viewers(plan: PlanForCollect, principal: CurrentPrincipal, session: SessionDep, page: PageDep,
                           grid_id: uuid.UUID | None = None):
    """The units that have not opened this version, in building and room order and in pages: the grid
    worker's list of doors to knock on (their own grid's units only)."""
    units = [NonViewer(unit_id=u.id, building_name=u.building_name, entrance_name=u.entrance_name,
                       room_number=u.room_number, label=u.label)
             for u in await service.non_viewers(session, principal, plan, grid_id)]
    items, cursor = page_list(units, door_order, page)
    return Page(items=items, next_cursor=cursor)


@router.get("/plans/{plan_id}/opinions", response_model=Page[OpinionPublic], responses=responses(400, 404))
async def list_plan_opinions(plan: PlanForRead, principal: CurrentPrincipal, session: SessionDep, page: PageDep,
                             item_code: str | None = None, status: OpinionStatus | None = None, mine: bool = False):
    """Opinions on this version, oldest first, with their replies. Residents see every visible opinion of
    their estate (the household shown by building only) and their own hidden ones; staff see all."""
    rows, cursor = await service.list_opinions(session, principal, plan, page, item_code=item_code, status=status,
                                               mine=mine)
    manager = await service.is_manager(session, principal, plan)
    return Page[OpinionPublic](items=await service.opinions_public(session, principal, plan, rows, manager),
                               next_cursor=cursor)


@router.post("/plans/{plan_id}/opinions", response_model=OpinionPublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, PLAN_NOT_PUBLISHED, PLAN_SUPERSEDED, NOTICE_NOT_STARTED, NOTICE_PERIOD_OVER,
                                 OPINION_ITEM_UNKNOWN, NOT_A_RESIDENT_HERE, PROXY_NOT_ALLOWED, FILE_NOT_USABLE))
async def create_plan_opinion(plan: PlanForRead, body: OpinionCreate, principal: CurrentPrincipal, session: SessionDep):
    """An opinion on the version during its notice period: by a resident for their unit, or by a grid
    worker for a household of their grid (``channel: proxy``), optionally on one item, with photos."""
    opinion = await service.add_opinion(session, principal, plan, body)
    manager = await service.is_manager(session, principal, plan)
    return (await service.opinions_public(session, principal, plan, [opinion], manager))[0]


@router.get("/plans/{plan_id}/opinions/summary", response_model=OpinionSummary, responses=responses(404))
async def plan_opinion_summary(plan: PlanForRead, principal: CurrentPrincipal, session: SessionDep):
    """Visible opinions by status and by item, and the adoption rate: (adopted + partially adopted) over
    the opinions answered adopted, partially adopted or not adopted ("noted" remarks are not proposals)."""
    return await service.summary(session, plan, await service.is_manager(session, principal, plan))


@router.get("/plans/{plan_id}/pdf", response_class=Response, responses={
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
          "description": "The plan as one PDF"}, **responses(404, FILE_CONTENT_MISSING)})
async def plan_pdf(plan: PlanForRead, principal: CurrentPrincipal, session: SessionDep, storage: StorageDep):
    """The version as one PDF: a summary page with its items and costs, then its attachments in order."""
    data = await documents.bundle(session, storage, await _one(session, principal, plan))
    return Response(data, media_type="application/pdf", headers={
        **attachment(f"plan-v{plan.version}.pdf", f"{plan.title}（第{plan.version}版）.pdf"), "Cache-Control": "private"})


@router.post("/opinions/{opinion_id}/reply", response_model=OpinionPublic,
             responses=responses(403, 404, REPLY_STATUS_INVALID))
async def reply_to_opinion(opinion: OpinionForManage, body: ReplyIn, principal: CurrentPrincipal, session: SessionDep):
    """Community or street staff answer an opinion with a status and a reply (again, to change it); the
    resident who wrote it is told."""
    opinion = await service.reply(session, principal, opinion, body.status, body.reply)
    plan = await service.plan_of(session, opinion)
    return (await service.opinions_public(session, principal, plan, [opinion], True))[0]


@router.post("/opinions/{opinion_id}/hide", response_model=OpinionPublic, responses=responses(403, 404))
async def hide_opinion(opinion: OpinionForManage, body: HideIn, principal: CurrentPrincipal, session: SessionDep):
    """Hide an opinion from residents with a reason; its text is kept for staff and in the audit log."""
    opinion = await service.hide(session, principal, opinion, body.reason)
    plan = await service.plan_of(session, opinion)
    return (await service.opinions_public(session, principal, plan, [opinion], True))[0]
