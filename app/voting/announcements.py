"""The announcement of a ballot (表决公告), its cancellation, and the evidence that it reached each household
(docs/ballot-procedure.md).

A ballot is announced at least ``notice_days`` before it opens (物业管理条例 art. 14: fifteen days under the
Civil Code rules). The notice goes to every owner with an account through the outbox; whether it reached a
household is shown, per unit in scope, by any of: the WeChat subscribe message delivered (WeChat said so),
the in-app message read, or a grid worker's record of the paper notice handed over or posted (with a
photo). Staff see the coverage; a grid worker the households of their grid still to reach.
"""

import uuid
from collections import defaultdict
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.core import audit, clock
from app.core.db import locked
from app.core.numbers import percent
from app.files import service as files
from app.notifications import reads as notices
from app.projects.lifecycle import Entered
from app.registry import reads as registry
from app.residency import reads as residency
from app.voting import access, flows, procedure, service
from app.voting.errors import (
    ANNOUNCEMENT_INVALID,
    BALLOT_CLOSED,
    BALLOT_NOT_ANNOUNCED,
    BALLOT_NOT_CANCELLABLE,
    BALLOT_NOT_DRAFT,
    DELIVERY_PHOTO_REQUIRED,
    PROCEDURE_NOT_MET,
    UNIT_NOT_IN_BALLOT,
)
from app.voting.models import Ballot, BallotStatus, DeliveryChannel, NoticeDelivery
from app.voting.schemas import AnnounceIn, CoveragePublic, DeliveryIn, Household

DELIVERY_KIND = "ballot_notice"  # the photo of a paper notice handed over or posted


async def announce(session: AsyncSession, p: Principal, ballot: Ballot, data: AnnounceIn) -> Ballot:
    """Announce the draft: its schedule must leave the notice owed before it opens, and a ballot tied to
    the project is announced only in the voting stage, on the plan version then published (recorded)."""
    ballot = await locked(session, ballot)
    if ballot.status != BallotStatus.draft:
        raise BALLOT_NOT_DRAFT()
    now = clock.now()
    opens_at, closes_at = data.opens_at or ballot.opens_at, data.closes_at or ballot.closes_at
    problems = procedure.schedule_problems(procedure.Schedule(
        ballot.rule, ballot.notice_days, ballot.objection_days, opens_at, closes_at), now)
    if problems:
        raise ANNOUNCEMENT_INVALID(details={"problems": problems, "earliest_opening": clock.shanghai_text(
            now + timedelta(days=ballot.notice_days))})
    tied, current, problems = await service.tie(session, ballot)
    if problems:
        raise PROCEDURE_NOT_MET(details={"problems": problems})
    before = audit.snapshot(ballot)
    ballot.opens_at, ballot.closes_at = opens_at, closes_at
    ballot.status, ballot.announced_at, ballot.updated_at = BallotStatus.announced, now, now
    ballot.plan_version_id = current if tied else None
    session.add(ballot)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="ballot.announce", entity_type="ballot", entity_id=ballot.id,
                       before=before, after=audit.snapshot(ballot), estate_id=ballot.estate_id)
    await flows.announced(session, ballot)
    return ballot


async def cancel(session: AsyncSession, actor_id: uuid.UUID | None, ballot: Ballot, reason: str) -> Ballot:
    """Cancel a ballot whose result is not final, with the reason; those told of it are told again. Its
    votes stay, as evidence (docs/ballot-procedure.md), and count for nothing."""
    ballot = await locked(session, ballot)
    if not procedure.may_move(ballot.status, BallotStatus.cancelled):
        raise BALLOT_NOT_CANCELLABLE(details={"status": ballot.status.value})
    before = audit.snapshot(ballot)
    now = clock.now()
    ballot.status, ballot.cancelled_at, ballot.cancel_reason, ballot.updated_at = (
        BallotStatus.cancelled, now, reason, now)
    session.add(ballot)
    await session.flush()
    await audit.record(session, actor_id=actor_id, action="ballot.cancel", entity_type="ballot", entity_id=ballot.id,
                       before=before, after=audit.snapshot(ballot), estate_id=ballot.estate_id)
    await flows.cancelled(session, ballot)
    return ballot


async def _cancel_tied(session: AsyncSession, project_id: uuid.UUID, reason: str, actor_id: uuid.UUID | None) -> None:
    """Every ballot of the project held on its plan, announced and not final, is cancelled."""
    pending = (await session.exec(select(Ballot).where(
        Ballot.project_id == project_id, col(Ballot.plan_version_id).is_not(None),
        col(Ballot.status).in_([BallotStatus.announced, BallotStatus.open, BallotStatus.closed])))).all()
    for ballot in pending:
        await cancel(session, actor_id, ballot, reason)


async def plan_revised(session: AsyncSession, project_id: uuid.UUID, version: int, actor_id: uuid.UUID) -> None:
    """A revision of the plan (``plans.hooks``): the ballots held on the published version are void."""
    await _cancel_tied(session, project_id, f"设计方案已修改（第{version}版），须重新公示后再表决", actor_id)


