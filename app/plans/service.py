"""Design plans: writing versions, publishing them for notice, revising; opinions, replies and hiding;
read receipts. What happens on publish and on entering the notice stage is in ``flows.py``; the guards
are in ``guards.py``; the PDF bundle in ``documents.py``.
"""

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, bindparam, exists, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import reads as accounts
from app.auth.principal import Principal
from app.auth.roles import Role
from app.core import audit, clock
from app.core.config import get_settings
from app.core.db import locked
from app.core.errors import VALIDATION_ERROR, NotFound
from app.core.i18n import validation_message
from app.core.numbers import percent
from app.core.pagination import PageParams, paginate
from app.files import service as files
from app.plans import access, flows, hooks, rules
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
from app.plans.guards import latest
from app.plans.models import OpinionChannel, OpinionStatus, PlanOpinion, PlanStatus, PlanVersion, PlanView
from app.plans.schemas import (
    AdoptionRate,
    AnsweredOpinion,
    AttachmentPublic,
    ItemCount,
    OpinionCreate,
    OpinionPublic,
    OpinionSummary,
    PlanCreate,
    PlanItemIn,
    PlanItemPublic,
    PlanPublic,
    PlanPublishIn,
    PlanRevise,
    PlanUpdate,
    StatusCount,
)
from app.projects import reads as projects
from app.projects.reads import ProjectRef, ProjectStatus
from app.registry import reads as registry
from app.residency.todo import PlanTask, TaskQuery

PLAN_KIND = "plan"  # drawings, renderings and PDFs of a version
OPINION_KIND = "plan_opinion"  # a resident's photos
# A plan may be drafted until the residents vote on it (and again after they reject it); it is published
# for notice while being designed or already on notice (the next version).
# A plan may be revised until the residents have decided on it; revising it while they are asked to vote
# cancels the ballots held on it (plans.hooks).
DRAFTING = {ProjectStatus.surveying, ProjectStatus.designing, ProjectStatus.publicizing, ProjectStatus.voting,
            ProjectStatus.rejected}
PUBLISHING = {ProjectStatus.designing, ProjectStatus.publicizing}
PROXY_ROLES = {Role.admin, Role.street_staff, Role.community_staff, Role.grid_worker}
DECIDED = (OpinionStatus.adopted, OpinionStatus.partially_adopted, OpinionStatus.not_adopted)


# ---- writing -------------------------------------------------------------------------------------


async def _project_in(session: AsyncSession, project_id: uuid.UUID, stages: set[ProjectStatus]) -> ProjectRef:
    project = await projects.project(session, project_id)
    assert project is not None  # foreign key
    if project.status not in stages:
        raise PLAN_STAGE_CLOSED(details={"project_status": project.status.value})
    return project


async def _items(session: AsyncSession, project_id: uuid.UUID, wanted: list[PlanItemIn] | None) -> list[dict[str, Any]]:
    """The version's items, in menu order: each one of the project's selected items."""
    selected = {i.item_code: i for i in await projects.items(session, project_id)}
    categories = {m.code: m.category for m in projects.menu()}
    if wanted is None:
        wanted = [PlanItemIn(item_code=code) for code in selected]
    unknown = sorted({w.item_code for w in wanted} - set(selected))
    if unknown:
        raise PLAN_ITEM_NOT_SELECTED(details={"item_codes": unknown})
    by_code = {w.item_code: w for w in reversed(wanted)}  # an item named twice: the first description
    return [{"item_code": code, "name": item.name, "category": categories.get(code, ""),
             "scope": by_code[code].scope or item.scope_note or "",
             "estimated_cost_fen": by_code[code].estimated_cost_fen
             if by_code[code].estimated_cost_fen is not None else item.estimated_cost_fen}
            for code, item in selected.items() if code in by_code]


