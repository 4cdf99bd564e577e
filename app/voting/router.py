"""Voting (API.md "Voting"): thin routes over ``service``."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Response, status

from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import responses
from app.core.pagination import Page, PageDep, bounded, door_order, page_list
from app.core.spreadsheets import attachment
from app.files.errors import FILE_NOT_USABLE
from app.projects import reads as projects
from app.voting import access, announcements, corrections, documents, objections, service
from app.voting.deps import BallotForCasting, BallotForCollect, BallotForManage, BallotForProxyCasting, BallotForRead
from app.voting.errors import (
    ALREADY_VOTED,
    ANNOUNCEMENT_INVALID,
    ASSURANCE_TOO_LOW,
    BALLOT_ALREADY_FINAL,
    BALLOT_CLOSED,
    BALLOT_INVALID,
    BALLOT_NOT_ANNOUNCED,
    BALLOT_NOT_CANCELLABLE,
    BALLOT_NOT_CLOSED,
    BALLOT_NOT_DRAFT,
    BALLOT_NOT_DUE,
    BALLOT_NOT_OPEN,
    CHOICES_INVALID,
    CORRECTION_ALREADY_ANSWERED,
    CORRECTIONS_CLOSED,
    CORRECTIONS_UNANSWERED,
    DELIVERY_PHOTO_REQUIRED,
    ELECTORATE_FROZEN,
    NOT_A_RESIDENT_IN_SCOPE,
    NOT_AN_OWNER,
    NOT_IN_ELECTORATE,
    NOT_YET_FINAL,
    OBJECTION_ALREADY_ANSWERED,
    OBJECTIONS_CLOSED,
    PROCEDURE_NOT_MET,
    RECEIPTS_NOT_PUBLIC,
    RECOUNT_NOT_CLOSED,
    RESULTS_NOT_PUBLIC,
    SCOPE_NOT_IN_ESTATE,
    UNIT_NOT_IN_BALLOT,
    VOTER_NOT_FOUND,
)
from app.voting.models import Ballot
from app.voting.schemas import (
    AnnounceIn,
    BallotCreate,
    BallotPublic,
    BallotResultsPublic,
    CancelIn,
    CorrectionAnswer,
    CorrectionIn,
    CorrectionPublic,
    CoveragePublic,
    DeliveryIn,
    DeliveryPublic,
    ElectoratePreview,
    HouseholdsPublic,
    NonVoter,
    ObjectionAnswer,
    ObjectionIn,
    ObjectionPublic,
    ProxyVoteIn,
    ReceiptsPublic,
    RecountPublic,
    TurnoutPublic,
    VoteIn,
    VotePublic,
    VoterPublic,
)

router = APIRouter(tags=["voting"], responses=responses(*AUTHENTICATED, 422))


async def _one(session, ballot: Ballot) -> BallotPublic:
    return (await service.public(session, [ballot]))[0]


@router.get("/projects/{project_id}/ballots", response_model=bounded(BallotPublic, "one project's ballots"), responses=responses(404))
async def list_ballots(project_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep):
    """The project's ballots; drafts only for those who manage it."""
    await projects.require_project(session, principal, project_id, "read")
    return await service.public(session, await service.list_for_project(
        session, access.ballot_condition(principal, "read"), project_id))


@router.post("/projects/{project_id}/ballots", response_model=BallotPublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, BALLOT_INVALID, SCOPE_NOT_IN_ESTATE))
async def create_ballot(project_id: uuid.UUID, body: BallotCreate, principal: CurrentPrincipal, session: SessionDep):
    """A draft ballot: scope (estate, buildings or entrances), motions, rule, times, whether a vote may be
    changed before close, and when results are shown."""
    project = await projects.require_project(session, principal, project_id, "manage")
    return await _one(session, await service.create(session, principal, project, body))


@router.get("/ballots/{ballot_id}", response_model=BallotPublic, responses=responses(404))
async def get_ballot(ballot: BallotForRead, session: SessionDep):
    return await _one(session, ballot)


@router.post("/ballots/{ballot_id}/announce", response_model=BallotPublic,
             responses=responses(403, 404, BALLOT_NOT_DRAFT, ANNOUNCEMENT_INVALID, PROCEDURE_NOT_MET))
async def announce_ballot(ballot: BallotForManage, principal: CurrentPrincipal, session: SessionDep,
                          body: Annotated[AnnounceIn | None, Body()] = None):
    """Announce the ballot (表决公告) to every owner in scope: at least ``notice_days`` (15 under the Civil
    Code rules) before it opens. A ballot that decides the project, or names a plan version, is announced
    only while the project is in voting, on the version then published. From now until the opening the
    electorate is open for checking and correction."""
    return await _one(session, await announcements.announce(session, principal, ballot, body or AnnounceIn()))


