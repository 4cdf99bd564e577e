"""Ballots: writing them, opening (the electorate snapshot), casting, turnout and results.

The decision itself is ``rules.py``; here the database is read and written. Results are grouped sums in
SQL over the current casts' choices, never votes loaded into Python.
"""

import hashlib
import hmac
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, delete, exists, func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import reads as accounts
from app.auth.authz import permits
from app.auth.principal import Principal
from app.auth.residence import Assurance, sufficient
from app.core import audit, clock, db
from app.core.config import get_settings
from app.core.db import locked
from app.core.numbers import percent
from app.core.pagination import PageParams, paginate
from app.files import service as files
from app.plans import reads as plans
from app.privacy import disclosures
from app.projects import reads as projects
from app.projects.reads import ProjectRef
from app.registry import reads as registry
from app.residency import reads as residency
from app.residency.todo import BallotTask, TaskQuery
from app.voting import access, flows, procedure, rules
from app.voting.errors import (
    ALREADY_VOTED,
    ASSURANCE_TOO_LOW,
    BALLOT_CLOSED,
    BALLOT_INVALID,
    BALLOT_NOT_ANNOUNCED,
    BALLOT_NOT_DRAFT,
    BALLOT_NOT_DUE,
    BALLOT_NOT_OPEN,
    CHOICES_INVALID,
    CORRECTIONS_UNANSWERED,
    NOT_AN_OWNER,
    NOT_IN_ELECTORATE,
    PROCEDURE_NOT_MET,
    RESULTS_NOT_PUBLIC,
    SCOPE_NOT_IN_ESTATE,
    VOTER_NOT_FOUND,
)
from app.voting.models import (
    Ballot,
    BallotCast,
    BallotChoice,
    BallotResult,
    BallotStatus,
    BallotVoter,
    BallotVoterPerson,
    BallotVoterUnit,
    CastChannel,
    ElectorateCorrection,
    Evidence,
    Motion,
    ResultsVisibility,
)
from app.voting.schemas import (
    BallotBuildingResult,
    BallotCreate,
    BallotPublic,
    BallotResultsPublic,
    BuildingMotion,
    ChoiceIn,
    CustomRuleIn,
    HouseholdsPublic,
    HouseholdVote,
    MotionPublic,
    MotionResult,
    ProxyVoteIn,
    RatioPublic,
    ThresholdPublic,
    TurnoutPublic,
    VoteIn,
    VotePublic,
    VoterPublic,
    Weight,
)

EVIDENCE_KIND = "ballot_cast"


def _weight(count: rules.Count) -> Weight:
    return Weight(area=registry.format_area(count.area_centi), headcount=count.headcount)


# ---- writing -------------------------------------------------------------------------------------


async def _check_scope(session: AsyncSession, estate_id: uuid.UUID, data: BallotCreate) -> None:
    buildings, entrances = set(data.scope.building_ids), set(data.scope.entrance_ids)
    if not buildings and not entrances:
        return
    units = await registry.units(session, estate_id, building_ids=buildings or None, entrance_ids=entrances or None)
    outside = (buildings - {u.building_id for u in units}) | (entrances - {u.entrance_id for u in units})
    if outside:
        raise SCOPE_NOT_IN_ESTATE(details={"ids": sorted(map(str, outside))})


async def _check_motions(session: AsyncSession, project: ProjectRef, data: BallotCreate) -> None:
    selected = {i.item_code for i in await projects.items(session, project.id)}
    problems = [f"motions[{n}].item_code: not one of the project's items" for n, m in enumerate(data.motions)
                if m.item_code is not None and m.item_code not in selected]
    linked = await plans.plans(session, {m.plan_id for m in data.motions if m.plan_id is not None})
    for n, m in enumerate(data.motions):
        plan = linked.get(m.plan_id) if m.plan_id is not None else None
        if m.plan_id is not None and (plan is None or plan.project_id != project.id
                                      or plan.status == plans.PlanStatus.draft):
            problems.append(f"motions[{n}].plan_id: not a published version of the project's plan")
    if problems:
        raise BALLOT_INVALID(details={"problems": problems})


