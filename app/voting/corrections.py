"""The electorate published for checking (docs/ballot-procedure.md): from the announcement until the opening, the
residents bound in the ballot's scope and staff see the electorate as it would be frozen (unit, area, how
many owners are on record; names masked, PIPL art. 25), and may ask to correct it - an area wrong (面积有误),
an owner missing (漏登), a unit sold (已转让) - with evidence. Staff answer each; an accepted correction
changes the registry through its audited path. The ballot opens only once every correction is answered
(``service.open_ballot``), and the ballot's row lock orders an answer and the opening.
"""

import uuid
from collections import defaultdict

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.authz import permits
from app.auth.principal import Principal
from app.core import audit, clock
from app.core.errors import Forbidden, NotFound
from app.core.pagination import Page, PageParams, paginate
from app.files import service as files
from app.registry import corrections as registry_corrections
from app.registry import reads as registry
from app.registry.masking import mask_name
from app.voting import access, flows, service
from app.voting.errors import (
    BALLOT_NOT_ANNOUNCED,
    CORRECTION_ALREADY_ANSWERED,
    CORRECTIONS_CLOSED,
    ELECTORATE_FROZEN,
    NOT_A_RESIDENT_IN_SCOPE,
    UNIT_NOT_IN_BALLOT,
)
from app.voting.models import Ballot, BallotStatus, ElectorateCorrection
from app.voting.schemas import CorrectionAnswer, CorrectionIn, CorrectionPublic, ElectoratePreview, PreviewUnit

CORRECTION_KIND = "ballot_correction"  # the evidence of a correction: a certificate, a contract


async def _scope_units(session: AsyncSession, ballot: Ballot) -> list[registry.UnitRef]:
    return await registry.units(session, ballot.estate_id,
                                building_ids=[uuid.UUID(b) for b in ballot.building_ids] or None,
                                entrance_ids=[uuid.UUID(e) for e in ballot.entrance_ids] or None)


async def _may_check(session: AsyncSession, p: Principal, ballot: Ballot, units: list[registry.UnitRef]) -> bool:
    """Residents bound to a unit in scope, and those who collect for the ballot (staff, grid workers)."""
    return bool(p.unit_ids & {u.id for u in units}) or await permits(
        session, Ballot, ballot.id, access.ballot_condition, p, "collect")


def _checking(ballot: Ballot) -> None:
    if ballot.status == BallotStatus.draft:
        raise BALLOT_NOT_ANNOUNCED()
    if ballot.status != BallotStatus.announced:
        raise ELECTORATE_FROZEN()


async def preview(session: AsyncSession, p: Principal, ballot: Ballot) -> ElectoratePreview:
    """The electorate as it would be frozen now: every unit in scope with its area and its owners on record
    (masked), the number of voters and the total area."""
    _checking(ballot)
    units = await _scope_units(session, ballot)
    if not await _may_check(session, p, ballot, units):
        raise NOT_A_RESIDENT_IN_SCOPE()
    voters, places = await service.snapshot(session, ballot)
    owners: dict[uuid.UUID, list[str]] = defaultdict(list)
    for owner in await registry.owners(session, ballot.estate_id,
                                       building_ids=[uuid.UUID(b) for b in ballot.building_ids] or None,
                                       entrance_ids=[uuid.UUID(e) for e in ballot.entrance_ids] or None):
        for unit in owner.units:
            owners[unit.unit_id].append(mask_name(owner.name) or "")
    return ElectoratePreview(
        ballot_id=ballot.id, voters=len(voters), total_area=registry.format_area(sum(v.area_centi for v in voters)),
        units=[PreviewUnit(unit_id=u.id, label=u.label, area=registry.format_area(u.area_centi),
                           owners_on_record=len(owners[u.id]), owners=sorted(owners[u.id])) for u in units])


async def file(session: AsyncSession, p: Principal, ballot: Ballot, data: CorrectionIn) -> ElectorateCorrection:
    ballot = await service.held_shared(session, ballot)
    if ballot.status != BallotStatus.announced:
        raise CORRECTIONS_CLOSED()
    units = await _scope_units(session, ballot)
    if not await _may_check(session, p, ballot, units):
        raise NOT_A_RESIDENT_IN_SCOPE()
    if data.unit_id not in {u.id for u in units}:
        raise UNIT_NOT_IN_BALLOT()
    correction = ElectorateCorrection(ballot_id=ballot.id, unit_id=data.unit_id, kind=data.kind, note=data.note,
                                      file_ids=[str(f) for f in data.file_ids], filed_by=p.id)
    session.add(correction)
    await session.flush()
    if data.file_ids:
        await files.attach(session, p, list(data.file_ids), CORRECTION_KIND, correction.id)
    await audit.record(session, actor_id=p.id, action="ballot.correction_filed", entity_type="ballot",
                       entity_id=ballot.id, after=audit.snapshot(correction), estate_id=ballot.estate_id)
    return correction


