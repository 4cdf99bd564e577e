"""Scheduled jobs: periodic work that domains register and the worker (``python -m app worker``) runs.

A domain declares its jobs (``Job`` values, the functions usually in its ``tasks.py``: closing ballots on
time, overdue reminders) in its manifest; the composition root installs them, so the API and the worker
see the same ones. A job runs in one worker at a time:
its row in ``scheduled_job`` is locked for ``lock`` while it runs, and its writes commit together with
its run record.
"""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.logging import get_logger
from app.core.models import ScheduledJob

log = get_logger(__name__)

# An async context manager yielding a session inside a transaction that commits on exit
# (``get_sessionmaker().begin`` in production, savepoints in tests).
SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]
JobFn = Callable[[AsyncSession], Awaitable[object]]  # what it returns (a count, say) is not used

# How long a worker holds a job by default: longer than any ordinary job runs.
DEFAULT_JOB_LOCK = timedelta(minutes=10)


@dataclass(frozen=True)
class Job:
    """The worker calls ``fn(session)`` every ``interval`` (one worker at a time; the session's transaction
    commits when ``fn`` returns and rolls back if it raises).

    ``lock`` is how long the worker holds the job: it must exceed the job's longest run. A run that
    outlives it may be taken over by another worker, and is then rolled back instead of committed."""

    name: str
    interval: timedelta
    fn: JobFn
    lock: timedelta = DEFAULT_JOB_LOCK

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 60:
            raise ValueError("job name must be 1-60 characters")
        if self.interval <= timedelta(0):
            raise ValueError("interval must be positive")
        if self.lock <= timedelta(0):
            raise ValueError("lock must be positive")


JOBS: dict[str, Job] = {}


def install(job: Job) -> None:
    """Have the worker run ``job`` (the composition root installs every manifest's jobs)."""
    if (existing := JOBS.get(job.name)) is not None and existing != job:
        raise ValueError(f"another job is already installed as {job.name!r}")
    JOBS[job.name] = job


async def _ensure_job_row(session: AsyncSession, job: Job) -> None:
    if await session.get(ScheduledJob, job.name) is not None:
        return
    try:
        async with session.begin_nested():
            session.add(ScheduledJob(name=job.name, next_run_at=clock.now()))
            await session.flush()
    except IntegrityError:
        pass


class JobLockLost(Exception):
    """The job ran past its lock and another worker took the job over: its work is rolled back."""


async def _lock_job(session: AsyncSession, job: Job) -> datetime | None:
    """Take the job if it is due and free; the lock's expiry, which also identifies the lock, or None."""
    now = clock.now()
    until = now + job.lock
    result = await session.exec(
        update(ScheduledJob)
        .where(
            col(ScheduledJob.name) == job.name,
            col(ScheduledJob.next_run_at) <= now,
            or_(col(ScheduledJob.locked_until).is_(None), col(ScheduledJob.locked_until) <= now),
        )
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )
    return until if result.rowcount == 1 else None


async def _finish_job(session: AsyncSession, job: Job, lock: datetime, started: datetime, error: str | None) -> bool:
    """Record the run and release the lock, if the lock is still ours (else another worker holds the job)."""
    result = await session.exec(
        update(ScheduledJob)
        .where(col(ScheduledJob.name) == job.name, col(ScheduledJob.locked_until) == lock)
        .values(locked_until=None, last_run_at=started, last_error=error, next_run_at=started + job.interval)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def run_job(session_factory: SessionFactory, job: Job) -> bool:
    """Run ``job`` if it is due and no other worker holds it; True if it ran.

    The job's writes commit in one transaction with its run record, and only while its lock is still its
    own: a run that outlived ``job.lock`` after another worker took the job over is rolled back (the
    job's ``lock`` must exceed its longest run; see ``Job``)."""
    async with session_factory() as session:
        await _ensure_job_row(session, job)
        lock = await _lock_job(session, job)
    if lock is None:
        return False
    started = clock.now()
    try:
        async with session_factory() as session:
            await job.fn(session)
            if not await _finish_job(session, job, lock, started, None):
                raise JobLockLost(f"lock lost: the run outlived its lock of {job.lock} and was taken over")
        if clock.now() > lock:
            log.warning("scheduled job ran longer than its lock", extra={"job": job.name})
        return True
    except Exception as exc:  # recorded on the job; the worker carries on
        log.exception("scheduled job failed", extra={"job": job.name})
        error = f"{type(exc).__name__}: {exc}"[:500]
    async with session_factory() as session:
        if not await _finish_job(session, job, lock, started, error):
            log.warning("scheduled job failed after losing its lock", extra={"job": job.name})
    return True


async def run_due_jobs(session_factory: SessionFactory) -> list[str]:
    return [job.name for job in list(JOBS.values()) if await run_job(session_factory, job)]