async def create(session: AsyncSession, p: Principal, project: ProjectRef, data: BallotCreate) -> Ballot:
    """A draft, with the notice it will owe (15 days under the Civil Code rules, unless more is asked); the
    time left before ``opens_at`` is checked when it is announced (``announce``), which may move it."""
    problems = []
    if (data.rule == rules.Rule.custom) != (data.custom_rule is not None):
        problems.append("custom_rule is given with rule custom, and only then")
    if data.closes_at <= clock.now():
        problems.append("closes_at must be in the future")
    notice_days = procedure.NOTICE_DAYS if data.notice_days is None else data.notice_days
    problems += procedure.schedule_problems(procedure.Schedule(
        data.rule, notice_days, data.objection_days, data.opens_at, data.closes_at), None)
    if problems:
        raise BALLOT_INVALID(details={"problems": problems})
    await _check_scope(session, project.estate_id, data)
    await _check_motions(session, project, data)
    ballot = Ballot(
        project_id=project.id, estate_id=project.estate_id, title=data.title, description=data.description,
        rule=data.rule, custom_rule=data.custom_rule.model_dump() if data.custom_rule else None,
        building_ids=[str(b) for b in dict.fromkeys(data.scope.building_ids)],
        entrance_ids=[str(e) for e in dict.fromkeys(data.scope.entrance_ids)],
        opens_at=data.opens_at, closes_at=data.closes_at, allow_change=data.allow_change,
        results_visibility=data.results_visibility, decides_project=data.decides_project, notice_days=notice_days,
        objection_days=data.objection_days, min_assurance=data.min_assurance or default_assurance(data.rule),
        created_by=p.id)
    session.add(ballot)
    await session.flush()
    session.add_all([Motion(ballot_id=ballot.id, position=n, title=m.title, item_code=m.item_code, plan_id=m.plan_id)
                     for n, m in enumerate(data.motions, start=1)])
    await session.flush()
    await audit.record(session, actor_id=p.id, action="ballot.create", entity_type="ballot", entity_id=ballot.id,
                       after=audit.snapshot(ballot), estate_id=ballot.estate_id)
    return ballot


def default_assurance(rule: rules.Rule) -> Assurance:
    """A phone match at least for an online vote under the Civil Code rules; any approved binding otherwise."""
    return Assurance.phone_match if rule in procedure.CIVIL_CODE_RULES else Assurance.invite_code


async def tie(session: AsyncSession, ballot: Ballot) -> tuple[bool, uuid.UUID | None, list[str]]:
    """Whether the ballot is tied to the project's stage and plan (it decides the project, or a motion
    names a plan version), the plan version currently published, and what stops it being announced or
    opened now (``procedure.tie_problems``)."""
    plan_ids = [m.plan_id for m in (await motions(session, [ballot.id]))[ballot.id]]
    tied = procedure.is_tied(ballot.decides_project, plan_ids)
    if not tied:
        return False, None, []
    project = await projects.project(session, ballot.project_id)
    current = await plans.current_version(session, ballot.project_id)
    current_id = current.id if current else None
    assert project is not None  # foreign key
    return True, current_id, procedure.tie_problems(True, project.status.value, current_id, plan_ids)


async def snapshot(session: AsyncSession, ballot: Ballot) -> tuple[list[rules.Voter[uuid.UUID]], dict[uuid.UUID, registry.OwnedUnit]]:
    """The electorate from the ledger's owners in the ballot's scope (accounts add no voter and no weight),
    with each of its units (building and area)."""
    owners = await registry.owners(session, ballot.estate_id,
                                   building_ids=[uuid.UUID(b) for b in ballot.building_ids] or None,
                                   entrance_ids=[uuid.UUID(e) for e in ballot.entrance_ids] or None)
    held: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    places: dict[uuid.UUID, registry.OwnedUnit] = {}
    for owner in owners:
        for unit in owner.units:
            held[unit.unit_id].add(owner.person_id)
            places[unit.unit_id] = unit
    voters = rules.electorate(rules.OwnedUnit(u, places[u].area_centi, frozenset(people)) for u, people in held.items())
    return voters, places