async def _answered(session: AsyncSession, plan: PlanVersion, ids: list[uuid.UUID]) -> list[str]:
    """The ids, if each is an opinion on an earlier version of the same plan."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    known = set((await session.exec(select(PlanOpinion.id).join(PlanVersion, col(PlanVersion.id) == PlanOpinion.plan_id).where(
        col(PlanOpinion.id).in_(ids), PlanOpinion.project_id == plan.project_id,
        PlanVersion.version < plan.version))).all())
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        raise OPINION_IDS_UNKNOWN(details={"opinion_ids": unknown})
    return [str(i) for i in ids]


async def create(session: AsyncSession, p: Principal, project: ProjectRef, data: PlanCreate) -> PlanVersion:
    await _project_in(session, project.id, DRAFTING)
    existing = await latest(session, project.id)
    if existing is not None:
        raise PLAN_DRAFT_EXISTS() if existing.status == PlanStatus.draft else PLAN_EXISTS()
    plan = PlanVersion(project_id=project.id, estate_id=project.estate_id, title=data.title, summary=data.summary,
                       items=await _items(session, project.id, data.items), created_by=p.id)
    return await _add_version(session, p, plan, data.attachment_file_ids, None, "plan.create")


async def _add_version(session: AsyncSession, p: Principal, plan: PlanVersion, file_ids: list[uuid.UUID],
                       carried_from: uuid.UUID | None, action: str) -> PlanVersion:
    try:
        async with session.begin_nested():
            session.add(plan)
            await session.flush()
    except IntegrityError:  # another request made this version number first
        raise PLAN_DRAFT_EXISTS() from None
    await files.attach_for(session, p, file_ids, PLAN_KIND, plan.id, carried_from=carried_from)
    plan.attachment_file_ids = [str(f) for f in dict.fromkeys(file_ids)]
    session.add(plan)
    await session.flush()
    await audit.record(session, actor_id=p.id, action=action, entity_type="plan", entity_id=plan.id,
                       after=audit.snapshot(plan), estate_id=plan.estate_id)
    return plan


async def update_draft(session: AsyncSession, p: Principal, plan: PlanVersion, data: PlanUpdate) -> PlanVersion:
    plan = await locked(session, plan)
    if plan.status != PlanStatus.draft:
        raise PLAN_NOT_DRAFT()
    await _project_in(session, plan.project_id, DRAFTING)
    before = audit.snapshot(plan)
    changes = data.model_dump(exclude_unset=True)
    for name in ("title", "summary"):
        if changes.get(name) is not None:
            setattr(plan, name, changes[name])
    if "change_notes" in changes:
        plan.change_notes = data.change_notes
    if data.items is not None:
        plan.items = await _items(session, plan.project_id, data.items)
    if data.answers_opinion_ids is not None:
        plan.answers_opinion_ids = await _answered(session, plan, data.answers_opinion_ids)
    if data.attachment_file_ids is not None:
        await files.attach_for(session, p, data.attachment_file_ids, PLAN_KIND, plan.id)
        plan.attachment_file_ids = [str(f) for f in dict.fromkeys(data.attachment_file_ids)]
    plan.updated_at = clock.now()
    session.add(plan)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="plan.update", entity_type="plan", entity_id=plan.id,
                       before=before, after=audit.snapshot(plan), estate_id=plan.estate_id)
    return plan


async def revise(session: AsyncSession, p: Principal, plan: PlanVersion, data: PlanRevise) -> PlanVersion:
    """The next version as a draft copy of ``plan`` (the latest published one), with what changes and the
    opinions it answers."""
    await _project_in(session, plan.project_id, DRAFTING)
    newest = await latest(session, plan.project_id)
    assert newest is not None
    if newest.status == PlanStatus.draft:
        raise PLAN_DRAFT_EXISTS()
    if newest.id != plan.id:
        raise PLAN_NOT_LATEST()
    draft = PlanVersion(project_id=plan.project_id, estate_id=plan.estate_id, version=plan.version + 1,
                        title=plan.title, summary=plan.summary, items=list(plan.items), change_notes=data.change_notes,
                        created_by=p.id)
    draft.answers_opinion_ids = await _answered(session, draft, data.answers_opinion_ids)
    revised = await _add_version(session, p, draft, [uuid.UUID(f) for f in plan.attachment_file_ids], plan.id,
                                 "plan.revise")
    await hooks.revised(session, plan.project_id, revised.version, p.id)
    return revised


def _notice_period(body: PlanPublishIn) -> rules.NoticePeriod:
    days = get_settings().plan_notice_days
    period = rules.notice_period(clock.now(), days, body.notice_starts_at, body.notice_ends_at)
    if period in (rules.PeriodProblem.starts_in_past, rules.PeriodProblem.starts_too_late):
        raise NOTICE_START_INVALID()
    if period == rules.PeriodProblem.too_long:
        raise NOTICE_PERIOD_TOO_LONG()
    if period == rules.PeriodProblem.too_short:
        earliest = (body.notice_starts_at or clock.now()) + timedelta(days=days)
        raise NOTICE_PERIOD_TOO_SHORT(details={"days": days, "earliest_end": earliest.isoformat()})
    assert isinstance(period, rules.NoticePeriod)
    return period


async def publish(session: AsyncSession, p: Principal, plan: PlanVersion, body: PlanPublishIn) -> PlanVersion:
    """Open the draft's notice period; it never changes again, and the version it follows is superseded."""
    plan = await locked(session, plan)
    if plan.status != PlanStatus.draft:
        raise PLAN_NOT_DRAFT()
    await _project_in(session, plan.project_id, PUBLISHING)
    if not plan.summary.strip() or not plan.items:
        raise PLAN_INCOMPLETE()
    # The project's items may have changed since the draft was written.
    selected = {i.item_code for i in await projects.items(session, plan.project_id)}
    gone = sorted({i["item_code"] for i in plan.items} - selected)
    if gone:
        raise PLAN_ITEM_NOT_SELECTED(details={"item_codes": gone})
    period = _notice_period(body)
    now = clock.now()
    for previous in (await session.exec(select(PlanVersion).where(
            PlanVersion.project_id == plan.project_id, PlanVersion.status == PlanStatus.published))).all():
        previous_before = audit.snapshot(previous)
        previous.status, previous.superseded_at, previous.updated_at = PlanStatus.superseded, now, now
        session.add(previous)
        await session.flush()
        await audit.record(session, actor_id=p.id, action="plan.supersede", entity_type="plan", entity_id=previous.id,
                           before=previous_before, after=audit.snapshot(previous), estate_id=previous.estate_id)
    before = audit.snapshot(plan)
    plan.status = PlanStatus.published
    plan.notice_starts_at, plan.notice_ends_at = period.starts, period.ends
    plan.published_at = plan.updated_at = now
    plan.published_by = p.id
    session.add(plan)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="plan.publish", entity_type="plan", entity_id=plan.id,
                       before=before, after=audit.snapshot(plan), estate_id=plan.estate_id)
    await flows.published(session, plan)
    return plan


