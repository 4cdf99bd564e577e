"""Counting events per key in a fixed window, to slow down guessing and flooding (invitation codes,
uploads).

``retry_after`` says whether a key (an account, a source address) has used up its allowance; ``hit``
counts one more event. The counts live in the database so that every API process sees the same ones;
they are written in the caller's transaction, which must therefore commit for a refusal to count (the
caller returns such an error instead of raising it).
"""

import math
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.db import own_transaction
from app.core.models import ThrottleCounter

# A transaction of its own, for counting in a read-only request; tests keep it inside theirs.
session_scope: Callable[[], AbstractAsyncContextManager[AsyncSession]] = own_transaction


async def allow(key: str, limit: int, window: timedelta) -> int | None:
    """Count one event for ``key`` in a transaction of its own (read-only requests write nothing in
    theirs); the seconds to wait instead when the allowance is used up."""
    async with session_scope() as session:
        wait = await retry_after(session, key, limit, window)
        if wait is None:
            await hit(session, key, window)
        return wait


async def retry_after(session: AsyncSession, key: str, limit: int, window: timedelta) -> int | None:
    """Seconds until ``key``, at ``limit`` events in its current window, may act again; None if it may now."""
    row = await session.get(ThrottleCounter, key, populate_existing=True)
    now = clock.now()
    if row is None or row.count < limit or row.window_started_at + window <= now:
        return None
    return max(1, math.ceil((row.window_started_at + window - now).total_seconds()))


async def hit(session: AsyncSession, key: str, window: timedelta) -> None:
    """One more event for ``key``; a window that has passed starts again with this one."""
    now = clock.now()
    fresh = await session.exec(
        update(ThrottleCounter)
        .where(col(ThrottleCounter.key) == key, col(ThrottleCounter.window_started_at) <= now - window)
        .values(window_started_at=now, count=1)
    )
    if fresh.rowcount:
        return
    counted = update(ThrottleCounter).where(col(ThrottleCounter.key) == key).values(count=ThrottleCounter.count + 1)
    if (await session.exec(counted)).rowcount:
        return
    try:
        async with session.begin_nested():
            session.add(ThrottleCounter(key=key, window_started_at=now, count=1))
            await session.flush()
    except IntegrityError:  # a concurrent event created it first
        await session.exec(counted)