async def open_ballot(session: AsyncSession, actor_id: uuid.UUID | None, ballot: Ballot) -> Ballot:
    """Open the announced ballot at its time: the electorate is frozen now, and later ledger changes never
    move it. Refused while a correction of the electorate is unanswered, and - for a ballot tied to the
    project - unless the project is still in voting on the plan version it was announced on. Its owners
    with an account are told."""
    ballot = await locked(session, ballot)
    if ballot.status == BallotStatus.draft:
        raise BALLOT_NOT_ANNOUNCED()
    if ballot.status != BallotStatus.announced:
        raise BALLOT_NOT_DRAFT()
    now = clock.now()
    if now < ballot.opens_at:
        raise BALLOT_NOT_DUE(details={"opens_at": clock.shanghai_text(ballot.opens_at)})
    if ballot.closes_at <= now:
        raise BALLOT_CLOSED()
    tied, current, problems = await tie(session, ballot)
    if tied and current != ballot.plan_version_id:
        problems.append("the plan version was revised since the announcement")
    if problems:
        raise PROCEDURE_NOT_MET(details={"problems": problems})
    unanswered = await corrections_unanswered(session, ballot)
    if unanswered:
        raise CORRECTIONS_UNANSWERED(details={"count": len(unanswered), "correction_ids": sorted(map(str, unanswered))})
    before = audit.snapshot(ballot)
    voters, places = await snapshot(session, ballot)
    conn = await session.connection()
    rows, members, units = [], [], []
    for v in voters:
        voter_id = uuid.uuid4()
        rows.append({"id": voter_id, "ballot_id": ballot.id, "key": str(v.key), "area_centi": v.area_centi})
        members += [{"ballot_id": ballot.id, "person_id": person, "voter_id": voter_id} for person in v.owner_ids]
        units += [{"ballot_id": ballot.id, "unit_id": u, "voter_id": voter_id, "building_id": places[u].building_id,
                   "area_centi": places[u].area_centi} for u in v.unit_ids]
    for table, values in ((BallotVoter, rows), (BallotVoterPerson, members), (BallotVoterUnit, units)):
        if values:
            await conn.execute(insert(table), values)
    ballot.total_area_centi = sum(v.area_centi for v in voters)
    ballot.total_headcount = len(voters)
    ballot.status = BallotStatus.open
    ballot.opened_at = ballot.updated_at = clock.now()
    session.add(ballot)
    await session.flush()
    await audit.record(session, actor_id=actor_id, action="ballot.open", entity_type="ballot", entity_id=ballot.id,
                       before=before, after=audit.snapshot(ballot), estate_id=ballot.estate_id)
    await flows.opened(session, ballot)
    return ballot


async def close_ballot(session: AsyncSession, actor_id: uuid.UUID | None, ballot: Ballot) -> Ballot:
    """Close the ballot and count it: the preliminary result (初步结果), announced to the owners; the
    objection window opens (``objections.finalize_due`` makes it final)."""
    ballot = await locked(session, ballot)
    if ballot.status != BallotStatus.open:
        raise BALLOT_NOT_OPEN() if ballot.status in (BallotStatus.draft, BallotStatus.announced) else BALLOT_CLOSED()
    before = audit.snapshot(ballot)
    ballot.status = BallotStatus.closed
    ballot.closed_at = ballot.updated_at = clock.now()
    session.add(ballot)
    await session.flush()
    counted = await count(session, ballot)
    session.add(BallotResult(ballot_id=ballot.id, content=counted.model_dump(mode="json")))
    await audit.record(session, actor_id=actor_id, action="ballot.close", entity_type="ballot", entity_id=ballot.id,
                       before=before, after=audit.snapshot(ballot), estate_id=ballot.estate_id)
    await flows.preliminary(session, ballot, passed(counted))
    return ballot


def passed(result: BallotResultsPublic) -> bool:
    """What a deciding ballot decides: every motion passed."""
    return all(m.outcome == rules.Outcome.passed for m in result.motions)


async def motions(session: AsyncSession, ballot_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Motion]]:
    out: dict[uuid.UUID, list[Motion]] = defaultdict(list)
    for m in (await session.exec(select(Motion).where(col(Motion.ballot_id).in_(ballot_ids))
                                 .order_by(col(Motion.position)))).all():
        out[m.ballot_id].append(m)
    return out


# The motions of the ballots cast on lately, by ballot. A ballot's motions are written with it and never
# change (``create``), so what a process read once stays true: a cast needs no statement for them.
_MOTION_IDS: OrderedDict[uuid.UUID, frozenset[uuid.UUID]] = OrderedDict()


async def _motion_ids(session: AsyncSession, ballot_id: uuid.UUID) -> frozenset[uuid.UUID]:
    ids = _MOTION_IDS.get(ballot_id)
    if ids is None:
        ids = frozenset((await session.exec(select(Motion.id).where(Motion.ballot_id == ballot_id))).all())
        _MOTION_IDS[ballot_id] = ids
        if len(_MOTION_IDS) > 1024:
            _MOTION_IDS.popitem(last=False)
    _MOTION_IDS.move_to_end(ballot_id)
    return ids


async def public(session: AsyncSession, ballots: list[Ballot]) -> list[BallotPublic]:
    by_ballot = await motions(session, [b.id for b in ballots])
    actors = await accounts.actors(session, [b.created_by for b in ballots])
    return [BallotPublic(
        **b.model_dump(exclude={"building_ids", "entrance_ids", "created_by", "total_area_centi"}),
        building_ids=b.building_ids, entrance_ids=b.entrance_ids,
        objections_until=procedure.objection_window(b.closed_at, b.objection_days)[1] if b.closed_at else None,
        motions=[MotionPublic.model_validate(m, from_attributes=True) for m in by_ballot[b.id]],
        total_area=registry.format_area(b.total_area_centi), created_by=actors.get(b.created_by) if b.created_by else None)
        for b in ballots]


# ---- casting -------------------------------------------------------------------------------------


