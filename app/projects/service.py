"""Projects business logic: projects and their lifecycle, the timeline, linked organisations, the
selected renovation items and their progress. Services flush, never commit; every state change
appends a timeline event (where residents should see it) and an audit entry.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, delete, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import reads as accounts
from app.auth.principal import Principal
from app.core import audit, clock
from app.core.db import locked
from app.core.errors import VALIDATION_ERROR, NotFound
from app.core.i18n import validation_message
from app.core.pagination import PageParams, paginate
from app.files import service as files
from app.projects import access, lifecycle
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
from app.projects.models import (
    ItemProgress,
    Project,
    ProjectEvent,
    ProjectItem,
    ProjectOrganization,
    ProjectOrganizationRole,
    ProjectStatus,
    RenovationCategory,
    RenovationItem,
)
from app.projects.progress import percent_string, weighted_progress
from app.projects.reads import ITEM_PROGRESS_KIND, project_ref
from app.projects.schemas import (
    ItemProgressCreate,
    OverallProgress,
    ProjectCreate,
    ProjectEventPublic,
    ProjectItemIn,
    ProjectItemPublic,
    ProjectItems,
    ProjectOrganizationCreate,
    ProjectOrganizationPublic,
    ProjectPublic,
    ProjectUpdate,
)
from app.registry import reads as registry

# The selection is the substance of the plan residents are shown and vote on: once it is published it
# changes only by going back to design (rejected -> designing).
ITEMS_EDITABLE = frozenset({ProjectStatus.surveying, ProjectStatus.designing, ProjectStatus.rejected})
# approved -> constructing needs a contractor (the ``contractor_assigned`` guard); from then on the
# project keeps one: it is who builds, rectifies and signs the acceptance.
STATES_NEEDING_CONTRACTOR = frozenset({ProjectStatus.constructing, ProjectStatus.accepting, ProjectStatus.accepted,
                                 ProjectStatus.maintaining})


def project_public(project: Project) -> ProjectPublic:
    return ProjectPublic.model_validate(
        project.model_dump() | {"next_statuses": lifecycle.targets(project.status)}
    )


async def _event(
    session: AsyncSession, project: Project, kind: str, actor_id: uuid.UUID | None, *, note: str | None = None,
    from_status: str | None = None, to_status: str | None = None, data: dict[str, Any] | None = None,
) -> ProjectEvent:
    event = ProjectEvent(project_id=project.id, kind=kind, actor_id=actor_id, note=note,
                         from_status=from_status, to_status=to_status, data=data)
    session.add(event)
    await session.flush()
    return event


async def _lock(session: AsyncSession, project: Project) -> Project:
    """Re-read the project under a row lock (PostgreSQL; SQLite serialises writers anyway).

    Transitions, item selection, progress reports and organisation links all decide on the project's
    current state: two at once must not both pass a check that the other invalidates (two transitions
    from one state, a progress report racing the move to acceptance, the contractor unlinked while the
    move to construction counts it). Every change of a project or what belongs to it takes the lock,
    so that its audit "before" is the state it actually replaced.
    """
    return await locked(session, project)


# --- projects ----------------------------------------------------------------------------------------


async def list_projects(
    session: AsyncSession, p: Principal, page: PageParams, estate_id: uuid.UUID | None,
    status: ProjectStatus | None,
):
    stmt = select(Project).where(access.project_condition(p, "read"))
    if estate_id is not None:
        stmt = stmt.where(Project.estate_id == estate_id)
    if status is not None:
        stmt = stmt.where(Project.status == status)
    return await paginate(session, stmt, [col(Project.created_at), col(Project.id)], page)


async def create_project(session: AsyncSession, p: Principal, data: ProjectCreate) -> Project:
    """The caller's right to manage ``data.estate_id`` is checked by the route."""
    project = Project(**data.model_dump(), created_by=p.id)
    session.add(project)
    await session.flush()
    await _event(session, project, "created", p.id, to_status=project.status)
    await audit.record(session, actor_id=p.id, action="project.create", entity_type="project", entity_id=project.id,
                       after=audit.snapshot(project), estate_id=project.estate_id)
    return project


async def update_project(session: AsyncSession, p: Principal, project: Project, data: ProjectUpdate) -> Project:
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise VALIDATION_ERROR(details=[{"loc": ["body", "name"], "type": "string_type",
                                         "msg": validation_message({"type": "string_type"})}])
    project = await _lock(session, project)  # so that the audit's "before" is what this change replaced
    before = audit.snapshot(project)
    for key, value in changes.items():
        setattr(project, key, value)
    project.updated_at = clock.now()
    session.add(project)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="project.update", entity_type="project", entity_id=project.id,
                       before=before, after=audit.snapshot(project), estate_id=project.estate_id)
    return project