@router.post("/ballots/{ballot_id}/cancel", response_model=BallotPublic,
             responses=responses(403, 404, BALLOT_NOT_CANCELLABLE))
async def cancel_ballot(ballot: BallotForManage, body: CancelIn, principal: CurrentPrincipal, session: SessionDep):
    """Cancel a ballot whose result is not final, with the reason; the owners told of it are told. Its votes
    are kept, and count for nothing."""
    return await _one(session, await announcements.cancel(session, principal.id, ballot, body.reason))


@router.post("/ballots/{ballot_id}/open", response_model=BallotPublic,
             responses=responses(403, 404, BALLOT_NOT_ANNOUNCED, BALLOT_NOT_DRAFT, BALLOT_NOT_DUE, BALLOT_CLOSED,
                                 PROCEDURE_NOT_MET, CORRECTIONS_UNANSWERED))
async def open_ballot(ballot: BallotForManage, principal: CurrentPrincipal, session: SessionDep):
    """Open the announced ballot once its time has come (the worker does it on time): the electorate (the
    owners on record in scope, their units and areas) is frozen now; later changes of the ledger never move
    its totals. Refused while a correction of the electorate is unanswered."""
    return await _one(session, await service.open_ballot(session, principal.id, ballot))


@router.post("/ballots/{ballot_id}/close", response_model=BallotPublic,
             responses=responses(403, 404, BALLOT_NOT_OPEN, BALLOT_CLOSED))
async def close_ballot(ballot: BallotForManage, principal: CurrentPrincipal, session: SessionDep):
    """Close and count it (the worker does it on time): the preliminary result, announced to the owners, open
    to objections for ``objection_days``; then final."""
    return await _one(session, await service.close_ballot(session, principal.id, ballot))


@router.get("/ballots/{ballot_id}/electorate", response_model=Page[VoterPublic], responses=responses(400, 403, 404))
async def ballot_electorate(ballot: BallotForManage, principal: CurrentPrincipal, session: SessionDep, page: PageDep):
    """Staff: each voter with its owners, units and area (headcount 1 each), in pages. Recorded for each
    owner shown (who looked)."""
    items, cursor = await service.electorate(session, principal, ballot, page)
    return Page(items=items, next_cursor=cursor)


@router.post("/ballots/{ballot_id}/votes", response_model=VotePublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, BALLOT_NOT_OPEN, BALLOT_CLOSED, NOT_AN_OWNER, NOT_IN_ELECTORATE,
                                 ASSURANCE_TOO_LOW, ALREADY_VOTED, CHOICES_INVALID))
async def cast_vote(ballot: BallotForCasting, body: VoteIn, principal: CurrentPrincipal, session: SessionDep):
    """An owner casts their vote (one covering all their units in scope): a choice on every motion. The
    answer carries the receipt code. The binding must meet the ballot's ``min_assurance`` (403
    ``assurance_too_low`` says how to raise it; a paper vote through the grid worker is always open)."""
    return await service.cast(session, principal, ballot, body)


@router.post("/ballots/{ballot_id}/proxy-votes", response_model=VotePublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, BALLOT_NOT_OPEN, BALLOT_CLOSED, VOTER_NOT_FOUND, ALREADY_VOTED,
                                 CHOICES_INVALID, FILE_NOT_USABLE))
async def cast_proxy_vote(ballot: BallotForProxyCasting, body: ProxyVoteIn, principal: CurrentPrincipal, session: SessionDep):
    """A grid worker enters a vote for its owners - a signed paper ballot (书面表决) collected door to door,
    or a written authorisation such as an organisation's letter - with a photo of it. Units of the
    worker's grid only; the same one-vote rule as online. The photo is seen only by those who manage the
    ballot."""
    return await service.proxy_cast(session, principal, ballot, body)


@router.get("/ballots/{ballot_id}/my-vote", response_model=bounded(VotePublic, "the votes the caller may cast in one ballot"), responses=responses(404))
async def my_vote(ballot: BallotForRead, principal: CurrentPrincipal, session: SessionDep):
    """The vote that counts for each voter the caller may cast for."""
    return await service.my_votes(session, principal, ballot)


@router.get("/ballots/{ballot_id}/turnout", response_model=TurnoutPublic, responses=responses(404))
async def ballot_turnout(ballot: BallotForRead, session: SessionDep):
    """Participation so far, by area and headcount (never how anyone voted)."""
    return await service.turnout(session, ballot)


@router.get("/ballots/{ballot_id}/results", response_model=BallotResultsPublic, responses=responses(403, 404, RESULTS_NOT_PUBLIC))
async def ballot_results(ballot: BallotForRead, principal: CurrentPrincipal, session: SessionDep):
    """Per motion: totals, participation, approve / oppose / abstain by area and headcount, the ratios as
    exact fractions with percentages, the rule's thresholds and the outcome. Shown after close (or live,
    when the ballot says so); managers see them while open."""
    return await service.visible_results(session, principal, ballot)