def receipt_for(ballot_id: uuid.UUID, cast_id: uuid.UUID) -> str:
    """A receipt code: a keyed hash of the cast's random id, so that it tells nothing of who voted and
    nobody without the server's key can make one."""
    digest = hmac.new(get_settings().audit_key.encode(), f"ballot-receipt:{ballot_id}:{cast_id}".encode(),
                      hashlib.sha256).hexdigest()[:16].upper()
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


class _Voter(NamedTuple):
    """What ``_record`` reads of the voter a cast is for."""

    id: uuid.UUID
    area_centi: int


def _voters_of_statement() -> Select:
    """``_voter_of``'s statement, built once: each voter with a bound person among its owners, with all its
    owners (a row each)."""
    theirs = (sa_select(col(BallotVoterPerson.voter_id))
              .where(col(BallotVoterPerson.ballot_id) == bindparam("ballot"),
                     col(BallotVoterPerson.person_id).in_(bindparam("persons", expanding=True))))
    return (sa_select(col(BallotVoter.id), col(BallotVoter.area_centi), col(BallotVoterPerson.person_id))
            .join(BallotVoterPerson, col(BallotVoterPerson.voter_id) == BallotVoter.id)
            .where(col(BallotVoter.id).in_(theirs)))


_VOTERS_OF = _voters_of_statement()


async def _voter_of(session: AsyncSession, p: Principal, ballot: Ballot,
                    voter_id: uuid.UUID | None) -> tuple[_Voter, set[uuid.UUID]]:
    """The voter the caller casts for online - one whose owner they are bound as - with all its owners
    (persons on record), in one statement."""
    persons = [person for person, relation in p.bound_persons.items()
               if relation in residency.OWNER_RELATIONS]
    if not persons:
        raise NOT_AN_OWNER()
    voters: dict[uuid.UUID, tuple[_Voter, set[uuid.UUID]]] = {}
    for voter, area_centi, owner in await db.rows(session, _VOTERS_OF, {"ballot": ballot.id, "persons": persons}):
        voters.setdefault(voter, (_Voter(voter, area_centi), set()))[1].add(owner)
    if not voters:
        raise NOT_IN_ELECTORATE()
    if voter_id is not None:
        if voter_id not in voters:
            raise NOT_IN_ELECTORATE()
        return voters[voter_id]
    if len(voters) > 1:
        raise CHOICES_INVALID(details={"voter_ids": sorted(str(v) for v in voters),
                                       "problem": "several votes are yours: name voter_id"})
    return next(iter(voters.values()))


def _check_assurance(p: Principal, ballot: Ballot, owners: set[uuid.UUID]) -> None:
    """An online vote needs the ballot's least assurance on a binding to one of the voter's owners (a paper
    vote through a grid worker is always open: the worker sees the owner)."""
    held = p.assurance_as(owners)
    if not sufficient(held, ballot.min_assurance):
        raise ASSURANCE_TOO_LOW(details={"required": ballot.min_assurance.value, "held": held.value if held else None,
                                         "raise_by": ["bind_phone", "in_person_check", "real_name", "paper_vote"]})


async def held_shared(session: AsyncSession, ballot: Ballot) -> Ballot:
    """The ballot re-read under a shared lock (FOR KEY SHARE) held to the end of the transaction. A change of
    its state - opening, closing, making it final - takes the row FOR UPDATE: it waits for the casts,
    corrections and objections under way and sees them, and one that comes after it sees the new state."""
    stmt = (select(Ballot).where(Ballot.id == ballot.id).with_for_update(read=True, key_share=True)
            .execution_options(populate_existing=True))
    return (await session.exec(stmt)).one()


def _check_open(ballot: Ballot) -> None:
    if ballot.status in (BallotStatus.draft, BallotStatus.announced):
        raise BALLOT_NOT_OPEN()
    if ballot.status != BallotStatus.open or ballot.closes_at <= clock.now():
        raise BALLOT_CLOSED()


# Built once: a statement made per call (``insert(...).values(...)``) costs its cache key each time.
_INSERT_CAST, _INSERT_CHOICES = insert(BallotCast), insert(BallotChoice)