async def transition(
    session: AsyncSession, actor_id: uuid.UUID | None, project: Project, target: ProjectStatus, note: str | None,
    english: bool,
) -> Project:
    """Move the project along one edge of the lifecycle if every guard of that edge is met, then run the
    reactions other domains registered for entering the new state (same transaction).

    Every guard is evaluated (not just up to the first failure) so that the refusal names everything
    still missing, and the user can fix it all in one go.
    """
    project = await _lock(session, project)
    current = project.status
    if not lifecycle.is_edge(current, target):
        raise TRANSITION_NOT_ALLOWED(details={
            "from": current, "to": target, "allowed": lifecycle.targets(current), "unmet_guards": [],
        })
    results = {g.name: await g.check(session, project) for g in lifecycle.registry.for_edge(current, target)}
    decision = lifecycle.decide(current, target, results)
    if not decision.allowed:
        raise TRANSITION_NOT_ALLOWED(details={
            "from": current, "to": target,
            "unmet_guards": [{"name": g.name, "message": g.message(english)} for g in decision.unmet],
        })
    before = audit.snapshot(project)
    project.status = target
    project.updated_at = clock.now()
    session.add(project)
    await session.flush()
    await _event(session, project, "transition", actor_id, note=note, from_status=current, to_status=target)
    await audit.record(session, actor_id=actor_id, action="project.transition", entity_type="project",
                       entity_id=project.id, before=before, after=audit.snapshot(project),
                       estate_id=project.estate_id)
    entered = lifecycle.Entered(project_ref(project), current, target, actor_id)
    for reaction in lifecycle.reactions.for_edge(current, target):
        await reaction.fn(session, entered)
    return project


async def timeline(
    session: AsyncSession, project: Project, page: PageParams
) -> tuple[list[ProjectEventPublic], str | None]:
    """The project's events, each with who did it (name and role)."""
    stmt = select(ProjectEvent).where(ProjectEvent.project_id == project.id)
    events, cursor = await paginate(session, stmt, [col(ProjectEvent.created_at), col(ProjectEvent.id)], page)
    who = await accounts.actors(session, [e.actor_id for e in events])
    return [ProjectEventPublic.model_validate(e.model_dump() | {"actor": who.get(e.actor_id) if e.actor_id else None}) for e in events], cursor


# --- organisations -----------------------------------------------------------------------------------


def _link_public(link: ProjectOrganization, organization: registry.OrganizationRef) -> ProjectOrganizationPublic:
    return ProjectOrganizationPublic(
        id=link.id, organization_id=organization.id, organization_name=organization.name,
        organization_kind=organization.kind, role=link.role, created_at=link.created_at,
    )


async def list_organizations(session: AsyncSession, project: Project, page: PageParams):
    stmt = select(ProjectOrganization).where(ProjectOrganization.project_id == project.id)
    links, cursor = await paginate(session, stmt, [col(ProjectOrganization.created_at), col(ProjectOrganization.id)], page)
    organizations = await registry.organizations(session, {link.organization_id for link in links})
    return [_link_public(link, organizations[link.organization_id]) for link in links], cursor


async def link_organization(
    session: AsyncSession, p: Principal, project: Project, data: ProjectOrganizationCreate
) -> ProjectOrganizationPublic:
    project = await _lock(session, project)
    organization = (await registry.organizations(session, [data.organization_id])).get(data.organization_id)
    if organization is None:
        raise ORGANIZATION_UNKNOWN(details={"organization_id": str(data.organization_id)})
    # Another street's organisation works for that street: linking it here would let this street's staff
    # reach into its accounts.
    estate = await registry.estate(session, project.estate_id)
    assert estate is not None  # foreign key
    if not organization.serves(estate.street_id):
        raise ORGANIZATION_OUTSIDE_STREET(details={"organization_id": str(organization.id)})
    duplicate = (
        await session.exec(
            select(ProjectOrganization.id).where(
                ProjectOrganization.project_id == project.id,
                ProjectOrganization.organization_id == data.organization_id,
                ProjectOrganization.role == data.role,
            )
        )
    ).first()
    if duplicate is not None:
        raise ORGANIZATION_ALREADY_LINKED()
    link = ProjectOrganization(project_id=project.id, organization_id=organization.id, role=data.role)
    session.add(link)
    await session.flush()
    await _event(session, project, "organization_linked", p.id,
                 data={"organization_id": str(organization.id), "organization_name": organization.name,
                       "role": data.role})
    await audit.record(session, actor_id=p.id, action="project.organization.link", entity_type="project_organization",
                       entity_id=link.id, after=audit.snapshot(link), estate_id=project.estate_id)
    return _link_public(link, organization)


