"""Supervision: appointing supervisors, checklists, inspections (online and offline), rectification
orders and their workflow, residents' complaints. The rules are ``rules.py``; what people are told is
``flows.py``."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import appointments
from app.auth import reads as accounts
from app.auth.principal import Principal
from app.auth.roles import Role
from app.core import audit, clock, sync
from app.core.db import locked
from app.core.errors import AppError, Forbidden, NotFound, error_body
from app.core.i18n import english
from app.core.pagination import PageParams, paginate
from app.files import service as files
from app.privacy import consents, disclosures
from app.projects import reads as projects
from app.projects.reads import ProjectRef
from app.registry import reads as registry
from app.residency.todo import RectificationTask
from app.supervision import access, flows, rules
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
from app.supervision.models import ChecklistTemplate, Feedback, Inspection, Rectification, RectificationEvent
from app.supervision.rules import Category, CheckResult, FeedbackStatus, OrderStatus, Step
from app.supervision.schemas import (
    ChecklistItemTemplate,
    ChecklistTemplatePublic,
    CheckPublic,
    EventPublic,
    FeedbackIn,
    FeedbackPublic,
    InspectionIn,
    InspectionPublic,
    Position,
    RectificationIn,
    RectificationPublic,
    SupervisorPublic,
    SyncResult,
    TriageIn,
)
from app.supervision.templates import DEFAULTS

INSPECTION_KIND, ORDER_KIND, FEEDBACK_KIND = "inspection", "rectification", "feedback"
CLOCK_SKEW = timedelta(minutes=5)


# ---- supervisors ---------------------------------------------------------------------------------


async def supervisors(session: AsyncSession, p: Principal, project: ProjectRef) -> list[SupervisorPublic]:
    """Who supervises the project: names, and phones masked except for those who manage it (who are
    recorded as having been shown them)."""
    ids = (await appointments.holders(session, Role.supervisor, [project.id]))[project.id]
    contacts = await accounts.contacts(session, ids)
    managing = await manages(session, p, project)
    if managing:
        await disclosures.record(session, p.id, users=ids)
    return [SupervisorPublic(user_id=i, name=contacts[i][0],
                             phone=contacts[i][1] if managing else registry.mask_phone(contacts[i][1])) for i in ids]


async def manages(session: AsyncSession, p: Principal, project: ProjectRef) -> bool:
    try:
        await projects.require_project(session, p, project.id, "manage")
    except Forbidden:
        return False
    return True


async def appoint(session: AsyncSession, p: Principal, project: ProjectRef, user_id: uuid.UUID) -> None:
    """Appoint a supervisor: a role assignment on the project, never to staff of its own contractor or
    designer (nobody checks their own work)."""
    linked = {o.organization_id for o in await projects.organizations(session, project.id)}
    if linked & await appointments.scopes_of(session, user_id, Role.contractor):
        raise SUPERVISOR_CONFLICT()
    await appointments.appoint(session, p, user_id, Role.supervisor, project.id)


async def dismiss(session: AsyncSession, p: Principal, project_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await appointments.dismiss(session, p, user_id, Role.supervisor, project_id)


# ---- checklists ----------------------------------------------------------------------------------


async def checklists(session: AsyncSession, street_id: uuid.UUID) -> list[ChecklistTemplatePublic]:
    own = {t.category: t for t in (await session.exec(select(ChecklistTemplate).where(
        ChecklistTemplate.street_id == street_id))).all()}
    return [ChecklistTemplatePublic(
        category=c, street_id=street_id if c in own else None,
        items=[ChecklistItemTemplate(**i) for i in own[c].items] if c in own
        else [ChecklistItemTemplate(code=code, text=text) for code, text in DEFAULTS[c]]) for c in Category]


async def set_checklist(session: AsyncSession, p: Principal, street_id: uuid.UUID, category: Category,
                        items: list[ChecklistItemTemplate]) -> None:
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        raise CHECKLIST_INVALID(details={"problem": "each item's code once"})
    template = (await session.exec(select(ChecklistTemplate).where(
        ChecklistTemplate.street_id == street_id, ChecklistTemplate.category == category))).first()
    template = template or ChecklistTemplate(street_id=street_id, category=category)
    before = audit.snapshot(template) if template.items else None
    template.items, template.updated_by, template.updated_at = [i.model_dump() for i in items], p.id, clock.now()
    session.add(template)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="checklist.set", entity_type="checklist_template",
                       entity_id=template.id, before=before, after=audit.snapshot(template))


# ---- inspections ---------------------------------------------------------------------------------


def _content(project_id: uuid.UUID, data: InspectionIn) -> dict[str, Any]:
    return {"project_id": str(project_id), **data.model_dump(mode="json", exclude={"inspection_id"})}


async def file_inspection(session: AsyncSession, p: Principal, project: ProjectRef,
                          data: InspectionIn) -> tuple[Inspection, str]:
    """File a report: ``created``, or ``duplicate`` when the same report was filed before (a re-sent one
    after a lost response). The same id with other content is refused (409). A position is recorded only
    once the supervisor accepted the privacy notice for ``location`` (PIPL arts. 28-29; 428 otherwise)."""
    digest = rules.content_hash(_content(project.id, data))
    existing = await session.get(Inspection, data.inspection_id)
    outcome = rules.resend(existing.content_hash if existing else None, digest)
    if outcome == "conflict" or (existing is not None and existing.supervisor_id != p.id):
        raise INSPECTION_CONFLICT(details={"inspection_id": str(data.inspection_id)})
    if existing is not None:
        return existing, outcome
    now = clock.now()
    if data.occurred_at > now + CLOCK_SKEW:
        raise OCCURRED_AT_INVALID()
    if data.location is not None:  # 行踪轨迹: only with the supervisor's own, separate consent
        await consents.require(session, p.id, consents.Purpose.location)
    estate = await registry.estate(session, project.estate_id)
    position = (data.location.lat, data.location.lng) if data.location else None
    distance, far = rules.position_check(estate.location if estate else None, position)
    checklist = [c.model_dump(mode="json") for c in data.checklist]
    inspection = Inspection(
        id=data.inspection_id, project_id=project.id, estate_id=project.estate_id, supervisor_id=p.id,
        category=data.category, occurred_at=data.occurred_at, received_at=now,
        latitude=position[0] if position else None, longitude=position[1] if position else None,
        distance_m=distance, far_from_estate=far, checklist=checklist, summary=data.summary,
        file_ids=[str(f) for f in dict.fromkeys(data.file_ids)], content_hash=digest,
        failed_items=sum(1 for c in data.checklist if c.result == CheckResult.failed))
    session.add(inspection)
    await session.flush()
    photos = [*data.file_ids, *(f for c in data.checklist for f in c.file_ids)]
    await files.attach(session, p, photos, INSPECTION_KIND, inspection.id)
    await audit.record(session, actor_id=p.id, action="inspection.file", entity_type="inspection",
                       entity_id=inspection.id, after={"category": inspection.category.value,
                                                        "failed_items": inspection.failed_items,
                                                        "far_from_estate": far}, estate_id=project.estate_id)
    return inspection, outcome


async def sync_inspections(session: AsyncSession, p: Principal, items: list[dict]) -> list[SyncResult]:
    """A batch from a phone that was offline: each report answered on its own, a bad one never holding
    back the others (each in a savepoint)."""
    out = []
    for raw in items:
        try:
            data = InspectionIn.model_validate({k: v for k, v in raw.items() if k != "project_id"}
                                               if isinstance(raw, dict) else raw)
        except ValidationError as exc:
            out.append(SyncResult(inspection_id=sync.claimed_id(raw, "inspection_id"), status="rejected",
                                  error=sync.invalid(exc)))
            continue
        try:
            async with session.begin_nested():
                project = await filable_project(session, p, sync.claimed_id(raw, "project_id"))
                _, status = await file_inspection(session, p, project, data)
            out.append(SyncResult(inspection_id=data.inspection_id, status=status))
        except AppError as exc:
            status = "conflict" if exc.code == INSPECTION_CONFLICT.code else "rejected"
            out.append(SyncResult(inspection_id=data.inspection_id, status=status,
                                  error=error_body(exc.code, english(), exc.details)["error"]))
    return out


async def filable_project(session: AsyncSession, p: Principal, project_id: uuid.UUID | None) -> ProjectRef:
    """The project, if the caller may file inspections on it: 404 outside their reach, 403 for those who
    read it without supervising it."""
    if project_id is None:
        raise NotFound()
    project = await projects.require_project(session, p, project_id, "read")
    if not p.is_admin and project.id not in p.scope_ids(Role.supervisor):
        raise Forbidden()
    return project


async def inspections_public(session: AsyncSession, found: list[Inspection]) -> list[InspectionPublic]:
    actors = await accounts.actors(session, [i.supervisor_id for i in found])
    orders: dict[tuple[uuid.UUID | None, int | None], uuid.UUID] = {}  # (inspection, checklist item) -> order
    if found:
        for inspection_id, index, order_id in (await session.exec(select(
                Rectification.inspection_id, Rectification.checklist_index, Rectification.id).where(
                col(Rectification.inspection_id).in_([i.id for i in found])))).all():
            orders[(inspection_id, index)] = order_id
    return [InspectionPublic(
        id=i.id, project_id=i.project_id, category=i.category, supervisor=actors.get(i.supervisor_id),
        occurred_at=i.occurred_at, received_at=i.received_at,
        location=Position(lat=i.latitude, lng=i.longitude) if i.latitude is not None else None,
        distance_m=i.distance_m, far_from_estate=i.far_from_estate, failed_items=i.failed_items,
        checklist=[CheckPublic(**c, rectification_id=orders.get((i.id, n))) for n, c in enumerate(i.checklist)],
        summary=i.summary, file_ids=i.file_ids) for i in found]


async def list_inspections(session: AsyncSession, p: Principal, project_id: uuid.UUID, params: PageParams
                           ) -> tuple[list[Inspection], str | None]:
    """One page of the project's reports, newest first."""
    return await paginate(session, select(Inspection).where(
        Inspection.project_id == project_id, access.inspection_condition(p, "read")),
        [col(Inspection.occurred_at), col(Inspection.id)], params, descending=True)