def in_notice_period(plan: PlanVersion) -> bool:
    return (plan.status == PlanStatus.published and plan.notice_starts_at is not None and plan.notice_ends_at is not None
            and rules.opinion_window(clock.now(), plan.notice_starts_at, plan.notice_ends_at) == rules.Window.open)


async def list_for_project(session: AsyncSession, p: Principal, project_id: uuid.UUID) -> list[PlanVersion]:
    return list((await session.exec(select(PlanVersion).where(
        PlanVersion.project_id == project_id, access.plan_condition(p, "read")).order_by(col(PlanVersion.version)))).all())


async def public(session: AsyncSession, p: Principal | None, plans: list[PlanVersion]) -> list[PlanPublic]:
    """The versions as ``p`` reads them; with no principal, as the public notice board shows them: only the
    opinions nobody hid, and nobody's name."""
    actors = await accounts.actors(session, [x for plan in plans for x in (plan.created_by, plan.published_by)]
                                   ) if p is not None else {}
    visible = access.opinion_condition(p, "read") if p is not None else col(PlanOpinion.hidden).is_(False)
    infos = await files.describe(session, [uuid.UUID(f) for plan in plans for f in plan.attachment_file_ids])
    answered_ids = {uuid.UUID(i) for plan in plans for i in plan.answers_opinion_ids}
    answered = {o.id: (o, version) for o, version in (await session.exec(
        select(PlanOpinion, PlanVersion.version).join(PlanVersion, col(PlanVersion.id) == PlanOpinion.plan_id)
        .where(col(PlanOpinion.id).in_(answered_ids), visible))).all()} if answered_ids else {}
    out = []
    for plan in plans:
        attachments = [infos[uuid.UUID(f)] for f in plan.attachment_file_ids if uuid.UUID(f) in infos]
        opinions = [answered[uuid.UUID(i)] for i in plan.answers_opinion_ids if uuid.UUID(i) in answered]
        out.append(PlanPublic(
            **plan.model_dump(exclude={"items", "attachment_file_ids", "answers_opinion_ids", "created_by",
                                       "published_by"}),
            items=[PlanItemPublic(**i) for i in plan.items],
            total_cost_fen=sum(i["estimated_cost_fen"] for i in plan.items),
            attachments=[AttachmentPublic(file_id=a.id, filename=a.filename, content_type=a.content_type, size=a.size)
                         for a in attachments],
            answers_opinions=[AnsweredOpinion(id=o.id, version=version, item_code=o.item_code, content=o.content,
                                              status=o.status, reply=o.reply) for o, version in opinions],
            notice_ends_display=clock.shanghai_text(plan.notice_ends_at) if plan.notice_ends_at else None,
            in_notice_period=in_notice_period(plan),
            created_by=actors.get(plan.created_by) if plan.created_by else None,
            published_by=actors.get(plan.published_by) if plan.published_by else None,
        ))
    return out