async def unlink_organization(session: AsyncSession, p: Principal, project: Project, link: ProjectOrganization) -> None:
    """Remove a link; once construction started, never the project's last contractor (link the new one first)."""
    project = await _lock(session, project)
    # The link was loaded before the lock: a concurrent unlink may have removed it since.
    current = (
        await session.exec(
            select(ProjectOrganization).where(ProjectOrganization.id == link.id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if current is None:
        raise NotFound()
    link = current
    if link.role == ProjectOrganizationRole.contractor and project.status in STATES_NEEDING_CONTRACTOR:
        others = (
            await session.exec(
                select(ProjectOrganization.id).where(
                    ProjectOrganization.project_id == project.id,
                    ProjectOrganization.role == ProjectOrganizationRole.contractor,
                    ProjectOrganization.id != link.id,
                ).limit(1)
            )
        ).first()
        if others is None:
            raise CONTRACTOR_REQUIRED(details={"status": project.status})
    before = audit.snapshot(link)
    organization = (await registry.organizations(session, [link.organization_id])).get(link.organization_id)
    await session.delete(link)
    await session.flush()
    await _event(session, project, "organization_unlinked", p.id,
                 data={"organization_id": str(link.organization_id),
                       "organization_name": organization.name if organization else None, "role": link.role})
    await audit.record(session, actor_id=p.id, action="project.organization.unlink",
                       entity_type="project_organization", entity_id=link.id, before=before,
                       estate_id=project.estate_id)


# --- renovation menu and items -----------------------------------------------------------------------


async def list_renovation_items(session: AsyncSession, page: PageParams, category: RenovationCategory | None):
    stmt = select(RenovationItem)
    if category is not None:
        stmt = stmt.where(RenovationItem.category == category)
    return await paginate(session, stmt, [col(RenovationItem.sort_order), col(RenovationItem.code)], page)


# An item as its list shows it (``_items_public``), with its menu entry's name and category, as plain columns.
_ITEM_COLUMNS = (ProjectItem.id, ProjectItem.item_code, RenovationItem.name, RenovationItem.category,
                 ProjectItem.estimated_cost_fen, ProjectItem.funding_source, ProjectItem.scope_note,
                 ProjectItem.progress_percent, ProjectItem.updated_at)


def _items_statement() -> Select:
    """The items of a project (bound when it runs) with their menu entries, menu order; outer-joined, so that
    a project with no items is still one row (its item empty). Built once."""
    return (sa_select(*[col(c) for c in _ITEM_COLUMNS]).select_from(Project)
            .outerjoin(ProjectItem, col(ProjectItem.project_id) == Project.id)
            .outerjoin(RenovationItem, col(RenovationItem.code) == ProjectItem.item_code)
            .where(col(Project.id) == bindparam("project_id")).order_by(col(RenovationItem.sort_order)))


_ITEMS = _items_statement()


def _items_public(rows: Sequence[Any]) -> ProjectItems:
    rows = [row for row in rows if row.id is not None]
    ratio = weighted_progress((row.estimated_cost_fen, row.progress_percent) for row in rows)
    return ProjectItems(
        items=[ProjectItemPublic(**row._mapping) for row in rows],
        total_estimated_cost_fen=sum(row.estimated_cost_fen for row in rows),
        progress=OverallProgress(numerator=ratio.numerator, denominator=ratio.denominator,
                                 percent=percent_string(ratio)),
    )


async def project_items(session: AsyncSession, project: Project) -> ProjectItems:
    return _items_public((await session.exec(_ITEMS, params={"project_id": project.id})).all())  # type: ignore[call-overload]


async def readable_project_items(session: AsyncSession, p: Principal, project_id: uuid.UUID) -> ProjectItems:
    """``GET /projects/{id}/items`` in one statement: the project, if ``p`` may read it (else 404), with its
    items (``ProjectForRead`` and ``project_items`` would be two)."""
    rows = (await session.exec(  # type: ignore[call-overload]
        _ITEMS.where(access.project_condition(p, "read")), params={"project_id": project_id})).all()
    if not rows:
        raise NotFound()
    return _items_public(rows)


def _item_snapshot(item: ProjectItem) -> dict[str, Any]:
    return {"item_code": item.item_code, "estimated_cost_fen": item.estimated_cost_fen,
            "funding_source": item.funding_source, "scope_note": item.scope_note,
            "progress_percent": item.progress_percent}


async def replace_items(
    session: AsyncSession, p: Principal, project: Project, selection: list[ProjectItemIn]
) -> ProjectItems:
    """Make the project's selection exactly ``selection``: items kept by code keep their id and history."""
    project = await _lock(session, project)
    if project.status not in ITEMS_EDITABLE:
        raise PROJECT_ITEMS_LOCKED(details={"status": project.status})
    codes = [entry.item_code for entry in selection]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise RENOVATION_ITEM_DUPLICATE(details={"item_codes": duplicates})
    known = set((await session.exec(select(RenovationItem.code).where(col(RenovationItem.code).in_(codes)))).all())
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise RENOVATION_ITEM_UNKNOWN(details={"item_codes": unknown})

    existing = {item.item_code: item for item in
                (await session.exec(select(ProjectItem).where(ProjectItem.project_id == project.id))).all()}
    removed = [item for code, item in existing.items() if code not in set(codes)]
    if removed:
        with_history = set(
            (await session.exec(
                select(ItemProgress.project_item_id)
                .where(col(ItemProgress.project_item_id).in_([i.id for i in removed]))
            )).all()
        )
        blocked = sorted(i.item_code for i in removed if i.progress_percent > 0 or i.id in with_history)
        if blocked:
            raise PROJECT_ITEM_HAS_PROGRESS(details={"item_codes": blocked})

    before = {"items": [_item_snapshot(i) for i in sorted(existing.values(), key=lambda i: i.item_code)]}
    now = clock.now()
    if removed:
        await session.exec(delete(ProjectItem).where(col(ProjectItem.id).in_([i.id for i in removed])))
    kept: list[ProjectItem] = []
    for entry in selection:
        item = existing.get(entry.item_code) or ProjectItem(project_id=project.id, item_code=entry.item_code,
                                                            estimated_cost_fen=0, funding_source=entry.funding_source)
        item.estimated_cost_fen = entry.estimated_cost_fen
        item.funding_source = entry.funding_source
        item.scope_note = entry.scope_note
        item.updated_at = now
        session.add(item)
        kept.append(item)
    await session.flush()
    after = {"items": [_item_snapshot(i) for i in sorted(kept, key=lambda i: i.item_code)]}
    await _event(session, project, "items_selected", p.id,
                 data={"item_codes": sorted(codes), "total_estimated_cost_fen": sum(i.estimated_cost_fen for i in kept)})
    await audit.record(session, actor_id=p.id, action="project.items.replace", entity_type="project",
                       entity_id=project.id, before=before, after=after, estate_id=project.estate_id)
    return await project_items(session, project)


async def report_progress(
    session: AsyncSession, p: Principal, project: Project, item: ProjectItem, data: ItemProgressCreate
) -> ItemProgress:
    project = await _lock(session, project)
    if project.status != ProjectStatus.constructing:
        raise PROJECT_NOT_CONSTRUCTING(details={"status": project.status})
    # Re-read under the lock: a report that committed while this one waited changed the item.
    item = (
        await session.exec(select(ProjectItem).where(ProjectItem.id == item.id)
                           .execution_options(populate_existing=True))
    ).one()
    before = _item_snapshot(item)
    file_ids = list(dict.fromkeys(data.file_ids))
    report = ItemProgress(project_item_id=item.id, percent=data.percent, note=data.note,
                          file_ids=[str(f) for f in file_ids], actor_id=p.id)
    session.add(report)
    item.progress_percent = data.percent
    item.updated_at = clock.now()
    session.add(item)
    await session.flush()
    if file_ids:
        await files.attach(session, p, file_ids, ITEM_PROGRESS_KIND, report.id)
    await _event(session, project, "item_progress", p.id, note=data.note,
                 data={"item_id": str(item.id), "item_code": item.item_code, "percent": data.percent,
                       "progress_id": str(report.id), "file_count": len(file_ids)})
    await audit.record(session, actor_id=p.id, action="project.item.progress", entity_type="project_item",
                       entity_id=item.id, before=before, after=_item_snapshot(item) | {"progress_id": str(report.id)},
                       estate_id=project.estate_id)
    return report


async def progress_history(session: AsyncSession, item: ProjectItem, page: PageParams):
    stmt = select(ItemProgress).where(ItemProgress.project_item_id == item.id)
    return await paginate(session, stmt, [col(ItemProgress.created_at), col(ItemProgress.id)], page)


async def can_read_progress_files(session: AsyncSession, p: Principal, progress_id: uuid.UUID) -> bool:
    """Photos of a progress report are as public as the project they document."""
    stmt = (
        select(func.count())
        .select_from(ItemProgress)
        .join(ProjectItem, col(ProjectItem.id) == ItemProgress.project_item_id)
        .join(Project, col(Project.id) == ProjectItem.project_id)
        .where(ItemProgress.id == progress_id, access.project_condition(p, "read"))
    )
    return (await session.exec(stmt)).one() > 0
