"""After the close: objections to the preliminary result, a recount, and the result becoming final
(docs/ballot-procedure.md).

For ``objection_days`` after the close, the owners in the electorate may object (my vote is missing, it
was counted wrong, someone voted who has no vote); staff answer every objection, once. Staff may count
again from the stored votes: the recount must equal the stored result, or the difference is reported and
kept. The worker makes the result final once the window has passed and every objection is answered; only
then does a deciding ballot move its project (``flows.final``).
"""

import uuid

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.authz import permits
from app.auth.principal import Principal
from app.core import audit, clock
from app.core.db import locked
from app.core.errors import Forbidden, NotFound
from app.core.pagination import Page, PageParams, paginate
from app.files import service as files
from app.plans import reads as plans
from app.residency import reads as residency
from app.voting import access, flows, procedure, service
from app.voting.errors import (
    BALLOT_ALREADY_FINAL,
    BALLOT_NOT_CLOSED,
    NOT_IN_ELECTORATE,
    NOT_YET_FINAL,
    OBJECTION_ALREADY_ANSWERED,
    OBJECTIONS_CLOSED,
    RECOUNT_NOT_CLOSED,
)
from app.voting.models import Ballot, BallotResult, BallotStatus, BallotVoterPerson, Objection, Recount
from app.voting.schemas import BallotResultsPublic, Difference, ObjectionIn, ObjectionPublic, RecountPublic

OBJECTION_KIND = "ballot_objection"  # what an owner attaches to an objection


async def file(session: AsyncSession, p: Principal, ballot: Ballot, data: ObjectionIn) -> Objection:
    """An owner in the electorate objects, during the window."""
    ballot = await service.held_shared(session, ballot)
    if not procedure.may_object(ballot.status, clock.now(), ballot.closed_at, ballot.objection_days):
        raise OBJECTIONS_CLOSED()
    persons = [person for person, relation in p.bound_persons.items() if relation in residency.OWNER_RELATIONS]
    in_electorate = persons and (await session.exec(select(BallotVoterPerson.person_id).where(
        BallotVoterPerson.ballot_id == ballot.id, col(BallotVoterPerson.person_id).in_(persons)).limit(1))).first()
    if not in_electorate:
        raise NOT_IN_ELECTORATE()
    objection = Objection(ballot_id=ballot.id, kind=data.kind, note=data.note,
                          file_ids=[str(f) for f in data.file_ids], filed_by=p.id)
    session.add(objection)
    await session.flush()
    if data.file_ids:
        await files.attach(session, p, list(data.file_ids), OBJECTION_KIND, objection.id)
    await audit.record(session, actor_id=p.id, action="ballot.objection_filed", entity_type="ballot",
                       entity_id=ballot.id, after=audit.snapshot(objection), estate_id=ballot.estate_id)
    return objection


async def answer(session: AsyncSession, p: Principal, objection_id: uuid.UUID, reply: str) -> Objection:
    """Staff who manage the ballot answer an objection, once (of two answers at once, one wins)."""
    found = (await session.exec(select(Objection).join(Ballot, col(Ballot.id) == Objection.ballot_id).where(
        Objection.id == objection_id, access.ballot_condition(p, "read")))).first()
    if found is None:
        raise NotFound()
    if not await permits(session, Ballot, found.ballot_id, access.ballot_condition, p, "manage"):
        raise Forbidden()
    answered = await session.exec(
        update(Objection).where(col(Objection.id) == objection_id, col(Objection.answered_at).is_(None))
        .values(reply=reply, answered_by=p.id, answered_at=clock.now()).execution_options(synchronize_session=False))
    if answered.rowcount != 1:
        raise OBJECTION_ALREADY_ANSWERED()
    objection = (await session.exec(select(Objection).where(Objection.id == objection_id)
                                    .execution_options(populate_existing=True))).one()
    ballot = await session.get(Ballot, objection.ballot_id)
    assert ballot is not None
    await audit.record(session, actor_id=p.id, action="ballot.objection_answered", entity_type="ballot",
                       entity_id=ballot.id, after=audit.snapshot(objection), estate_id=ballot.estate_id)
    await flows.answered(session, ballot, objection.filed_by, "表决结果异议", "已答复", reply)
    return objection


async def listed(session: AsyncSession, p: Principal, ballot: Ballot, page: PageParams) -> Page[ObjectionPublic]:
    """Those who manage the ballot see every objection; an owner the ones they filed. Oldest first."""
    stmt = select(Objection).where(Objection.ballot_id == ballot.id)
    if not await permits(session, Ballot, ballot.id, access.ballot_condition, p, "manage"):
        stmt = stmt.where(Objection.filed_by == p.id)
    rows, cursor = await paginate(session, stmt, [col(Objection.filed_at), col(Objection.id)], page)
    return Page[ObjectionPublic](items=[public(o) for o in rows], next_cursor=cursor)