# ---- opinions ------------------------------------------------------------------------------------


def _check_open(plan: PlanVersion) -> None:
    if plan.status == PlanStatus.superseded:
        raise PLAN_SUPERSEDED()
    if plan.status == PlanStatus.draft or plan.notice_starts_at is None or plan.notice_ends_at is None:
        raise PLAN_NOT_PUBLISHED()  # only its managers see a draft
    window = rules.opinion_window(clock.now(), plan.notice_starts_at, plan.notice_ends_at)
    if window == rules.Window.not_started:
        raise NOTICE_NOT_STARTED(details={"notice_starts_at": plan.notice_starts_at.isoformat(),
                                          "starts": clock.shanghai_text(plan.notice_starts_at)})
    if window == rules.Window.over:
        raise NOTICE_PERIOD_OVER(details={"notice_ends_at": plan.notice_ends_at.isoformat(),
                                          "ends": clock.shanghai_text(plan.notice_ends_at)})


async def _opinion_unit(session: AsyncSession, p: Principal, plan: PlanVersion, data: OpinionCreate) -> registry.UnitRef:
    if data.channel == OpinionChannel.self:
        mine = [u for u in (await registry.unit_refs(session, p.unit_ids)).values() if u.estate_id == plan.estate_id]
        if not mine:
            raise NOT_A_RESIDENT_HERE()
        if data.unit_id is None:
            return sorted(mine, key=lambda u: u.label)[0]
        unit = next((u for u in mine if u.id == data.unit_id), None)
        if unit is None:
            raise NotFound()
        return unit
    if not p.roles & PROXY_ROLES:
        raise PROXY_NOT_ALLOWED()
    if data.unit_id is None:
        raise VALIDATION_ERROR(details=[{"loc": ["body", "unit_id"], "type": "missing",
                                         "msg": validation_message({"type": "missing"})}])
    unit = await registry.unit_in_scope(session, p, data.unit_id, "contact")
    if unit is None or unit.estate_id != plan.estate_id:
        raise NotFound()
    return unit


