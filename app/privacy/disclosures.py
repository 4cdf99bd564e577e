"""Who looked (DESIGN §12, PIPL art. 44): every answer that shows staff a resident's full phone or unmasked
name records the read - viewer, subject, route, day - one row per viewer, subject and day.

``record`` adds one ``INSERT ... ON CONFLICT DO NOTHING`` to the request's transaction, so the record
commits exactly when the answer does. What this process has already seen committed today is remembered
(bounded), so a page read again the same day costs no statement at all.
"""

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import event, false, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.observability import current_route
from app.core.pagination import PageParams, paginate
from app.privacy.models import DataAccess, SubjectKind

__all__ = ["SubjectKind", "about", "forget", "record"]

Key = tuple[uuid.UUID, SubjectKind, uuid.UUID, date]

MEMORY_MAX = 200_000
_seen: set[Key] = set()
_seen_day: list[date] = []


def _remember(keys: Iterable[Key], day: date) -> None:
    if _seen_day != [day] or len(_seen) > MEMORY_MAX:
        _seen.clear()
        _seen_day[:] = [day]
    _seen.update(keys)


def forget() -> None:
    """Forget what was recorded (tests, and a day's change handled in ``_remember``)."""
    _seen.clear()
    _seen_day.clear()


async def record(session: AsyncSession, viewer_id: uuid.UUID, *,
                 persons: Iterable[uuid.UUID] = (), users: Iterable[uuid.UUID] = ()) -> None:
    """Record that ``viewer_id`` was shown these persons' (ledger) and users' (accounts) full data by the
    route answering the current request. Nothing is recorded of a viewer's own account."""
    now = clock.now()
    day = clock.local_date(now)
    keys = {(viewer_id, SubjectKind.person, p, day) for p in persons}
    keys |= {(viewer_id, SubjectKind.user, u, day) for u in users if u != viewer_id}
    if _seen_day == [day]:
        keys -= _seen
    if not keys:
        return
    route = current_route()[:120]
    rows = [dict(id=uuid.uuid4(), viewer_id=v, subject_kind=k.value, subject_id=s, day=d, route=route,
                 first_at=now) for v, k, s, d in sorted(keys, key=lambda k: (k[1].value, str(k[2])))]
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    await connection.execute(insert(DataAccess).values(rows).on_conflict_do_nothing(
        index_elements=["viewer_id", "subject_kind", "subject_id", "day"]))
    event.listen(session.sync_session, "after_commit", lambda _s: _remember(keys, day), once=True)


async def about(session: AsyncSession, subjects: dict[SubjectKind, Iterable[uuid.UUID]], params: PageParams,
                ) -> tuple[list[DataAccess], str | None]:
    """The reads of these subjects, newest first, one page."""
    condition = or_(false(), *[(col(DataAccess.subject_kind) == kind) & col(DataAccess.subject_id).in_(list(ids))
                               for kind, ids in subjects.items()])
    return await paginate(session, select(DataAccess).where(condition),
                          [col(DataAccess.first_at), col(DataAccess.id)], params, descending=True)