def public(o: Objection) -> ObjectionPublic:
    return ObjectionPublic(id=o.id, ballot_id=o.ballot_id, kind=o.kind, note=o.note,
                           file_ids=[uuid.UUID(f) for f in o.file_ids], filed_at=o.filed_at, reply=o.reply,
                           answered_at=o.answered_at)


async def unanswered(session: AsyncSession, ballot_id: uuid.UUID) -> int:
    return (await session.exec(select(func.count()).select_from(Objection).where(
        Objection.ballot_id == ballot_id, col(Objection.answered_at).is_(None)))).one()


# ---- recount and final ---------------------------------------------------------------------------------


def differences(stored: BallotResultsPublic, recounted: BallotResultsPublic) -> list[Difference]:
    """Every figure and outcome of each motion that differs between two counts."""
    out = []
    counted = {m.motion_id: m for m in recounted.motions}
    for before in stored.motions:
        after = counted.get(before.motion_id)
        if after is None:
            out.append(Difference(motion_id=before.motion_id, figure="motion", stored="counted", recounted="missing"))
            continue
        for figure in ("total", "participating", "approve", "oppose", "abstain"):
            for part in ("area", "headcount"):
                a, b = getattr(getattr(before, figure), part), getattr(getattr(after, figure), part)
                if a != b:
                    out.append(Difference(motion_id=before.motion_id, figure=f"{figure}.{part}", stored=str(a),
                                          recounted=str(b)))
        if before.outcome != after.outcome:
            out.append(Difference(motion_id=before.motion_id, figure="outcome", stored=before.outcome.value,
                                  recounted=after.outcome.value))
    return out


async def recount(session: AsyncSession, p: Principal, ballot: Ballot) -> RecountPublic:
    """Count again from the stored votes with the same rule (``service.count``) and compare with the result
    stored at the close; the report, differences included, is kept."""
    if ballot.status not in service.COUNTED:
        raise RECOUNT_NOT_CLOSED()
    stored_row = await session.get(BallotResult, ballot.id)
    assert stored_row is not None  # stored at the close
    stored = BallotResultsPublic.model_validate(stored_row.content)
    found = differences(stored, await service.count(session, ballot))
    row = Recount(ballot_id=ballot.id, matches=not found, differences=[d.model_dump(mode="json") for d in found],
                  counted_by=p.id)
    session.add(row)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="ballot.recount", entity_type="ballot", entity_id=ballot.id,
                       after={"matches": row.matches, "differences": len(found)}, estate_id=ballot.estate_id)
    return RecountPublic(ballot_id=ballot.id, matches=row.matches, differences=found, counted_at=row.counted_at)


async def finalize(session: AsyncSession, ballot: Ballot, actor_id: uuid.UUID | None = None, *,
                   explain: bool = False) -> bool:
    """Make the result final if its window has passed and every objection is answered; whether it did.
    With ``explain`` (staff asking), say why not instead (409)."""
    ballot = await locked(session, ballot)
    now = clock.now()
    pending = await unanswered(session, ballot.id)
    if not procedure.may_finalize(ballot.status, now, ballot.closed_at, ballot.objection_days, pending):
        if not explain:
            return False
        if ballot.status != BallotStatus.closed or ballot.closed_at is None:
            raise BALLOT_ALREADY_FINAL() if ballot.status == BallotStatus.final else BALLOT_NOT_CLOSED()
        until = procedure.objection_window(ballot.closed_at, ballot.objection_days)[1]
        raise NOT_YET_FINAL(details={"until": clock.shanghai_text(until), "unanswered": pending})
    before = audit.snapshot(ballot)
    ballot.status, ballot.finalized_at, ballot.updated_at = BallotStatus.final, now, now
    session.add(ballot)
    await session.flush()
    await audit.record(session, actor_id=actor_id, action="ballot.final", entity_type="ballot", entity_id=ballot.id,
                       before=before, after=audit.snapshot(ballot), estate_id=ballot.estate_id)
    current = await plans.current_version(session, ballot.project_id)
    decides = procedure.decides(ballot.status, ballot.plan_version_id, current.id if current else None, True)
    await flows.final(session, ballot, actor_id, await service.all_passed(session, ballot), decides)
    return True


async def finalize_due(session: AsyncSession) -> None:
    """The worker's job: every closed ballot whose objection window has passed."""
    for ballot in (await session.exec(select(Ballot).where(Ballot.status == BallotStatus.closed))).all():
        assert ballot.closed_at is not None
        if procedure.objection_window(ballot.closed_at, ballot.objection_days)[1] <= clock.now():
            await finalize(session, ballot)


async def can_read_objection_files(session: AsyncSession, p: Principal, objection_id: uuid.UUID) -> bool:
    return (await session.exec(select(Objection.id).join(Ballot, col(Ballot.id) == Objection.ballot_id).where(
        Objection.id == objection_id, access.ballot_condition(p, "manage")))).first() is not None
