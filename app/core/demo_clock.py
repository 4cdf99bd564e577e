"""The demo clock's offset kept in the database (``APP_DEMO_CLOCK`` only): the API that moves it and the
worker that delivers notices and runs jobs by it live at the same moved time, and a restart keeps it.
``app.core.clock`` holds the offset each process applies; this module stores and loads it."""

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.models import ClockOffset


async def store(session: AsyncSession) -> None:
    """Keep this process's offset as the one every process follows."""
    seconds = int(clock.offset().total_seconds())
    row = await session.get(ClockOffset, 1)
    if row is None:
        try:
            async with session.begin_nested():
                session.add(ClockOffset(id=1, seconds=seconds))
                await session.flush()
            return
        except IntegrityError:  # another process stored one first
            row = await session.get(ClockOffset, 1)
            assert row is not None
    row.seconds = seconds
    session.add(row)
    await session.flush()


async def follow(session: AsyncSession) -> timedelta:
    """Apply the stored offset to this process's clock (it only moves forward); the offset now."""
    row = await session.get(ClockOffset, 1, populate_existing=True)
    ahead = timedelta(seconds=row.seconds if row else 0) - clock.offset()
    if ahead > timedelta(0):
        clock.advance(ahead)
    return clock.offset()
