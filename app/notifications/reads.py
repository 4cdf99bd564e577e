"""The notifications' read API: whether a notice reached the people it was for.

A notice made with a ``ref`` (``Notice(ref="ballot:<id>:announced")``) can be shown to have reached a
user in two ways: WeChat accepted the subscribe message for them (the worker records "sent" only on
WeChat's success), or they read it in the in-app inbox. Queued or attempted proves nothing.
"""

import uuid
from datetime import datetime

from sqlalchemy import literal, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import db
from app.notifications.models import InboxMessage, NotificationOutbox

WECHAT, INBOX = "wechat", "inbox"


async def reached(session: AsyncSession, ref: str) -> list[tuple[uuid.UUID, str, datetime | None]]:
    """Each (user, channel, when) a notice made with ``ref`` reached: a WeChat delivery, an inbox reading."""
    wechat = select(col(NotificationOutbox.user_id), literal(WECHAT), col(NotificationOutbox.sent_at)).where(
        NotificationOutbox.ref == ref, NotificationOutbox.wechat_result == "sent")
    inbox = select(col(InboxMessage.user_id), literal(INBOX), col(InboxMessage.read_at)).join(
        NotificationOutbox, col(NotificationOutbox.id) == InboxMessage.outbox_id).where(
        NotificationOutbox.ref == ref, col(InboxMessage.read_at).is_not(None))
    return [(user_id, channel, at) for user_id, channel, at in await db.rows(session, union_all(wechat, inbox))]
