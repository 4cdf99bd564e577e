"""Two workers claiming at once never take the same row (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's
single writer lock serialises the claims)."""

import asyncio

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import User
from app.notifications import worker
from app.notifications.models import NotificationOutbox


async def test_concurrent_claims_are_disjoint(engine, settings):
    maker = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    async with maker.begin() as s:
        user = User(display_name="claim-test")
        s.add(user)
        await s.flush()
        rows = [NotificationOutbox(user_id=user.id, template="ballot_open", title="t", body="b") for _ in range(10)]
        s.add_all(rows)
    try:
        first_claimed = asyncio.Event()

        async def claimer(wait: bool) -> list:
            async with maker.begin() as s:
                if wait:
                    await first_claimed.wait()
                ids = [c.id for c in await worker.claim(s, 6)]
                if not wait:
                    first_claimed.set()
                    await asyncio.sleep(0.2)  # hold the row locks while the other worker claims
                return ids

        a, b = await asyncio.gather(claimer(False), claimer(True))
        assert len(a) == 6 and len(b) == 4 and not set(a) & set(b)
        assert set(a) | set(b) == {r.id for r in rows}
    finally:
        async with maker.begin() as s:
            await s.exec(delete(NotificationOutbox).where(NotificationOutbox.user_id == user.id))
            await s.exec(delete(User).where(User.id == user.id))