async def plan_withdrawn(session: AsyncSession, entered: Entered) -> None:
    """The project went back from voting to design (a lifecycle reaction): its ballots are void."""
    await _cancel_tied(session, entered.project.id, "方案已退回修改，须重新公示后再表决", entered.actor_id)


# ---- reaching the households ---------------------------------------------------------------------------


def _scope(ballot: Ballot) -> dict:
    return {"building_ids": [uuid.UUID(b) for b in ballot.building_ids] or None,
            "entrance_ids": [uuid.UUID(e) for e in ballot.entrance_ids] or None}


def _in_scope(ballot: Ballot, unit: registry.UnitRef) -> bool:
    if unit.estate_id != ballot.estate_id:
        return False
    if not ballot.building_ids and not ballot.entrance_ids:
        return True
    return str(unit.building_id) in ballot.building_ids or str(unit.entrance_id) in ballot.entrance_ids


async def record_delivery(session: AsyncSession, p: Principal, ballot: Ballot, data: DeliveryIn) -> NoticeDelivery:
    """A grid worker (or staff) records that the paper notice reached a household they may visit: handed
    over, or posted (with a photo). While the ballot is announced or open."""
    if ballot.status == BallotStatus.draft:
        raise BALLOT_NOT_ANNOUNCED()
    if ballot.status not in (BallotStatus.announced, BallotStatus.open):
        raise BALLOT_CLOSED()
    unit = (await registry.units_in_scope(session, p, [data.unit_id], "contact")).get(data.unit_id)
    if unit is None or not _in_scope(ballot, unit):
        raise UNIT_NOT_IN_BALLOT()
    if data.channel == DeliveryChannel.posted and not data.file_ids:
        raise DELIVERY_PHOTO_REQUIRED()
    delivery = NoticeDelivery(ballot_id=ballot.id, unit_id=unit.id, channel=DeliveryChannel(data.channel),
                              file_ids=[str(f) for f in data.file_ids], recorded_by=p.id)
    session.add(delivery)
    await session.flush()
    if data.file_ids:
        await files.attach(session, p, list(data.file_ids), DELIVERY_KIND, delivery.id)
    await audit.record(session, actor_id=p.id, action="ballot.notice_delivered", entity_type="ballot",
                       entity_id=ballot.id, after=audit.snapshot(delivery), estate_id=ballot.estate_id)
    return delivery


async def coverage(session: AsyncSession, p: Principal, ballot: Ballot, grid_id: uuid.UUID | None) -> CoveragePublic:
    """Households (units in scope) the announcement reached, by channel; with ``grid_id``, the grid's
    households not reached yet. A grid worker sees their own grids' households only.

    A notice that reached an account reached the household it is bound to, and every other unit in scope
    of the owner it is bound as (one person told of their three flats is told for all three)."""
    units = await registry.units(session, ballot.estate_id, **_scope(ballot), visible_to=(p, "contact"))
    reached: dict[uuid.UUID, set[DeliveryChannel]] = defaultdict(set)
    by_user: dict[uuid.UUID, set[DeliveryChannel]] = defaultdict(set)
    for user_id, channel, _ in await notices.reached(session, flows.announcement_ref(ballot)):
        by_user[user_id].add(DeliveryChannel(channel))
    bound = await residency.bound_units(session, by_user)
    owned = await registry.units_owned_by(session, {person for _, _, person in bound if person}, ballot.estate_id,
                                          **_scope(ballot))
    for user_id, unit_id, person_id in bound:
        for unit in {unit_id, *owned.get(person_id, [])} if person_id else {unit_id}:
            reached[unit] |= by_user[user_id]
    for unit_id, channel in (await session.exec(select(NoticeDelivery.unit_id, NoticeDelivery.channel).where(
            NoticeDelivery.ballot_id == ballot.id))).all():
        reached[unit_id].add(DeliveryChannel(channel))
    done = [u for u in units if reached.get(u.id)]
    unreached = None
    if grid_id is not None:
        grid = {u.id for u in await registry.units(session, ballot.estate_id, **_scope(ballot), grid_id=grid_id,
                                                   visible_to=(p, "contact"))}
        unreached = [Household(unit_id=u.id, label=u.label, building_name=u.building_name,
                               entrance_name=u.entrance_name, room_number=u.room_number)
                     for u in units if u.id in grid and not reached.get(u.id)]
    return CoveragePublic(
        ballot_id=ballot.id, households=len(units), reached=len(done), percent=percent(len(done), len(units)),
        by_channel={c: sum(1 for u in units if c in reached.get(u.id, ())) for c in DeliveryChannel},
        unreached=unreached)


async def can_read_delivery_files(session: AsyncSession, p: Principal, delivery_id: uuid.UUID) -> bool:
    """The photo of a posted notice: those who may collect for the ballot (its managers, the grid workers)."""
    return (await session.exec(select(NoticeDelivery.id).join(Ballot, col(Ballot.id) == NoticeDelivery.ballot_id)
                               .where(NoticeDelivery.id == delivery_id, access.ballot_condition(p, "collect"))
                               )).first() is not None