# ---- rectification orders ------------------------------------------------------------------------


async def create_order(session: AsyncSession, p: Principal, project: ProjectRef, data: RectificationIn,
                       feedback_id: uuid.UUID | None = None) -> Rectification:
    """Issue an order to the project's contractor: from a failed item of an inspection, a complaint, or
    directly, with the caller's photos."""
    order = await issue(session, p.id, project, data, feedback_id)
    await files.attach(session, p, data.file_ids, ORDER_KIND, order.id)
    return order


async def issue(session: AsyncSession, actor_id: uuid.UUID, project: ProjectRef, data: RectificationIn,
                feedback_id: uuid.UUID | None = None) -> Rectification:
    """An order (its files attached by the caller), on the timeline and told to the contractor."""
    contractors = {o.organization_id for o in await projects.organizations(
        session, project.id, projects.ProjectOrganizationRole.contractor)}
    if data.organization_id not in contractors:
        raise NOT_A_CONTRACTOR()
    if data.due_at <= clock.now():
        raise DUE_AT_INVALID()
    if (data.inspection_id is None) != (data.checklist_index is None):
        raise ORDER_SOURCE_INVALID()
    if data.inspection_id is not None and data.checklist_index is not None:  # both or neither, as checked
        inspection = await session.get(Inspection, data.inspection_id)
        if (inspection is None or inspection.project_id != project.id
                or data.checklist_index >= len(inspection.checklist)
                or inspection.checklist[data.checklist_index]["result"] != CheckResult.failed):
            raise ORDER_SOURCE_INVALID()
    number = (await session.exec(select(func.coalesce(func.max(Rectification.number), 0)).where(
        Rectification.project_id == project.id))).one() + 1
    order = Rectification(
        number=number, project_id=project.id, estate_id=project.estate_id, organization_id=data.organization_id,
        title=data.title, description=data.description, priority=data.priority, due_at=data.due_at,
        inspection_id=data.inspection_id, checklist_index=data.checklist_index, feedback_id=feedback_id,
        file_ids=[str(f) for f in dict.fromkeys(data.file_ids)], created_by=actor_id)
    session.add(order)
    await session.flush()
    session.add(RectificationEvent(rectification_id=order.id, kind="created", to_status=OrderStatus.open,
                                   actor_id=actor_id, note=data.description, file_ids=order.file_ids))
    await audit.record(session, actor_id=actor_id, action="rectification.create", entity_type="rectification",
                       entity_id=order.id, after=audit.snapshot(order), estate_id=order.estate_id)
    await flows.issued(session, order, project.name)
    return order