async def add_opinion(session: AsyncSession, p: Principal, plan: PlanVersion, data: OpinionCreate) -> PlanOpinion:
    _check_open(plan)
    unit = await _opinion_unit(session, p, plan, data)
    if data.item_code is not None and data.item_code not in {i["item_code"] for i in plan.items}:
        raise OPINION_ITEM_UNKNOWN(details={"item_code": data.item_code})
    opinion = PlanOpinion(
        plan_id=plan.id, project_id=plan.project_id, item_code=data.item_code, unit_id=unit.id,
        building_id=unit.building_id, author_id=p.id if data.channel == OpinionChannel.self else None,
        recorded_by=p.id, channel=data.channel, content=data.content,
        photo_file_ids=[str(f) for f in dict.fromkeys(data.photo_file_ids)])
    session.add(opinion)
    await session.flush()
    await files.attach(session, p, data.photo_file_ids, OPINION_KIND, opinion.id)
    await audit.record(session, actor_id=p.id, action="plan.opinion", entity_type="plan_opinion", entity_id=opinion.id,
                       after=audit.snapshot(opinion), estate_id=plan.estate_id)
    return opinion


async def is_manager(session: AsyncSession, p: Principal, plan: PlanVersion) -> bool:
    return (await session.exec(select(PlanVersion.id).where(
        PlanVersion.id == plan.id, access.plan_condition(p, "manage")))).first() is not None


async def list_opinions(session: AsyncSession, p: Principal, plan: PlanVersion, page: PageParams, *,
                        item_code: str | None = None, status: OpinionStatus | None = None,
                        mine: bool = False) -> tuple[list[PlanOpinion], str | None]:
    stmt = select(PlanOpinion).where(PlanOpinion.plan_id == plan.id, access.opinion_condition(p, "read"))
    if item_code is not None:
        stmt = stmt.where(PlanOpinion.item_code == item_code)
    if status is not None:
        stmt = stmt.where(PlanOpinion.status == status)
    if mine:
        stmt = stmt.where((col(PlanOpinion.author_id) == p.id) | col(PlanOpinion.unit_id).in_(list(p.unit_ids) or [uuid.UUID(int=0)]))
    return await paginate(session, stmt, [col(PlanOpinion.created_at), col(PlanOpinion.id)], page)


async def opinions_public(session: AsyncSession, p: Principal, plan: PlanVersion, rows: list[PlanOpinion],
                          manager: bool) -> list[OpinionPublic]:
    units = await registry.unit_refs(session, [o.unit_id for o in rows])
    actors = await accounts.actors(session, [x for o in rows for x in (o.author_id, o.recorded_by, o.replied_by)])
    out = []
    for o in rows:
        unit = units[o.unit_id]
        mine = o.author_id == p.id or o.recorded_by == p.id or o.unit_id in p.unit_ids
        who = unit.label if manager or mine else f"{unit.building_name}住户"
        out.append(OpinionPublic(
            id=o.id, plan_id=o.plan_id, version=plan.version, item_code=o.item_code, content=o.content,
            photo_file_ids=o.photo_file_ids, channel=o.channel, who=who, mine=mine,
            author=actors.get(sender) if manager and (sender := o.author_id or o.recorded_by) else None, status=o.status, reply=o.reply,
            replied_by=actors.get(o.replied_by) if o.replied_by else None, replied_at=o.replied_at, hidden=o.hidden,
            hidden_reason=o.hidden_reason if manager or o.author_id == p.id else None, created_at=o.created_at))
    return out


