"""Supervision (API.md "Supervision"): thin routes over ``service``."""

import uuid

from fastapi import APIRouter, Response, status

from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.auth.errors import ROLE_EXISTS, ROLE_NOT_ASSIGNABLE, ROLE_NOT_FOUND, ROLE_SELF_ASSIGNMENT
from app.auth.roles import Role
from app.core.db import SessionDep
from app.core.errors import Forbidden, NotFound, responses
from app.core.pagination import Page, PageDep, bounded
from app.files.errors import FILE_NOT_USABLE
from app.privacy.errors import CONSENT_REQUIRED
from app.projects import reads as projects
from app.registry import reads as registry
from app.supervision import service
from app.supervision.deps import (
    FeedbackForTriage,
    InspectionForRead,
    OrderForOversee,
    OrderForRead,
    OrderForRespond,
    OrderForWaive,
)
from app.supervision.errors import (
    CHECKLIST_INVALID,
    DUE_AT_INVALID,
    FEEDBACK_TRIAGED,
    INSPECTION_CONFLICT,
    NOT_A_CONTRACTOR,
    NOT_A_RESIDENT,
    OCCURRED_AT_INVALID,
    ORDER_SOURCE_INVALID,
    ORDER_STEP_REFUSED,
    REASON_REQUIRED,
    SUPERVISOR_CONFLICT,
)
from app.supervision.rules import Category, OrderStatus, Step
from app.supervision.schemas import (
    ChecklistTemplateIn,
    ChecklistTemplatePublic,
    FeedbackIn,
    FeedbackPublic,
    InspectionIn,
    InspectionPublic,
    InspectionSyncIn,
    RectificationIn,
    RectificationPublic,
    RespondIn,
    SupervisorAppoint,
    SupervisorPublic,
    SyncResult,
    TriageIn,
    VerifyIn,
    WaiveIn,
)

router = APIRouter(tags=["supervision"], responses=responses(*AUTHENTICATED, 422))
ORDER_WRITE = responses(403, 404, ORDER_STEP_REFUSED, FILE_NOT_USABLE)


# ---- supervisors and checklists ------------------------------------------------------------------


@router.get("/projects/{project_id}/supervisors", response_model=bounded(SupervisorPublic, "one project's supervisors"), responses=responses(404))
async def list_supervisors(project_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep):
    """Who supervises the project (name, and the phone masked except for those who manage it)."""
    project = await projects.require_project(session, principal, project_id, "read")
    return await service.supervisors(session, principal, project)


@router.post("/projects/{project_id}/supervisors", response_model=bounded(SupervisorPublic, "one project's supervisors"),
             status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, SUPERVISOR_CONFLICT, ROLE_EXISTS, ROLE_NOT_ASSIGNABLE, ROLE_SELF_ASSIGNMENT))
async def appoint_supervisor(project_id: uuid.UUID, body: SupervisorAppoint, principal: CurrentPrincipal,
                             session: SessionDep):
    """Appoint a supervisor (a role assignment on the project): typically a resident volunteer; never
    staff of the project's contractor or designer."""
    project = await projects.require_project(session, principal, project_id, "manage")
    await service.appoint(session, principal, project, body.user_id)
    return await service.supervisors(session, principal, project)