async def step(session: AsyncSession, p: Principal, order: Rectification, what: Step, note: str,
               file_ids: Sequence[uuid.UUID] = ()) -> Rectification:
    """One step of the workflow, kept on the order's timeline (the rules say which statuses allow it)."""
    order = await locked(session, order)
    target = rules.after(order.status, what)
    if target is None:
        raise ORDER_STEP_REFUSED(details={"status": rules.STATUS_NAMES[order.status], "step": what.value})
    if what == Step.reject and not note.strip():
        raise REASON_REQUIRED()
    before, previous = audit.snapshot(order), order.status
    order.status, order.updated_at = target, clock.now()
    if not rules.is_open(target):
        order.closed_at = order.updated_at
    if target == OrderStatus.reopened:
        order.overdue_reminded_at = None
    session.add(order)
    event = RectificationEvent(rectification_id=order.id, kind=what.value, from_status=previous, to_status=target,
                               actor_id=p.id, note=note, file_ids=[str(f) for f in dict.fromkeys(file_ids)])
    session.add(event)
    await session.flush()
    await files.attach(session, p, list(file_ids), ORDER_KIND, order.id)
    await audit.record(session, actor_id=p.id, action=f"rectification.{what.value}", entity_type="rectification",
                       entity_id=order.id, before=before, after=audit.snapshot(order), estate_id=order.estate_id)
    await flows.stepped(session, order, what, note)
    return order