async def plan_of(session: AsyncSession, opinion: PlanOpinion) -> PlanVersion:
    plan = await session.get(PlanVersion, opinion.plan_id)
    assert plan is not None  # foreign key
    return plan


async def reply(session: AsyncSession, p: Principal, opinion: PlanOpinion, status: OpinionStatus, text: str) -> PlanOpinion:
    """Answer an opinion (again, if the answer changes): its status and the reply residents read."""
    if status == OpinionStatus.pending:
        raise REPLY_STATUS_INVALID()
    before = audit.snapshot(opinion)
    opinion.status, opinion.reply = status, text
    opinion.replied_by, opinion.replied_at = p.id, clock.now()
    session.add(opinion)
    await session.flush()
    plan = await plan_of(session, opinion)
    await audit.record(session, actor_id=p.id, action="plan.opinion.reply", entity_type="plan_opinion",
                       entity_id=opinion.id, before=before, after=audit.snapshot(opinion), estate_id=plan.estate_id)
    await flows.replied(session, opinion, plan)
    return opinion


async def hide(session: AsyncSession, p: Principal, opinion: PlanOpinion, reason: str) -> PlanOpinion:
    """Hide an opinion from residents (abuse, personal data); its text stays for staff and the audit log."""
    before = audit.snapshot(opinion)
    opinion.hidden, opinion.hidden_reason, opinion.hidden_by, opinion.hidden_at = True, reason, p.id, clock.now()
    session.add(opinion)
    await session.flush()
    plan = await plan_of(session, opinion)
    await audit.record(session, actor_id=p.id, action="plan.opinion.hide", entity_type="plan_opinion",
                       entity_id=opinion.id, before=before, after=audit.snapshot(opinion), estate_id=plan.estate_id)
    return opinion


async def summary(session: AsyncSession, plan: PlanVersion, manager: bool) -> OpinionSummary:
    """Visible opinions by status and by item, and the adoption rate, counted in SQL."""
    rows = (await session.exec(
        select(PlanOpinion.item_code, PlanOpinion.status, PlanOpinion.hidden, func.count())
        .where(PlanOpinion.plan_id == plan.id)
        .group_by(col(PlanOpinion.item_code), col(PlanOpinion.status), col(PlanOpinion.hidden)))).all()
    visible = [(item, status, n) for item, status, hidden, n in rows if not hidden]
    by_status = {s: 0 for s in OpinionStatus}
    per_item: dict[str | None, dict[OpinionStatus, int]] = {}
    for item, status, n in visible:
        by_status[OpinionStatus(status)] += n
        per_item.setdefault(item, {s: 0 for s in OpinionStatus})[OpinionStatus(status)] += n
    names = {i["item_code"]: i["name"] for i in plan.items}
    order = [None, *names]
    by_item = [ItemCount(item_code=code, name=names.get(code, "整体方案") if code else "整体方案",
                         total=sum(per_item[code].values()),
                         by_status=[StatusCount(status=s, count=c) for s, c in per_item[code].items()])
               for code in sorted(per_item, key=lambda c: order.index(c) if c in order else len(order))]
    adopted, partial = by_status[OpinionStatus.adopted], by_status[OpinionStatus.partially_adopted]
    decided = sum(by_status[s] for s in DECIDED)
    return OpinionSummary(
        plan_id=plan.id, total=sum(n for _, _, n in visible),
        hidden=sum(n for _, _, hidden, n in rows if hidden) if manager else 0,
        by_status=[StatusCount(status=s, count=c) for s, c in by_status.items()], by_item=by_item,
        adoption=AdoptionRate(adopted=adopted, partially_adopted=partial, decided=decided,
                              percent=percent(adopted + partial, decided)))


# ---- read receipts -------------------------------------------------------------------------------