async def _record(session: AsyncSession, p: Principal, ballot: Ballot, voter: _Voter, choices: list[ChoiceIn],
                  channel: CastChannel, evidence: Evidence | None = None,
                  evidence_file_ids: Sequence[uuid.UUID] = ()) -> VotePublic:
    """Store a cast of the voter's vote: a choice on every motion. The first cast counts, unless the ballot
    allows changes before close (then the latest counts and earlier ones stay as history). The partial
    unique index on current casts settles two casts at the same moment."""
    wanted = await _motion_ids(session, ballot.id)
    given = [c.motion_id for c in choices]
    if len(set(given)) != len(given) or set(given) != wanted:
        raise CHOICES_INVALID(details={"motion_ids": sorted(map(str, wanted))})
    # Without changes allowed, the partial unique index on current casts refuses a second cast: no read first.
    current = (await session.exec(select(BallotCast).where(
        BallotCast.ballot_id == ballot.id, BallotCast.voter_id == voter.id, col(BallotCast.is_current).is_(True))
        .with_for_update())).first() if ballot.allow_change else None
    conn = await session.connection()
    cast_id = uuid.uuid4()
    receipt = receipt_for(ballot.id, cast_id)
    now = clock.now()
    if current is not None:
        await conn.execute(delete(BallotChoice).where(col(BallotChoice.cast_id) == current.id))
        await conn.execute(update(BallotCast).where(col(BallotCast.id) == current.id).values(is_current=False))
    try:
        await conn.execute(_INSERT_CAST, {
            "id": cast_id, "ballot_id": ballot.id, "voter_id": voter.id, "cast_by": p.id, "channel": channel,
            "evidence": evidence, "receipt": receipt, "evidence_file_ids": [str(f) for f in evidence_file_ids],
            "is_current": True, "created_at": now})
    except IntegrityError:  # cast before, or by another device of the household (or a grid worker) just now
        # No savepoint is needed to carry on: the request ends here, and its transaction is rolled back.
        raise ALREADY_VOTED() from None
    await conn.execute(_INSERT_CHOICES, [
        {"id": uuid.uuid4(), "cast_id": cast_id, "ballot_id": ballot.id, "motion_id": c.motion_id,
         "choice": c.choice, "area_centi": voter.area_centi} for c in choices])
    if evidence_file_ids:
        await files.attach(session, p, list(evidence_file_ids), EVIDENCE_KIND, cast_id)
    await audit.record(session, actor_id=p.id, action="ballot.cast", entity_type="ballot", entity_id=ballot.id,
                       after={"cast_id": str(cast_id), "channel": channel.value,
                              "replaces": str(current.id) if current else None},
                       estate_id=ballot.estate_id)
    return VotePublic(ballot_id=ballot.id, voter_id=voter.id, receipt=receipt,
                      channel=channel, evidence=evidence, choices=choices, cast_at=now)


async def cast(session: AsyncSession, p: Principal, ballot: Ballot, data: VoteIn) -> VotePublic:
    """An owner casts their voter's vote through their binding to the person on record. ``ballot`` is held
    shared (``deps.BallotForCasting``, or ``held_shared``): a close counts the casts under way."""
    _check_open(ballot)
    voter, owners = await _voter_of(session, p, ballot, data.voter_id)
    _check_assurance(p, ballot, owners)
    return await _record(session, p, ballot, voter, data.choices, CastChannel.self)


async def proxy_cast(session: AsyncSession, p: Principal, ballot: Ballot, data: ProxyVoteIn) -> VotePublic:
    """A grid worker (or staff) enters a vote for its owners: a paper ballot or a written authorisation,
    with its photo. A grid worker may enter votes of units in their grid only. ``ballot`` is held shared
    (``deps.BallotForProxyCasting``)."""
    _check_open(ballot)
    voter = (await session.exec(select(BallotVoter).where(
        BallotVoter.id == data.voter_id, BallotVoter.ballot_id == ballot.id))).first()
    if voter is None:
        raise VOTER_NOT_FOUND()
    units = (await session.exec(select(BallotVoterUnit.unit_id).where(BallotVoterUnit.voter_id == voter.id))).all()
    if not await registry.units_in_scope(session, p, units, "contact"):
        raise VOTER_NOT_FOUND()
    return await _record(session, p, ballot, _Voter(voter.id, voter.area_centi), data.choices, CastChannel.proxy, data.evidence,
                         data.evidence_file_ids)


async def my_votes(session: AsyncSession, p: Principal, ballot: Ballot) -> list[VotePublic]:
    """The current casts of the voters the caller may cast for."""
    persons = list(p.bound_persons)
    if not persons:
        return []
    casts = (await session.exec(select(BallotCast).join(
        BallotVoterPerson, (col(BallotVoterPerson.voter_id) == BallotCast.voter_id)
        & (col(BallotVoterPerson.ballot_id) == BallotCast.ballot_id)).where(
        BallotCast.ballot_id == ballot.id, col(BallotCast.is_current).is_(True),
        col(BallotVoterPerson.person_id).in_(persons)))).unique().all()
    choices: dict[uuid.UUID, list[ChoiceIn]] = defaultdict(list)
    if casts:
        for x in (await session.exec(select(BallotChoice).where(col(BallotChoice.cast_id).in_([c.id for c in casts])))).all():
            choices[x.cast_id].append(ChoiceIn(motion_id=x.motion_id, choice=x.choice))
    return [VotePublic(ballot_id=ballot.id, voter_id=c.voter_id, receipt=c.receipt, channel=c.channel,
                       choices=choices[c.id], cast_at=c.created_at) for c in casts]