async def list_orders(session: AsyncSession, p: Principal, project_id: uuid.UUID, status: OrderStatus | None,
                      overdue: bool | None, params: PageParams) -> tuple[list[Rectification], str | None]:
    """One page of the project's orders, in number order."""
    stmt = select(Rectification).where(Rectification.project_id == project_id, access.order_condition(p, "read"))
    if status is not None:
        stmt = stmt.where(Rectification.status == status)
    if overdue is not None:
        late = (col(Rectification.status).in_([OrderStatus.open, OrderStatus.reopened])
                & (col(Rectification.due_at) < clock.now()))
        stmt = stmt.where(late if overdue else ~late)
    return await paginate(session, stmt, [col(Rectification.number), col(Rectification.id)], params)


async def orders_public(session: AsyncSession, orders: list[Rectification],
                        with_timeline: bool = False) -> list[RectificationPublic]:
    names = await registry.organizations(session, {o.organization_id for o in orders})
    events: dict[uuid.UUID, list[RectificationEvent]] = defaultdict(list)
    if with_timeline and orders:
        for e in (await session.exec(select(RectificationEvent).where(col(RectificationEvent.rectification_id).in_(
                [o.id for o in orders])).order_by(col(RectificationEvent.created_at)))).all():
            events[e.rectification_id].append(e)
    actors = await accounts.actors(session, [e.actor_id for es in events.values() for e in es])
    now = clock.now()
    return [RectificationPublic(
        **o.model_dump(include={"id", "number", "project_id", "organization_id", "title", "description", "priority",
                                "due_at", "status", "inspection_id", "checklist_index", "feedback_id", "file_ids",
                                "created_at", "closed_at"}),
        organization_name=names[o.organization_id].name if o.organization_id in names else "",
        status_name=rules.STATUS_NAMES[o.status], overdue=rules.is_overdue(o.status, o.due_at, now),
        days_overdue=rules.days_overdue(o.due_at, now) if rules.is_overdue(o.status, o.due_at, now) else 0,
        timeline=[EventPublic(kind=e.kind, from_status=e.from_status, to_status=e.to_status,
                              actor=actors.get(e.actor_id) if e.actor_id else None, note=e.note,
                              file_ids=e.file_ids, created_at=e.created_at) for e in events[o.id]]
        if with_timeline else None) for o in orders]


async def open_orders(session: AsyncSession, project_id: uuid.UUID) -> tuple[int, Any]:
    rows = (await session.exec(select(Rectification.status, Rectification.due_at).where(
        Rectification.project_id == project_id, col(Rectification.status).not_in(list(rules.DONE))))).all()
    return rules.open_orders([(OrderStatus(s), d) for s, d in rows])


# ---- complaints ----------------------------------------------------------------------------------