async def record_views(session: AsyncSession, p: Principal, plan: PlanVersion) -> list[uuid.UUID]:
    """A read receipt for each of the caller's units in the plan's estate (first and last time, count)."""
    units = sorted(u.id for u in (await registry.unit_refs(session, p.unit_ids)).values() if u.estate_id == plan.estate_id)
    if not units or plan.status == PlanStatus.draft:
        return []
    now = clock.now()
    for unit_id in units:
        view = (await session.exec(select(PlanView).where(PlanView.plan_id == plan.id, PlanView.unit_id == unit_id)
                                   .with_for_update())).first()
        if view is None:
            try:
                async with session.begin_nested():
                    session.add(PlanView(plan_id=plan.id, unit_id=unit_id, first_viewed_by=p.id, first_viewed_at=now,
                                         last_viewed_at=now))
                    await session.flush()
                continue
            except IntegrityError:  # another device of the household recorded it first
                view = (await session.exec(select(PlanView).where(PlanView.plan_id == plan.id,
                                                                  PlanView.unit_id == unit_id))).one()
        view.views += 1
        view.last_viewed_at = now
        session.add(view)
    await session.flush()
    return units


async def non_viewers(session: AsyncSession, p: Principal, plan: PlanVersion,
                      grid_id: uuid.UUID | None) -> list[registry.UnitRef]:
    """The estate's units that have not opened the version, that the caller may visit (a grid worker: their
    grid), in building and room order."""
    units = await registry.units(session, plan.estate_id, grid_id=grid_id, visible_to=(p, "contact"))
    viewed = set((await session.exec(select(PlanView.unit_id).where(PlanView.plan_id == plan.id))).all())
    return [u for u in units if u.id not in viewed]


# ---- files and tasks -----------------------------------------------------------------------------


async def can_read_plan_files(session: AsyncSession, p: Principal, plan_id: uuid.UUID) -> bool:
    return (await session.exec(select(PlanVersion.id).where(
        PlanVersion.id == plan_id, access.plan_condition(p, "read")))).first() is not None


async def can_read_opinion_files(session: AsyncSession, p: Principal, opinion_id: uuid.UUID) -> bool:
    return (await session.exec(select(PlanOpinion.id).where(
        PlanOpinion.id == opinion_id, access.opinion_condition(p, "read")))).first() is not None




def _unread_statement() -> tuple[Select, tuple[Any, ...]]:
    """``unread_query``'s statement and its order (published first, then by door), built once: the
    caller's units are bound when it runs."""
    units = registry.unit_label_columns()
    viewed = exists().where(col(PlanView.plan_id) == PlanVersion.id, col(PlanView.unit_id) == units.c.unit_id)
    statement = (sa_select(col(PlanVersion.id), col(PlanVersion.project_id), col(PlanVersion.title),
                           col(PlanVersion.version), col(PlanVersion.notice_ends_at), *units.c)
                 .join(units, units.c.estate_id == PlanVersion.estate_id)
                 .where(col(PlanVersion.status) == PlanStatus.published,
                        units.c.unit_id.in_(bindparam("unit_ids", expanding=True)), ~viewed))
    return statement, (col(PlanVersion.published_at), col(PlanVersion.id), units.c.building, units.c.entrance,
                       units.c.room)


_UNREAD, _UNREAD_ORDER = _unread_statement()


def unread_query(p: Principal) -> TaskQuery | None:
    """Published plans one of the caller's units has not opened (``/me/tasks``), read with the other lists."""
    if not p.unit_ids:
        return None
    return TaskQuery(_UNREAD, _UNREAD_ORDER, {"unit_ids": sorted(p.unit_ids)}, _unread_tasks)


def _unread_tasks(rows: Sequence[tuple[Any, ...]]) -> list[PlanTask]:
    return [PlanTask(plan_id=plan_id, project_id=project_id, title=title, version=version, notice_ends_at=ends,
                     unit_id=unit_id, unit_label=registry.unit_label(*label).label)
            for plan_id, project_id, title, version, ends, unit_id, *label in rows]
