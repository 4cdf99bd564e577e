"""A user's notifications in their data (docs/personal-information.md), and what closing the account does to them: the inbox,
the subscriptions and what waits to be sent go; a notice that must later be shown to have reached the
owners (a ballot's announcement, docs/ballot-procedure.md: ``ref``) stays as that evidence. Sent messages are removed when
past their retention."""

from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import retention
from app.core.config import get_settings
from app.notifications.models import InboxMessage, NotificationOutbox, OutboxStatus, TemplateSubscription
from app.privacy.holders import Subject


async def export(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    inbox = (await session.exec(select(InboxMessage).where(InboxMessage.user_id == subject.user_id)
                                .order_by(col(InboxMessage.created_at), col(InboxMessage.id)))).all()
    sent = (await session.exec(select(NotificationOutbox).where(NotificationOutbox.user_id == subject.user_id)
                               .order_by(col(NotificationOutbox.created_at), col(NotificationOutbox.id)))).all()
    subscriptions = (await session.exec(select(TemplateSubscription)
                                        .where(TemplateSubscription.user_id == subject.user_id))).all()
    return {
        "inbox": [{"id": m.id, "title": m.title, "body": m.body, "created_at": m.created_at, "read_at": m.read_at}
                  for m in inbox],
        "wechat_messages": [{"id": o.id, "template": o.template, "title": o.title, "status": o.status,
                             "created_at": o.created_at, "sent_at": o.sent_at} for o in sent],
        "subscriptions": [{"template": s.template, "credits": s.credits} for s in subscriptions],
    }


async def close(session: AsyncSession, subject: Subject) -> None:
    mine = col(InboxMessage.user_id) == subject.user_id
    await session.exec(delete(InboxMessage).where(mine))
    await session.exec(delete(TemplateSubscription).where(col(TemplateSubscription.user_id) == subject.user_id))
    await session.exec(delete(NotificationOutbox).where(col(NotificationOutbox.user_id) == subject.user_id,
                                                        col(NotificationOutbox.ref).is_(None)))


async def remove_sent(session: AsyncSession) -> int:
    """WeChat messages sent (or given up on) longer ago than ``APP_RETENTION_OUTBOX_DAYS``: the inbox keeps
    its copy; a notice that must be shown to have reached the owners (``ref``, docs/ballot-procedure.md) stays."""
    cutoff = retention.cutoff(get_settings().retention_outbox_days)
    done = select(NotificationOutbox.id).where(
        col(NotificationOutbox.status).in_([OutboxStatus.sent, OutboxStatus.failed]),
        func.coalesce(col(NotificationOutbox.sent_at), col(NotificationOutbox.created_at)) < cutoff,
        col(NotificationOutbox.ref).is_(None))
    await session.exec(update(InboxMessage).where(col(InboxMessage.outbox_id).in_(done)).values(outbox_id=None))
    removed = await session.exec(delete(NotificationOutbox).where(col(NotificationOutbox.id).in_(done)))
    return retention.removed("sent_notifications", removed.rowcount or 0)