# ---- reading -------------------------------------------------------------------------------------


async def turnout(session: AsyncSession, ballot: Ballot) -> TurnoutPublic:
    headcount, area = (await session.exec(select(func.count(), func.coalesce(func.sum(BallotVoter.area_centi), 0))
                                          .select_from(BallotCast)
                                          .join(BallotVoter, col(BallotVoter.id) == BallotCast.voter_id)
                                          .where(BallotCast.ballot_id == ballot.id,
                                                 col(BallotCast.is_current).is_(True)))).one()
    return TurnoutPublic(
        ballot_id=ballot.id, status=ballot.status,
        total=Weight(area=registry.format_area(ballot.total_area_centi), headcount=ballot.total_headcount),
        participating=Weight(area=registry.format_area(int(area)), headcount=headcount),
        area_percent=percent(int(area), ballot.total_area_centi, 2),
        headcount_percent=percent(headcount, ballot.total_headcount, 2))


def _thresholds(ballot: Ballot) -> rules.Thresholds | None:
    return CustomRuleIn.model_validate(ballot.custom_rule).thresholds() if ballot.custom_rule else None


def _threshold_public(t: rules.Threshold | None) -> ThresholdPublic | None:
    return ThresholdPublic(fraction=str(t.fraction), strict=t.strict) if t else None


async def visible_results(session: AsyncSession, principal: Principal, ballot: Ballot) -> BallotResultsPublic:
    """The results as ``principal`` may see them: after close (or live, when the ballot says so); those
    who manage the ballot see them while it is open."""
    if (ballot.status not in COUNTED and ballot.results_visibility != ResultsVisibility.live
            and not await permits(session, Ballot, ballot.id, access.ballot_condition, principal, "manage")):
        raise RESULTS_NOT_PUBLIC()
    return await results(session, ballot)


COUNTED = (BallotStatus.closed, BallotStatus.final)


async def results(session: AsyncSession, ballot: Ballot) -> BallotResultsPublic:
    """The results: once closed, as they were counted at the close (nothing changes them; preliminary until
    the objection window has passed); while open, counted now."""
    if ballot.status in COUNTED:
        stored = await session.get(BallotResult, ballot.id)
        if stored is not None:
            return BallotResultsPublic.model_validate(stored.content | {
                "status": ballot.status.value, "final": ballot.status == BallotStatus.final})
    return await count(session, ballot)


async def count(session: AsyncSession, ballot: Ballot) -> BallotResultsPublic:
    """Per motion: the database sums the stored choices; the tally, every figure and the outcome under
    the ballot's rule come from ``rules`` (``count`` and ``decide``), the functions the properties test."""
    sums: dict[tuple[uuid.UUID, str], rules.Count] = {
        (motion_id, rules.Choice(choice)): rules.Count(int(area), n)
        for motion_id, choice, n, area in (await session.exec(
            select(BallotChoice.motion_id, BallotChoice.choice, func.count(), func.sum(BallotChoice.area_centi))
            .where(BallotChoice.ballot_id == ballot.id)
            .group_by(col(BallotChoice.motion_id), col(BallotChoice.choice)))).all()}
    total = rules.Count(ballot.total_area_centi, ballot.total_headcount)
    out = []
    for m in (await motions(session, [ballot.id]))[ballot.id]:
        counted = {c: sums[(m.id, c)] for c in rules.Choice if (m.id, c) in sums}
        d = rules.decide(ballot.rule, rules.count(total, counted), _thresholds(ballot))
        t = d.tally
        out.append(MotionResult(
            motion_id=m.id, title=m.title, total=_weight(t.total), participating=_weight(t.participating),
            approve=_weight(t.approve), oppose=_weight(t.oppose), abstain=_weight(t.abstain),
            ratios={name: RatioPublic(numerator=r.part, denominator=r.whole, percent=r.percent)
                    for name, r in d.ratios.items()},
            thresholds={name: _threshold_public(getattr(d.thresholds, name)) for name in (
                "participation_area", "participation_headcount", "approval_area", "approval_headcount")},
            quorum_met=d.quorum_met, outcome=d.outcome))
    return BallotResultsPublic(ballot_id=ballot.id, status=ballot.status, rule=ballot.rule,
                         final=ballot.status == BallotStatus.final, motions=out,
                         buildings=await _by_building(session, ballot, [m.motion_id for m in out]))


