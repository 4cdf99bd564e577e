"""Who looked (docs/personal-information.md, PIPL art. 44): every answer that shows staff a resident's full phone or unmasked
name records the read - viewer, subject, route, day - one row per viewer, subject and day.

``record`` adds one ``INSERT ... ON CONFLICT DO NOTHING`` - on PostgreSQL one statement over two arrays,
however many people the page shows - to the request's transaction, so that a write's record commits
exactly when the answer does. A read (a GET: ``core.db.reading``) has no transaction to add it to: there
the statement commits on its own (``statement_scope``) before the answer is sent, so a read is never shown
unrecorded (one whose answer then fails stays recorded). What this process has already seen committed
today is remembered (bounded), so a page read again the same day costs no statement at all.
"""

import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import Any

from sqlalchemy import Date, Uuid, bindparam, event, false, or_, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.core.db import UTCDateTime, autocommit, on_reading_connection
from app.core.observability import current_route
from app.core.pagination import PageParams, paginate
from app.privacy.models import DataAccess, SubjectKind

__all__ = ["SubjectKind", "about", "record"]

Key = tuple[uuid.UUID, SubjectKind, uuid.UUID, date]

# Where a read-only route's record is written: one statement committed on its own (the tests' harness
# puts it in the test's transaction).
statement_scope: Callable[[], AbstractAsyncContextManager[AsyncSession]] = autocommit

MEMORY_MAX = 200_000
_seen: set[Key] = set()
_seen_day: list[date] = []


_PG_INSERT = text(
    "INSERT INTO data_access (id, viewer_id, subject_kind, subject_id, day, route, first_at) "
    "SELECT gen_random_uuid(), :viewer, kind, subject, :day, :route, :at "
    "FROM unnest(CAST(:kinds AS varchar[]), CAST(:subjects AS uuid[])) AS shown(kind, subject) "
    "ON CONFLICT (viewer_id, subject_kind, subject_id, day) DO NOTHING"
).bindparams(bindparam("day", type_=Date), bindparam("at", type_=UTCDateTime))
_SQLITE_INSERT = text(
    "INSERT INTO data_access (id, viewer_id, subject_kind, subject_id, day, route, first_at) "
    "VALUES (:id, :viewer, :kind, :subject, :day, :route, :at) "
    "ON CONFLICT (viewer_id, subject_kind, subject_id, day) DO NOTHING"
).bindparams(bindparam("id", type_=Uuid), bindparam("viewer", type_=Uuid), bindparam("subject", type_=Uuid),
             bindparam("day", type_=Date), bindparam("at", type_=UTCDateTime))


def _remember(keys: Iterable[Key], day: date) -> None:
    if _seen_day != [day] or len(_seen) > MEMORY_MAX:
        _seen.clear()
        _seen_day[:] = [day]
    _seen.update(keys)


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
    ordered = sorted(keys, key=lambda k: (k[1].value, str(k[2])))  # one lock order for concurrent reads
    values = {"viewer": viewer_id, "day": day, "route": current_route()[:120], "at": now}
    connection = await session.connection()
    if not on_reading_connection(connection):
        await _insert(connection, ordered, values)
        event.listen(session.sync_session, "after_commit", lambda _s: _remember(keys, day), once=True)
        return
    async with statement_scope() as own:
        await _insert(await own.connection(), ordered, values)
    _remember(keys, day)


async def _insert(connection: AsyncConnection, ordered: list[Key], values: dict[str, Any]) -> None:
    if connection.dialect.name == "postgresql":
        # One statement whatever the number of rows: two arrays, nothing to compile per call.
        await connection.execute(_PG_INSERT, values | {"kinds": [k[1].value for k in ordered],
                                                       "subjects": [k[2] for k in ordered]})
    else:
        await connection.execute(_SQLITE_INSERT, [values | {"id": uuid.uuid4(), "kind": k[1].value, "subject": k[2]}
                                                  for k in ordered])


async def about(session: AsyncSession, subjects: dict[SubjectKind, Iterable[uuid.UUID]], params: PageParams,
                ) -> tuple[list[DataAccess], str | None]:
    """The reads of these subjects, newest first, one page."""
    condition = or_(false(), *[(col(DataAccess.subject_kind) == kind) & col(DataAccess.subject_id).in_(list(ids))
                               for kind, ids in subjects.items()])
    return await paginate(session, select(DataAccess).where(condition),
                          [col(DataAccess.first_at), col(DataAccess.id)], params, descending=True)