@router.get("/ballots/{ballot_id}/results.pdf", response_class=Response, responses={
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
          "description": "The result notice"}, **responses(403, 404, RESULTS_NOT_PUBLIC)})
async def ballot_results_pdf(ballot: BallotForRead, principal: CurrentPrincipal, session: SessionDep):
    """The result notice (表决结果公告) to print and post: the rule and every figure of each motion, with its
    Chinese font embedded so that it shows on any phone."""
    data = await documents.notice(session, ballot, await service.visible_results(session, principal, ballot))
    return Response(data, media_type="application/pdf",
                    headers={**attachment("ballot-results.pdf", f"{ballot.title}表决结果公告.pdf"),
                             "Cache-Control": "private"})


@router.get("/ballots/{ballot_id}/receipts", response_model=ReceiptsPublic,
            responses=responses(403, 404, RECEIPTS_NOT_PUBLIC))
async def ballot_receipts(ballot: BallotForRead, session: SessionDep):
    """After close, the receipt codes of every vote that counted: each voter finds theirs."""
    if ballot.status not in service.COUNTED:
        raise RECEIPTS_NOT_PUBLIC()
    return ReceiptsPublic(ballot_id=ballot.id, receipts=await service.receipts(session, ballot))


@router.get("/ballots/{ballot_id}/non-voters", response_model=Page[NonVoter], responses=responses(400, 403, 404))
async def ballot_non_voters(ballot: BallotForCollect, principal: CurrentPrincipal, session: SessionDep, page: PageDep,
                            grid_id: uuid.UUID | None = None):
    """The units whose vote is not cast, in building and room order and in pages: the grid worker's
    door-knocking list (their own grid's units only)."""
    waiting = [NonVoter(unit_id=u.id, voter_id=voter_id, building_name=u.building_name,
                        entrance_name=u.entrance_name, room_number=u.room_number, label=u.label)
               for u, voter_id in await service.non_voters(session, principal, ballot, grid_id)]
    items, cursor = page_list(waiting, door_order, page)
    return Page(items=items, next_cursor=cursor)


# ---- the procedure (docs/ballot-procedure.md) ------------------------------------------------------------------


@router.get("/ballots/{ballot_id}/announcement.pdf", response_class=Response, responses={
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
          "description": "The announcement"}, **responses(404, BALLOT_NOT_ANNOUNCED)})
async def ballot_announcement_pdf(ballot: BallotForRead, session: SessionDep):
    """The announcement (表决公告) to print and post: motions, rule, dates, how to vote online and on paper,
    how to check the electorate and where to object."""
    if ballot.announced_at is None:
        raise BALLOT_NOT_ANNOUNCED()
    data = await documents.announcement(session, ballot)
    return Response(data, media_type="application/pdf",
                    headers={**attachment("ballot-announcement.pdf", f"{ballot.title}表决公告.pdf"),
                             "Cache-Control": "private"})


@router.get("/ballots/{ballot_id}/notice-coverage", response_model=CoveragePublic, responses=responses(403, 404))
async def ballot_notice_coverage(ballot: BallotForCollect, principal: CurrentPrincipal, session: SessionDep,
                                 grid_id: uuid.UUID | None = None):
    """How many households (units in scope) the announcement reached, and by which channel: WeChat delivered,
    read in the app, handed over or posted by a grid worker. With ``grid_id``, that grid's households not
    reached yet. A grid worker sees their own grids' households."""
    return await announcements.coverage(session, principal, ballot, grid_id)


@router.post("/ballots/{ballot_id}/notice-deliveries", response_model=DeliveryPublic,
             status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, BALLOT_NOT_ANNOUNCED, BALLOT_CLOSED, UNIT_NOT_IN_BALLOT,
                                 DELIVERY_PHOTO_REQUIRED, FILE_NOT_USABLE))
async def record_notice_delivery(ballot: BallotForCollect, body: DeliveryIn, principal: CurrentPrincipal,
                                 session: SessionDep):
    """A grid worker's record that the paper announcement reached a household of their grid: handed over,
    or posted at the door (with a photo)."""
    d = await announcements.record_delivery(session, principal, ballot, body)
    return DeliveryPublic(id=d.id, unit_id=d.unit_id, channel=d.channel, recorded_at=d.recorded_at)


@router.get("/ballots/{ballot_id}/electorate-preview", response_model=ElectoratePreview,
            responses=responses(403, 404, BALLOT_NOT_ANNOUNCED, ELECTORATE_FROZEN, NOT_A_RESIDENT_IN_SCOPE))
async def ballot_electorate_preview(ballot: BallotForRead, principal: CurrentPrincipal, session: SessionDep):
    """While announced: the electorate as it would be frozen now - each unit in scope with its area and its
    owners on record (names masked) - for the residents bound in scope and staff to check."""
    return await corrections.preview(session, principal, ballot)