async def file_feedback(session: AsyncSession, p: Principal, project: ProjectRef, data: FeedbackIn) -> Feedback:
    """A resident's complaint (随手拍) about the works of their estate, with photos."""
    units = await registry.units_in_scope(session, p, p.unit_ids, "read")
    own = {u.id for u in units.values() if u.estate_id == project.estate_id}
    if not own or (data.unit_id is not None and data.unit_id not in own):
        raise NOT_A_RESIDENT()
    feedback = Feedback(project_id=project.id, estate_id=project.estate_id, author_id=p.id, unit_id=data.unit_id,
                        content=data.content, file_ids=[str(f) for f in dict.fromkeys(data.file_ids)])
    session.add(feedback)
    await session.flush()
    await files.attach(session, p, data.file_ids, FEEDBACK_KIND, feedback.id)
    await audit.record(session, actor_id=p.id, action="feedback.file", entity_type="feedback", entity_id=feedback.id,
                       after={"project_id": str(project.id)}, estate_id=project.estate_id)
    return feedback


async def triage(session: AsyncSession, p: Principal, feedback: Feedback, data: TriageIn) -> Feedback:
    feedback = await locked(session, feedback)
    if feedback.status != FeedbackStatus.new:
        raise FEEDBACK_TRIAGED()
    if data.reply is None and data.rectification is None:
        raise ORDER_SOURCE_INVALID(details={"problem": "give a reply, a rectification, or both"})
    order = None
    if data.rectification is not None:
        project = await projects.project(session, feedback.project_id)
        assert project is not None  # foreign key
        order = await create_order(session, p, project, data.rectification, feedback_id=feedback.id)
    feedback.reply = data.reply
    feedback.status = FeedbackStatus.rectifying if order else FeedbackStatus.replied
    feedback.triaged_by, feedback.triaged_at = p.id, clock.now()
    session.add(feedback)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="feedback.triage", entity_type="feedback", entity_id=feedback.id,
                       after={"status": feedback.status.value, "rectification_id": str(order.id) if order else None},
                       estate_id=feedback.estate_id)
    await flows.triaged(session, feedback, order)
    return feedback


async def list_feedback(session: AsyncSession, p: Principal, project_id: uuid.UUID, params: PageParams
                        ) -> tuple[list[Feedback], str | None]:
    """One page of the complaints the caller may read, newest first."""
    return await paginate(session, select(Feedback).where(
        Feedback.project_id == project_id, access.feedback_condition(p, "read")),
        [col(Feedback.created_at), col(Feedback.id)], params, descending=True)


async def feedback_public(session: AsyncSession, found: list[Feedback]) -> list[FeedbackPublic]:
    orders = {}
    if found:
        orders = {f: (o, s) for f, o, s in (await session.exec(select(
            Rectification.feedback_id, Rectification.id, Rectification.status).where(
            col(Rectification.feedback_id).in_([f.id for f in found])))).all()}
    return [FeedbackPublic(id=f.id, project_id=f.project_id, content=f.content, file_ids=f.file_ids, status=f.status,
                           reply=f.reply, triaged_at=f.triaged_at, created_at=f.created_at,
                           rectification_id=orders[f.id][0] if f.id in orders else None,
                           rectification_status=orders[f.id][1] if f.id in orders else None) for f in found]


# ---- files and tasks -----------------------------------------------------------------------------


def _reader(model, condition):
    async def can_read(session: AsyncSession, p: Principal, object_id: uuid.UUID) -> bool:
        return (await session.exec(select(model.id).where(model.id == object_id, condition(p, "read")))).first() is not None
    return can_read


can_read_inspection_files = _reader(Inspection, access.inspection_condition)
can_read_order_files = _reader(Rectification, access.order_condition)
can_read_feedback_files = _reader(Feedback, access.feedback_condition)


async def waiting_for(session: AsyncSession, p: Principal) -> list[RectificationTask]:
    """``/me/tasks``: orders the caller's contractor must answer, and responses the caller must verify."""
    conditions: list[tuple[ColumnElement[bool], ColumnElement[bool], str]] = []
    if p.scope_ids(Role.contractor):
        conditions.append((access.order_condition(p, "respond"),
                           col(Rectification.status).in_([OrderStatus.open, OrderStatus.reopened]), "respond"))
    if p.scope_ids(Role.supervisor):
        conditions.append((access.supervises(p, Rectification.project_id),
                           col(Rectification.status) == OrderStatus.responded, "verify"))
    out = []
    for condition, status, action in conditions:
        for o in (await session.exec(select(Rectification).where(condition, status)
                                     .order_by(col(Rectification.due_at)))).all():
            out.append(RectificationTask(rectification_id=o.id, project_id=o.project_id, number=o.number,
                                         title=o.title, action=action, due_at=o.due_at,
                                         overdue=rules.is_overdue(o.status, o.due_at, clock.now())))
    return out