@router.delete("/projects/{project_id}/supervisors/{user_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=responses(403, 404, ROLE_NOT_FOUND))
async def dismiss_supervisor(project_id: uuid.UUID, user_id: uuid.UUID, principal: CurrentPrincipal,
                             session: SessionDep):
    await projects.require_project(session, principal, project_id, "manage")
    await service.dismiss(session, principal, project_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/projects/{project_id}/checklist-templates", response_model=bounded(ChecklistTemplatePublic, "one per inspection category", len(Category)),
            responses=responses(404))
async def project_checklists(project_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep):
    """The checklist of each inspection category for this project (its street's own, or the default)."""
    project = await projects.require_project(session, principal, project_id, "read")
    estate = await registry.estate(session, project.estate_id)
    assert estate is not None  # foreign key
    return await service.checklists(session, estate.street_id)


@router.put("/streets/{street_id}/checklist-templates/{category}", response_model=bounded(ChecklistTemplatePublic, "one per inspection category", len(Category)),
            responses=responses(404, CHECKLIST_INVALID))
async def set_checklist(street_id: uuid.UUID, category: Category, body: ChecklistTemplateIn,
                        principal: CurrentPrincipal, session: SessionDep):
    """The street's own checklist for a category (its staff; admins)."""
    if not principal.is_admin and street_id not in principal.scope_ids(Role.street_staff):
        raise NotFound()
    await service.set_checklist(session, principal, street_id, category, body.items)
    return await service.checklists(session, street_id)


# ---- inspections ---------------------------------------------------------------------------------


@router.get("/projects/{project_id}/inspections", response_model=Page[InspectionPublic], responses=responses(400, 404))
async def list_inspections(project_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, page: PageDep):
    """The project's inspection reports, newest first, in pages (residents read them too; no phone numbers)."""
    await projects.require_project(session, principal, project_id, "read")
    rows, cursor = await service.list_inspections(session, principal, project_id, page)
    return Page(items=await service.inspections_public(session, rows), next_cursor=cursor)


@router.post("/projects/{project_id}/inspections", response_model=InspectionPublic, status_code=status.HTTP_201_CREATED,
             responses={200: {"description": "The same report was filed before: it is answered again",
                              "model": InspectionPublic},
                        **responses(403, 404, INSPECTION_CONFLICT, OCCURRED_AT_INVALID, FILE_NOT_USABLE,
                                   CONSENT_REQUIRED)})
async def file_inspection(project_id: uuid.UUID, body: InspectionIn, response: Response, principal: CurrentPrincipal,
                          session: SessionDep):
    """A supervisor files an inspection report. Re-sending it after a lost response answers the same
    report (200); the same id with other content is refused (409). A position more than a kilometre from
    the estate is accepted but flagged."""
    project = await service.filable_project(session, principal, project_id)
    inspection, outcome = await service.file_inspection(session, principal, project, body)
    if outcome == "duplicate":
        response.status_code = status.HTTP_200_OK
    return (await service.inspections_public(session, [inspection]))[0]


@router.post("/sync/inspections", response_model=bounded(SyncResult, "one per item sent", 100))
async def sync_inspections(body: InspectionSyncIn, principal: CurrentPrincipal, session: SessionDep):
    """Reports kept on a phone while offline, up to 100 at once, each with its ``project_id``: each is
    answered on its own (``created``, ``duplicate``, ``conflict``, ``rejected`` with the error), so the
    same batch can be sent again safely."""
    return await service.sync_inspections(session, principal, body.items)


@router.get("/inspections/{inspection_id}", response_model=InspectionPublic, responses=responses(404))
async def get_inspection(inspection: InspectionForRead, session: SessionDep):
    return (await service.inspections_public(session, [inspection]))[0]


# ---- rectification orders ------------------------------------------------------------------------


@router.get("/projects/{project_id}/rectifications", response_model=Page[RectificationPublic],
            responses=responses(400, 404))
async def list_rectifications(project_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, page: PageDep,
                              status: OrderStatus | None = None, overdue: bool | None = None):
    """The project's orders with their status, in number order and in pages (residents follow them too);
    ``?status=&overdue=``."""
    await projects.require_project(session, principal, project_id, "read")
    rows, cursor = await service.list_orders(session, principal, project_id, status, overdue, page)
    return Page(items=await service.orders_public(session, rows), next_cursor=cursor)


@router.post("/projects/{project_id}/rectifications", response_model=RectificationPublic,
             status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, NOT_A_CONTRACTOR, DUE_AT_INVALID, ORDER_SOURCE_INVALID, FILE_NOT_USABLE))