@router.get("/ballots/{ballot_id}/corrections", response_model=Page[CorrectionPublic], responses=responses(400, 404))
async def list_ballot_corrections(ballot: BallotForRead, principal: CurrentPrincipal, session: SessionDep,
                                  page: PageDep):
    """Staff and grid workers: every correction of the electorate; a resident: the ones they filed."""
    return await corrections.listed(session, principal, ballot, page)


@router.post("/ballots/{ballot_id}/corrections", response_model=CorrectionPublic,
             status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, CORRECTIONS_CLOSED, NOT_A_RESIDENT_IN_SCOPE, UNIT_NOT_IN_BALLOT,
                                 FILE_NOT_USABLE))
async def file_ballot_correction(ballot: BallotForRead, body: CorrectionIn, principal: CurrentPrincipal,
                                 session: SessionDep):
    """While announced, a resident bound in scope (or a grid worker for them) asks to correct the electorate:
    an area wrong, an owner missing from the record, a unit sold - with evidence."""
    return (await corrections.public(session, [await corrections.file(session, principal, ballot, body)]))[0]


@router.post("/corrections/{correction_id}/answer", response_model=CorrectionPublic,
             responses=responses(403, 404, CORRECTIONS_CLOSED, CORRECTION_ALREADY_ANSWERED))
async def answer_ballot_correction(correction_id: uuid.UUID, body: CorrectionAnswer, principal: CurrentPrincipal,
                                   session: SessionDep):
    """Staff or the grid worker answer a correction, once: accepted with the unit's corrected record (the
    registry changes as by ``PATCH /units/{id}``), or not, saying why."""
    ballot = await corrections.of(session, principal, correction_id)
    answered = await corrections.answer(session, principal, correction_id, body, ballot)
    return (await corrections.public(session, [answered]))[0]


@router.get("/ballots/{ballot_id}/objections", response_model=Page[ObjectionPublic], responses=responses(400, 404))
async def list_ballot_objections(ballot: BallotForRead, principal: CurrentPrincipal, session: SessionDep,
                                 page: PageDep):
    """Staff who manage the ballot: every objection; an owner: the ones they filed."""
    return await objections.listed(session, principal, ballot, page)


@router.post("/ballots/{ballot_id}/objections", response_model=ObjectionPublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, OBJECTIONS_CLOSED, NOT_IN_ELECTORATE, FILE_NOT_USABLE))
async def file_ballot_objection(ballot: BallotForRead, body: ObjectionIn, principal: CurrentPrincipal,
                                session: SessionDep):
    """During the objection window after the close, an owner in the electorate objects to the preliminary
    result: a vote missing, counted wrong, or cast by someone without a vote."""
    return objections.public(await objections.file(session, principal, ballot, body))


@router.post("/objections/{objection_id}/answer", response_model=ObjectionPublic,
             responses=responses(403, 404, OBJECTION_ALREADY_ANSWERED))
async def answer_ballot_objection(objection_id: uuid.UUID, body: ObjectionAnswer, principal: CurrentPrincipal,
                                  session: SessionDep):
    """Staff who manage the ballot answer an objection, once. The result becomes final once the window has
    passed and every objection is answered."""
    return objections.public(await objections.answer(session, principal, objection_id, body.reply))


@router.post("/ballots/{ballot_id}/recount", response_model=RecountPublic, responses=responses(403, 404, RECOUNT_NOT_CLOSED))
async def recount_ballot(ballot: BallotForManage, principal: CurrentPrincipal, session: SessionDep):
    """Count again from the stored votes with the same rule and compare with the result counted at the close:
    every differing figure is reported, and the report kept."""
    return await objections.recount(session, principal, ballot)


@router.post("/ballots/{ballot_id}/finalize", response_model=BallotPublic,
             responses=responses(403, 404, BALLOT_NOT_CLOSED, BALLOT_ALREADY_FINAL, NOT_YET_FINAL))
async def finalize_ballot(ballot: BallotForManage, principal: CurrentPrincipal, session: SessionDep):
    """Make the preliminary result final once the objection window has passed and every objection is
    answered (the worker does it on time): the owners are told, and a deciding ballot moves its project."""
    await objections.finalize(session, ballot, principal.id, explain=True)
    return await _one(session, ballot)


@router.get("/ballots/{ballot_id}/households", response_model=HouseholdsPublic,
            responses=responses(403, 404, BALLOT_NOT_OPEN, NOT_AN_OWNER))
async def ballot_households(ballot: BallotForRead, principal: CurrentPrincipal, session: SessionDep):
    """Once open: each unit of the electorate, voted or not (never how). For the owners bound in the estate
    and staff; the public notice board shows totals only."""
    return await service.households(session, principal, ballot)
