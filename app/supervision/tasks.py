"""Supervision's periodic work: orders past their due time are flagged to the contractor and the
supervisors, once each time an order becomes late (a reopened order may become late again)."""


from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.supervision import flows
from app.supervision.models import Rectification, RectificationEvent
from app.supervision.rules import OrderStatus


async def remind_overdue(session: AsyncSession) -> None:
    now = clock.now()
    for order in (await session.exec(select(Rectification).where(
            col(Rectification.status).in_([OrderStatus.open, OrderStatus.reopened]), Rectification.due_at < now,
            col(Rectification.overdue_reminded_at).is_(None)))).all():
        await flows.overdue(session, order)
        order.overdue_reminded_at = now
        session.add(order)
        session.add(RectificationEvent(rectification_id=order.id, kind="overdue", from_status=order.status,
                                       to_status=order.status, note="已超过整改期限"))
    await session.flush()


