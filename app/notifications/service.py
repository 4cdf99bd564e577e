"""Notifications: the outbox other domains write to, the in-app inbox, template subscriptions, and the
registry of scheduled jobs the worker runs.

``enqueue`` writes in the caller's transaction, so a notification exists exactly when its event does;
``app.notifications.worker`` delivers it later.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.core import audit, clock
from app.core.errors import AppError, NotFound
from app.core.pagination import PageParams, paginate
from app.notifications import templates
from app.notifications.models import InboxMessage, NotificationOutbox, TemplateSubscription


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + templates.ELLIPSIS


async def enqueue(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    template: str,
    title: str,
    body: str,
    page: str | None = None,
    data: dict[str, Any],
) -> NotificationOutbox:
    """Queue a notification for ``user_id`` in the caller's transaction.

    ``template`` is a key of ``templates.TEMPLATES``; ``data`` maps its WeChat field keys (``thing1``...)
    to values (datetimes are shown in Asia/Shanghai). ``title``/``body`` are the in-app inbox text.
    An unknown template or field is a programming error (ValueError).
    """
    row = NotificationOutbox(
        user_id=user_id,
        template=template,
        title=_cut(title, 100),
        body=_cut(body, 500),
        page=page,
        data=templates.prepare(template, data),
        next_attempt_at=clock.now(),
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row


# ---- scheduled jobs -------------------------------------------------------------------------------


JobFn = Callable[[AsyncSession], Awaitable[None]]


# How long a worker holds a job by default: longer than any ordinary job runs.
DEFAULT_JOB_LOCK = timedelta(minutes=10)


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    fn: JobFn
    lock: timedelta = DEFAULT_JOB_LOCK


JOBS: dict[str, Job] = {}


def register_job(name: str, interval: timedelta, fn: JobFn, *, lock: timedelta = DEFAULT_JOB_LOCK) -> None:
    """Have the worker call ``fn(session)`` every ``interval`` (one worker at a time; the session's
    transaction commits when ``fn`` returns and rolls back if it raises).

    ``lock`` is how long the worker holds the job: it must exceed the job's longest run. A run that
    outlives it may be taken over by another worker, and is then rolled back instead of committed."""
    if not name or len(name) > 60:
        raise ValueError("job name must be 1-60 characters")
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
    if lock <= timedelta(0):
        raise ValueError("lock must be positive")
    JOBS[name] = Job(name, interval, fn, lock)


# ---- subscriptions --------------------------------------------------------------------------------


async def subscribe(session: AsyncSession, principal: Principal, keys: list[str]) -> list[TemplateSubscription]:
    """Record one-time subscriptions the user accepted in the mini-program: one credit per key."""
    unknown = sorted({k for k in keys if k not in templates.TEMPLATES})
    if unknown:
        raise AppError("template_unknown", 422, details={"templates": unknown})
    now = clock.now()
    result = []
    for key in dict.fromkeys(keys):
        changed = await session.exec(
            update(TemplateSubscription)
            .where(TemplateSubscription.user_id == principal.id, TemplateSubscription.template == key)
            .values(credits=TemplateSubscription.credits + 1, updated_at=now)
        )
        if changed.rowcount == 0:
            try:
                async with session.begin_nested():
                    session.add(TemplateSubscription(user_id=principal.id, template=key, credits=1, updated_at=now))
                    await session.flush()
            except IntegrityError:  # a concurrent request created it first
                await session.exec(
                    update(TemplateSubscription)
                    .where(TemplateSubscription.user_id == principal.id, TemplateSubscription.template == key)
                    .values(credits=TemplateSubscription.credits + 1, updated_at=now)
                )
        sub = (
            await session.exec(
                select(TemplateSubscription)
                .where(TemplateSubscription.user_id == principal.id, TemplateSubscription.template == key)
                .execution_options(populate_existing=True)
            )
        ).one()
        result.append(sub)
    await audit.record(
        session,
        actor_id=principal.id,
        action="notification.subscribe",
        entity_type="user",
        entity_id=principal.id,
        after={"templates": list(dict.fromkeys(keys)), "credits": {s.template: s.credits for s in result}},
    )
    return result


# ---- inbox ----------------------------------------------------------------------------------------


async def inbox(session: AsyncSession, principal: Principal, params: PageParams) -> tuple[list[InboxMessage], str | None, int]:
    """The caller's inbox, newest first, and how many messages are unread."""
    stmt = select(InboxMessage).where(InboxMessage.user_id == principal.id)
    items, cursor = await paginate(session, stmt, [InboxMessage.created_at, InboxMessage.id], params, descending=True)
    unread = (
        await session.exec(
            select(func.count()).select_from(InboxMessage).where(
                InboxMessage.user_id == principal.id, InboxMessage.read_at.is_(None)
            )
        )
    ).one()
    return items, cursor, unread


async def mark_read(session: AsyncSession, principal: Principal, message_id: uuid.UUID) -> InboxMessage:
    message = await session.get(InboxMessage, message_id)
    if message is None or message.user_id != principal.id:
        raise NotFound()
    if message.read_at is None:
        message.read_at = clock.now()
        session.add(message)
        await session.flush()
    return message