async def answer(session: AsyncSession, p: Principal, correction_id: uuid.UUID, data: CorrectionAnswer,
                 ballot: Ballot) -> ElectorateCorrection:
    """Answer once; an accepted correction with the unit's record changes the registry (as
    ``PATCH /units/{id}`` would, in the caller's scope)."""
    ballot = await service.held_shared(session, ballot)
    if ballot.status != BallotStatus.announced:
        raise CORRECTIONS_CLOSED()
    now = clock.now()
    # Of two answers at once, exactly one changes the row.
    answered = await session.exec(
        update(ElectorateCorrection)
        .where(col(ElectorateCorrection.id) == correction_id, col(ElectorateCorrection.ballot_id) == ballot.id,
               col(ElectorateCorrection.answered_at).is_(None))
        .values(accepted=data.accepted, reply=data.reply, answered_by=p.id, answered_at=now)
        .execution_options(synchronize_session=False))
    if answered.rowcount != 1:
        raise CORRECTION_ALREADY_ANSWERED()
    correction = (await session.exec(select(ElectorateCorrection).where(ElectorateCorrection.id == correction_id)
                                     .execution_options(populate_existing=True))).one()
    if data.accepted and data.unit is not None:
        await registry_corrections.correct_unit(session, p, correction.unit_id, data.unit)
    await flows.answered(session, ballot, correction.filed_by, "名册更正申请", "已采纳" if data.accepted else "未采纳",
                         data.reply)
    await audit.record(session, actor_id=p.id, action="ballot.correction_answered", entity_type="ballot",
                       entity_id=ballot.id, after=audit.snapshot(correction), estate_id=ballot.estate_id)
    return correction


async def listed(session: AsyncSession, p: Principal, ballot: Ballot, page: PageParams) -> Page[CorrectionPublic]:
    """Those who collect for the ballot see every correction; a resident the ones they filed. Oldest first."""
    stmt = select(ElectorateCorrection).where(ElectorateCorrection.ballot_id == ballot.id)
    if not await permits(session, Ballot, ballot.id, access.ballot_condition, p, "collect"):
        stmt = stmt.where(ElectorateCorrection.filed_by == p.id)
    rows, cursor = await paginate(session, stmt, [col(ElectorateCorrection.filed_at), col(ElectorateCorrection.id)],
                                  page)
    return Page[CorrectionPublic](items=await public(session, rows), next_cursor=cursor)


async def public(session: AsyncSession, rows: list[ElectorateCorrection]) -> list[CorrectionPublic]:
    labels = await registry.unit_labels(session, {c.unit_id for c in rows})
    return [CorrectionPublic(
        id=c.id, ballot_id=c.ballot_id, unit_id=c.unit_id, unit_label=labels[c.unit_id].label, kind=c.kind,
        note=c.note, file_ids=[uuid.UUID(f) for f in c.file_ids], filed_at=c.filed_at, accepted=c.accepted,
        reply=c.reply, answered_at=c.answered_at) for c in rows]


async def of(session: AsyncSession, p: Principal, correction_id: uuid.UUID) -> Ballot:
    """The ballot of a correction the caller may answer (those who collect for it): 404 outside the
    ballot's read scope, 403 inside it."""
    ballot = (await session.exec(select(Ballot).join(
        ElectorateCorrection, col(ElectorateCorrection.ballot_id) == Ballot.id).where(
        ElectorateCorrection.id == correction_id, access.ballot_condition(p, "read")))).first()
    if ballot is None:
        raise NotFound()
    if not await permits(session, Ballot, ballot.id, access.ballot_condition, p, "collect"):
        raise Forbidden()
    return ballot


async def can_read_correction_files(session: AsyncSession, p: Principal, correction_id: uuid.UUID) -> bool:
    return (await session.exec(select(ElectorateCorrection.id).join(
        Ballot, col(Ballot.id) == ElectorateCorrection.ballot_id).where(
        ElectorateCorrection.id == correction_id, access.ballot_condition(p, "collect")))).first() is not None