async def _by_building(session: AsyncSession, ballot: Ballot, motion_ids: list[uuid.UUID]) -> list[BallotBuildingResult]:
    """Each building's share, in three grouped sums over the voters' units: the electorate, the current
    casts, and their choices (a voter counts once per building, with its units' area there)."""
    unit = BallotVoterUnit
    weigh = (unit.building_id, func.count(func.distinct(unit.voter_id)), func.sum(unit.area_centi))
    totals = (await session.exec(select(*weigh).where(unit.ballot_id == ballot.id)
                                 .group_by(col(unit.building_id)))).all()
    current = (col(BallotCast.voter_id) == unit.voter_id) & (col(BallotCast.ballot_id) == ballot.id) & col(BallotCast.is_current).is_(True)
    voted = {b: rules.Count(int(area), n) for b, n, area in (await session.exec(
        select(*weigh).join(BallotCast, current).where(unit.ballot_id == ballot.id)
        .group_by(col(unit.building_id)))).all()}
    chosen = {(b, m, rules.Choice(c)): rules.Count(int(area), n) for b, m, c, n, area in (await session.exec(
        # sqlmodel types select() for at most four columns (it takes any number).
        select(unit.building_id, BallotChoice.motion_id, BallotChoice.choice,  # type: ignore[call-overload]
               func.count(func.distinct(unit.voter_id)), func.sum(unit.area_centi))
        .join(BallotCast, current)
        .join(BallotChoice, col(BallotChoice.cast_id) == BallotCast.id)
        .where(unit.ballot_id == ballot.id)
        .group_by(unit.building_id, BallotChoice.motion_id, BallotChoice.choice))).all()}
    names = await registry.building_names(session, [b for b, _, _ in totals])
    out = [BallotBuildingResult(
        building_id=b, building_name=names.get(b, ""), total=_weight(rules.Count(int(area), n)),
        participating=_weight(voted.get(b, rules.Count())),
        motions=[BuildingMotion(motion_id=m, **{c.value: _weight(chosen.get((b, m, c), rules.Count()))
                                                for c in rules.Choice}) for m in motion_ids])
        for b, n, area in totals]
    return sorted(out, key=lambda r: r.building_name)


async def all_passed(session: AsyncSession, ballot: Ballot) -> bool:
    """Whether every motion of the ballot passed (what a deciding ballot decides)."""
    return passed(await results(session, ballot))


async def corrections_unanswered(session: AsyncSession, ballot: Ballot) -> list[uuid.UUID]:
    return list((await session.exec(select(ElectorateCorrection.id).where(
        ElectorateCorrection.ballot_id == ballot.id, col(ElectorateCorrection.answered_at).is_(None)))).all())


async def electorate(session: AsyncSession, p: Principal, ballot: Ballot, params: PageParams
                     ) -> tuple[list[VoterPublic], str | None]:
    """One page of voters, in the order of their key, each with its owners' names in full (staff: the read
    is recorded), units and area."""
    page, cursor = await paginate(session, select(BallotVoter).where(BallotVoter.ballot_id == ballot.id),
                                  [col(BallotVoter.key), col(BallotVoter.id)], params)
    voters = [(v.id, v.area_centi) for v in page]
    persons: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    units: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for table, column, into in ((BallotVoterPerson, BallotVoterPerson.person_id, persons),
                                (BallotVoterUnit, BallotVoterUnit.unit_id, units)):
        for voter_id, member in (await session.exec(select(table.voter_id, column).where(
                table.ballot_id == ballot.id, col(table.voter_id).in_([v for v, _ in voters])))).all():
            into[voter_id].append(member)
    labels = await registry.unit_labels(session, [u for members in units.values() for u in members])
    shown = {person for members in persons.values() for person in members}
    names = await registry.person_names(session, shown)
    await disclosures.record(session, p.id, persons=shown)
    return [VoterPublic(id=v, owners=sorted(names.get(person, "") for person in persons[v]),
                        units=sorted(labels[u].label for u in units[v] if u in labels),
                        area=registry.format_area(area)) for v, area in voters], cursor


async def households(session: AsyncSession, p: Principal, ballot: Ballot) -> HouseholdsPublic:
    """Once open, each unit of the frozen electorate with whether its vote was cast - never how (PIPL art.
    25: the public board shows totals only). For the owners bound in the estate, and those who collect."""
    if ballot.opened_at is None:
        raise BALLOT_NOT_OPEN()
    if not await permits(session, Ballot, ballot.id, access.ballot_condition, p, "collect"):
        owned = [u for u, relation in p.unit_relations.items() if relation in residency.OWNER_RELATIONS]
        if not any(ref.estate_id == ballot.estate_id for ref in (await registry.unit_refs(session, owned)).values()):
            raise NOT_AN_OWNER()
    cast = select(BallotCast.voter_id).where(BallotCast.ballot_id == ballot.id, col(BallotCast.is_current).is_(True))
    frozen = {unit_id: (area, voted) for unit_id, area, voted in (await session.exec(select(
        BallotVoterUnit.unit_id, BallotVoterUnit.area_centi, col(BallotVoterUnit.voter_id).in_(cast)).where(
        BallotVoterUnit.ballot_id == ballot.id))).all()}
    units = await registry.units(session, ballot.estate_id,
                                 building_ids=[uuid.UUID(b) for b in ballot.building_ids] or None,
                                 entrance_ids=[uuid.UUID(e) for e in ballot.entrance_ids] or None)
    return HouseholdsPublic(ballot_id=ballot.id, items=[
        HouseholdVote(unit_id=u.id, label=u.label, area=registry.format_area(frozen[u.id][0]), voted=frozen[u.id][1])
        for u in units if u.id in frozen])


