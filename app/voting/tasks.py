"""The voting domain's periodic work: open announced ballots at their opening time (freezing the electorate then),
remind the owners who have not voted a day before the close (ballots open longer than a day), and close ballots at their closing time,
whatever the clocks of the clients."""

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.errors import AppError
from app.core.logging import get_logger
from app.voting import flows, service
from app.voting.models import Ballot, BallotStatus

REMIND_BEFORE = timedelta(hours=24)
log = get_logger(__name__)


async def open_due(session: AsyncSession) -> None:
    """Open the announced ballots whose time has come. One that cannot open yet (a correction still
    unanswered, the project no longer in voting) stays announced and is tried again at the next run; staff
    see why when they open it themselves."""
    now = clock.now()
    for ballot in (await session.exec(select(Ballot).where(
            Ballot.status == BallotStatus.announced, Ballot.opens_at <= now, Ballot.closes_at > now))).all():
        try:
            async with session.begin_nested():
                await service.open_ballot(session, None, ballot)
        except AppError as refused:
            log.info("ballot not opened", extra={"ballot_id": str(ballot.id), "code": refused.code})


async def remind_due(session: AsyncSession) -> None:
    now = clock.now()
    for ballot in (await session.exec(select(Ballot).where(
            Ballot.status == BallotStatus.open, col(Ballot.reminded_at).is_(None),
            Ballot.closes_at > now, Ballot.closes_at <= now + REMIND_BEFORE))).all():
        if ballot.opened_at is not None and ballot.closes_at - ballot.opened_at > REMIND_BEFORE:
            await flows.closing_soon(session, ballot)  # a ballot open for a day or less: its opening notice will do


async def close_due(session: AsyncSession) -> None:
    for ballot in (await session.exec(select(Ballot).where(
            Ballot.status == BallotStatus.open, Ballot.closes_at <= clock.now()))).all():
        await service.close_ballot(session, None, ballot)


