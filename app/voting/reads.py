"""The voting domain's read API, for the public notice board (docs/public-board.md): the ballots of a project
once announced, their figures once counted, and whether a receipt code was counted - never who voted how,
nor which household voted (PIPL art. 25: the board shows totals only)."""

import uuid

from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.voting import documents, service
from app.voting.models import Ballot, BallotCast, BallotStatus
from app.voting.schemas import BallotPublic, BallotResultsPublic

__all__ = ["RULE_TEXT", "STATUS_NAMES", "BallotPublic", "BallotResultsPublic", "announced", "announcement_pdf", "ballot", "receipt_ballot", "results",
           "results_pdf"]

RULE_TEXT = documents.RULE_TEXT
STATUS_NAMES = {BallotStatus.announced: "已公告，待表决", BallotStatus.open: "表决中", BallotStatus.closed: "初步结果公示中",
                BallotStatus.final: "结果已生效", BallotStatus.cancelled: "已取消"}
# Announced, and not taken back while still a draft: a draft cancelled was never anybody's business.
ON_BOARD = or_(col(Ballot.status).in_((BallotStatus.announced, BallotStatus.open, BallotStatus.closed, BallotStatus.final)),
               and_(col(Ballot.status) == BallotStatus.cancelled, col(Ballot.announced_at).is_not(None)))


def _anonymous(b: BallotPublic) -> BallotPublic:
    return b.model_copy(update={"created_by": None})


async def announced(session: AsyncSession, project_id: uuid.UUID) -> list[BallotPublic]:
    """The project's ballots once announced (a draft is nobody's business yet), newest first."""
    rows = (await session.exec(select(Ballot).where(Ballot.project_id == project_id, ON_BOARD)
                               .order_by(col(Ballot.created_at).desc()))).all()
    return [_anonymous(b) for b in await service.public(session, list(rows))]


async def ballot(session: AsyncSession, ballot_id: uuid.UUID) -> tuple[Ballot, BallotPublic] | None:
    """An announced ballot (the table row, for the documents, and as the board shows it), else None."""
    row = (await session.exec(select(Ballot).where(Ballot.id == ballot_id, ON_BOARD))).first()
    if row is None:
        return None
    return row, _anonymous((await service.public(session, [row]))[0])


async def results(session: AsyncSession, row: Ballot) -> BallotResultsPublic | None:
    """Once counted: every figure behind each motion's outcome, preliminary or final - the totals only,
    never per building (a building of two voters would show how each voted)."""
    if row.status not in service.COUNTED:
        return None
    return (await service.results(session, row)).model_copy(update={"buildings": []})


async def results_pdf(session: AsyncSession, row: Ballot, counted: BallotResultsPublic) -> bytes:
    return await documents.notice(session, row, counted)


async def announcement_pdf(session: AsyncSession, row: Ballot) -> bytes:
    return await documents.announcement(session, row)


async def receipt_ballot(session: AsyncSession, code: str) -> Ballot | None:
    """The counted ballot a receipt code belongs to: the vote that counts, in a ballot closed and counted
    (receipts are published at the close). Never the choice."""
    row = (await session.exec(select(Ballot).join(BallotCast, col(BallotCast.ballot_id) == Ballot.id).where(
        BallotCast.receipt == code.strip().upper(), col(BallotCast.is_current).is_(True),
        col(Ballot.status).in_(service.COUNTED)))).first()
    return row
