"""Notifications: the outbox other domains write to (through ``app.notifications.events``), the in-app
inbox and template subscriptions.

``enqueue`` writes in the caller's transaction, so a notification exists exactly when its event does;
``app.notifications.worker`` delivers it later.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.core import audit, clock
from app.core.errors import NotFound
from app.core.pagination import PageParams, paginate
from app.notifications import templates
from app.notifications.models import InboxMessage, NotificationOutbox, TemplateSubscription


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + templates.ELLIPSIS


def outbox_row(
    *, user_id: uuid.UUID, template: str, title: str, body: str, page: str | None = None, data: dict[str, Any],
    ref: str | None = None,
) -> NotificationOutbox:
    """An outbox row for ``user_id``, to be added to the caller's session.

    ``template`` is a key of ``templates.TEMPLATES``; ``data`` maps its WeChat field keys (``thing1``...)
    to values (datetimes are shown in Asia/Shanghai). ``title``/``body`` are the in-app inbox text.
    An unknown template or field is a programming error (ValueError). ``ref`` names what the notice is
    about, for those who must later show that it reached people (``notifications.reads.reached``).
    """
    return NotificationOutbox(
        user_id=user_id,
        ref=ref,
        template=template,
        title=_cut(title, 100),
        body=_cut(body, 500),
        page=page,
        data=templates.prepare(template, data),
        next_attempt_at=clock.now(),
        created_at=clock.now(),
    )


async def enqueue(session: AsyncSession, **fields: Any) -> NotificationOutbox:
    """Queue one notification in the caller's transaction (the fields of ``outbox_row``)."""
    row = outbox_row(**fields)
    session.add(row)
    await session.flush()
    return row


# ---- subscriptions --------------------------------------------------------------------------------


async def subscribe(session: AsyncSession, principal: Principal, keys: Sequence[str]) -> list[TemplateSubscription]:
    """Record one-time subscriptions the user accepted in the mini-program: one credit per key."""
    now = clock.now()
    result = []
    for key in dict.fromkeys(keys):
        changed = await session.exec(
            update(TemplateSubscription)
            .where(col(TemplateSubscription.user_id) == principal.id, col(TemplateSubscription.template) == key)
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
                    .where(col(TemplateSubscription.user_id) == principal.id, col(TemplateSubscription.template) == key)
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
    items, cursor = await paginate(session, stmt, [col(InboxMessage.created_at), col(InboxMessage.id)], params, descending=True)
    unread = (
        await session.exec(
            select(func.count()).select_from(InboxMessage).where(
                InboxMessage.user_id == principal.id, col(InboxMessage.read_at).is_(None)
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
