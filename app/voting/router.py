"""Voting (API.md "Voting"): thin routes over ``service``."""

import uuid

from fastapi import APIRouter, Response, status

from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import responses
from app.core.spreadsheets import attachment
from app.files.errors import FILE_NOT_USABLE
from app.projects import reads as projects
from app.voting import access, documents, service
from app.voting.deps import BallotForCollect, BallotForManage, BallotForRead
from app.voting.errors import (
    ALREADY_VOTED,
    BALLOT_CLOSED,
    BALLOT_INVALID,
    BALLOT_NOT_DRAFT,
    BALLOT_NOT_OPEN,
    CHOICES_INVALID,
    NOT_AN_OWNER,
    NOT_IN_ELECTORATE,
    RECEIPTS_NOT_PUBLIC,
    RESULTS_NOT_PUBLIC,
    SCOPE_NOT_IN_ESTATE,
    VOTER_NOT_FOUND,
)
from app.voting.models import Ballot, BallotStatus
from app.voting.schemas import (
    BallotCreate,
    BallotPublic,
    NonVoter,
    ProxyVoteIn,
    ReceiptsPublic,
    ResultsPublic,
    TurnoutPublic,
    VoteIn,
    VotePublic,
    VoterPublic,
)

router = APIRouter(tags=["voting"], responses=responses(*AUTHENTICATED, 422))


async def _one(session, ballot: Ballot) -> BallotPublic:
    return (await service.public(session, [ballot]))[0]


@router.get("/projects/{project_id}/ballots", response_model=list[BallotPublic], responses=responses(404))
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


@router.post("/ballots/{ballot_id}/open", response_model=BallotPublic,
             responses=responses(403, 404, BALLOT_NOT_DRAFT, BALLOT_CLOSED))
async def open_ballot(ballot: BallotForManage, principal: CurrentPrincipal, session: SessionDep):
    """Open the ballot: the electorate (the owners on record in scope, their units and areas) is frozen
    now; later changes of the ledger never move its totals."""
    return await _one(session, await service.open_ballot(session, principal.id, ballot))


@router.post("/ballots/{ballot_id}/close", response_model=BallotPublic,
             responses=responses(403, 404, BALLOT_NOT_OPEN, BALLOT_CLOSED))
async def close_ballot(ballot: BallotForManage, principal: CurrentPrincipal, session: SessionDep):
    return await _one(session, await service.close_ballot(session, principal.id, ballot))


@router.get("/ballots/{ballot_id}/electorate", response_model=list[VoterPublic], responses=responses(403, 404))
async def ballot_electorate(ballot: BallotForManage, session: SessionDep):
    """Staff: each voter with its owners, units and area (headcount 1 each)."""
    return await service.electorate(session, ballot)


@router.post("/ballots/{ballot_id}/votes", response_model=VotePublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, BALLOT_NOT_OPEN, BALLOT_CLOSED, NOT_AN_OWNER, NOT_IN_ELECTORATE,
                                 ALREADY_VOTED, CHOICES_INVALID))
async def cast_vote(ballot: BallotForRead, body: VoteIn, principal: CurrentPrincipal, session: SessionDep):
    """An owner casts their vote (one covering all their units in scope): a choice on every motion. The
    answer carries the receipt code."""
    return await service.cast(session, principal, ballot, body)


@router.post("/ballots/{ballot_id}/proxy-votes", response_model=VotePublic, status_code=status.HTTP_201_CREATED,
             responses=responses(403, 404, BALLOT_NOT_OPEN, BALLOT_CLOSED, VOTER_NOT_FOUND, ALREADY_VOTED,
                                 CHOICES_INVALID, FILE_NOT_USABLE))
async def cast_proxy_vote(ballot: BallotForCollect, body: ProxyVoteIn, principal: CurrentPrincipal, session: SessionDep):
    """A grid worker enters a vote for its owners - a signed paper ballot (书面表决) collected door to door,
    or a written authorisation such as an organisation's letter - with a photo of it. Units of the
    worker's grid only; the same one-vote rule as online. The photo is seen only by those who manage the
    ballot."""
    return await service.proxy_cast(session, principal, ballot, body)


@router.get("/ballots/{ballot_id}/my-vote", response_model=list[VotePublic], responses=responses(404))
async def my_vote(ballot: BallotForRead, principal: CurrentPrincipal, session: SessionDep):
    """The vote that counts for each voter the caller may cast for."""
    return await service.my_votes(session, principal, ballot)


@router.get("/ballots/{ballot_id}/turnout", response_model=TurnoutPublic, responses=responses(404))
async def ballot_turnout(ballot: BallotForRead, session: SessionDep):
    """Participation so far, by area and headcount (never how anyone voted)."""
    return await service.turnout(session, ballot)


@router.get("/ballots/{ballot_id}/results", response_model=ResultsPublic, responses=responses(403, 404, RESULTS_NOT_PUBLIC))
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
    if ballot.status != BallotStatus.closed:
        raise RECEIPTS_NOT_PUBLIC()
    return ReceiptsPublic(ballot_id=ballot.id, receipts=await service.receipts(session, ballot))


@router.get("/ballots/{ballot_id}/non-voters", response_model=list[NonVoter], responses=responses(403, 404))
async def ballot_non_voters(ballot: BallotForCollect, principal: CurrentPrincipal, session: SessionDep,
                            grid_id: uuid.UUID | None = None):
    """The units whose vote is not cast, in building and room order: the grid worker's door-knocking list
    (their own grid's units only)."""
    return [NonVoter(unit_id=u.id, voter_id=voter_id, building_name=u.building_name, entrance_name=u.entrance_name,
                     room_number=u.room_number, label=u.label)
            for u, voter_id in await service.non_voters(session, principal, ballot, grid_id)]