async def create_rectification(project_id: uuid.UUID, body: RectificationIn, principal: CurrentPrincipal,
                               session: SessionDep):
    """Issue an order to the project's contractor (a supervisor or those who manage the project): from a
    failed item of an inspection (``inspection_id`` + ``checklist_index``) or directly."""
    project = await projects.require_project(session, principal, project_id, "read")
    if not (await _oversees(session, principal, project)):
        raise Forbidden()
    order = await service.create_order(session, principal, project, body)
    return (await service.orders_public(session, [order], with_timeline=True))[0]


async def _oversees(session, principal, project) -> bool:
    return (principal.is_admin or project.id in principal.scope_ids(Role.supervisor)
            or await service.manages(session, principal, project))


@router.get("/rectifications/{rectification_id}", response_model=RectificationPublic, responses=responses(404))
async def get_rectification(order: OrderForRead, session: SessionDep):
    """One order with its timeline: every step, who took it, the notes and photos."""
    return (await service.orders_public(session, [order], with_timeline=True))[0]


@router.post("/rectifications/{rectification_id}/respond", response_model=RectificationPublic, responses=ORDER_WRITE)
async def respond_to_rectification(order: OrderForRespond, body: RespondIn, principal: CurrentPrincipal, session: SessionDep):
    """The contractor says what was done, with photos: the order waits for a supervisor."""
    order = await service.step(session, principal, order, Step.respond, body.note, body.file_ids)
    return (await service.orders_public(session, [order], with_timeline=True))[0]


@router.post("/rectifications/{rectification_id}/verify", response_model=RectificationPublic,
             responses={**ORDER_WRITE, **responses(REASON_REQUIRED)})
async def verify_rectification(order: OrderForOversee, body: VerifyIn, principal: CurrentPrincipal, session: SessionDep):
    """A supervisor checks the response: accepted closes the order; not accepted reopens it, saying why."""
    what = Step.accept if body.accepted else Step.reject
    order = await service.step(session, principal, order, what, body.note, body.file_ids)
    return (await service.orders_public(session, [order], with_timeline=True))[0]


@router.post("/rectifications/{rectification_id}/waive", response_model=RectificationPublic, responses=ORDER_WRITE)
async def waive_rectification(order: OrderForWaive, body: WaiveIn, principal: CurrentPrincipal, session: SessionDep):
    """Street staff decide the order need not be done, with the reason (on the timeline for all to read)."""
    order = await service.step(session, principal, order, Step.waive, body.reason)
    return (await service.orders_public(session, [order], with_timeline=True))[0]


# ---- complaints ----------------------------------------------------------------------------------


@router.get("/projects/{project_id}/feedback", response_model=Page[FeedbackPublic], responses=responses(400, 404))
async def list_feedback(project_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, page: PageDep):
    """Complaints, newest first, in pages: a resident sees their own; managers and supervisors all of the
    project's."""
    await projects.require_project(session, principal, project_id, "read")
    rows, cursor = await service.list_feedback(session, principal, project_id, page)
    return Page(items=await service.feedback_public(session, rows), next_cursor=cursor)


@router.post("/projects/{project_id}/feedback", response_model=FeedbackPublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, NOT_A_RESIDENT, FILE_NOT_USABLE))
async def file_feedback(project_id: uuid.UUID, body: FeedbackIn, principal: CurrentPrincipal, session: SessionDep):
    """A resident reports a problem with the works (随手拍), with photos."""
    project = await projects.require_project(session, principal, project_id, "read")
    return (await service.feedback_public(session, [await service.file_feedback(session, principal, project, body)]))[0]


@router.post("/feedback/{feedback_id}/triage", response_model=FeedbackPublic,
             responses=responses(403, 404, FEEDBACK_TRIAGED, ORDER_SOURCE_INVALID, NOT_A_CONTRACTOR, DUE_AT_INVALID))
async def triage_feedback(feedback: FeedbackForTriage, body: TriageIn, principal: CurrentPrincipal, session: SessionDep):
    """Community staff answer a complaint, or turn it into an order (the resident sees the link and, in
    time, the outcome)."""
    return (await service.feedback_public(session, [await service.triage(session, principal, feedback, body)]))[0]