async def list_for_project(session: AsyncSession, condition, project_id: uuid.UUID) -> list[Ballot]:
    return list((await session.exec(select(Ballot).where(Ballot.project_id == project_id, condition)
                                    .order_by(col(Ballot.created_at)))).all())


async def receipts(session: AsyncSession, ballot: Ballot) -> list[str]:
    """The receipt codes of the casts that count, in code order (nothing else: not who, not how)."""
    return list((await session.exec(select(BallotCast.receipt).where(
        BallotCast.ballot_id == ballot.id, col(BallotCast.is_current).is_(True)).order_by(BallotCast.receipt))).all())


async def non_voters(session: AsyncSession, p: Principal, ballot: Ballot,
                     grid_id: uuid.UUID | None) -> list[tuple[registry.UnitRef, uuid.UUID]]:
    """The units in the electorate whose vote is not cast yet, with their voter, that the caller may visit
    (a grid worker: their grid), in building and room order: the door-knocking list."""
    cast = select(BallotCast.voter_id).where(BallotCast.ballot_id == ballot.id, col(BallotCast.is_current).is_(True))
    waiting = dict((await session.exec(select(BallotVoterUnit.unit_id, BallotVoterUnit.voter_id).where(
        BallotVoterUnit.ballot_id == ballot.id, col(BallotVoterUnit.voter_id).not_in(cast)))).all())
    units = await registry.units(session, ballot.estate_id, grid_id=grid_id, visible_to=(p, "contact"))
    return [(u, waiting[u.id]) for u in units if u.id in waiting]


async def can_read_evidence_files(session: AsyncSession, p: Principal, cast_id: uuid.UUID) -> bool:
    """A paper ballot shows how its owners voted: only those who manage the ballot see it (and its uploader)."""
    return (await session.exec(select(BallotCast.id).join(Ballot, col(Ballot.id) == BallotCast.ballot_id).where(
        BallotCast.id == cast_id, access.ballot_condition(p, "manage")))).first() is not None




def _open_statement() -> tuple[Select, tuple[Any, ...]]:
    """``open_query``'s statement and its order (closing first), built once: the caller's persons and the
    time are bound when it runs. A voter two of the caller's persons own is one row (grouped)."""
    cast = exists().where(col(BallotCast.ballot_id) == Ballot.id, col(BallotCast.voter_id) == BallotVoterPerson.voter_id,
                          col(BallotCast.is_current).is_(True))
    statement = (sa_select(col(Ballot.id), col(Ballot.project_id), col(Ballot.title), col(BallotVoterPerson.voter_id),
                           col(Ballot.closes_at))
                 .join(BallotVoterPerson, col(BallotVoterPerson.ballot_id) == Ballot.id)
                 .where(col(Ballot.status) == BallotStatus.open, col(Ballot.closes_at) > bindparam("now"),
                        col(BallotVoterPerson.person_id).in_(bindparam("persons", expanding=True)), ~cast)
                 .group_by(col(Ballot.id), col(BallotVoterPerson.voter_id)))
    return statement, (col(Ballot.closes_at), col(Ballot.id), col(BallotVoterPerson.voter_id))


_OPEN, _OPEN_ORDER = _open_statement()


def open_query(p: Principal) -> TaskQuery | None:
    """Open ballots in which a vote the caller may cast is not cast yet (``/me/tasks``), read with the other
    lists."""
    persons = sorted(person for person, relation in p.bound_persons.items()
                     if relation in residency.OWNER_RELATIONS)
    if not persons:
        return None
    return TaskQuery(_OPEN, _OPEN_ORDER, {"persons": persons, "now": clock.now()}, _open_tasks)


def _open_tasks(rows: Sequence[tuple[Any, ...]]) -> list[BallotTask]:
    return [BallotTask(ballot_id=ballot_id, project_id=project_id, title=title, voter_id=voter_id, closes_at=closes_at)
            for ballot_id, project_id, title, voter_id, closes_at in rows]
