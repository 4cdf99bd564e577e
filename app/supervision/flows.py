"""Who is told what in supervision, in one place (through the outbox, in the change's transaction):

- an order issued: the contractor's staff (``rectification_assigned``);
- a response: the project's supervisors, whose turn it is to verify;
- a verification or a waiver: the contractor's staff, and the resident whose complaint it came from;
- a complaint answered or turned into an order: its author;
- an order past its due time (the worker, once per lateness): the contractor's staff and the supervisors.
"""

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import appointments
from app.auth.roles import Role
from app.core import clock
from app.notifications.events import Notice, notify
from app.supervision import rules
from app.supervision.models import Feedback, Rectification
from app.supervision.rules import Step


def _page(order: Rectification) -> str:
    return f"pages/rectification/index?id={order.id}"


async def _contractor(session: AsyncSession, order: Rectification) -> list[uuid.UUID]:
    return (await appointments.holders(session, Role.contractor, [order.organization_id]))[order.organization_id]


async def _supervisors(session: AsyncSession, order: Rectification) -> list[uuid.UUID]:
    return (await appointments.holders(session, Role.supervisor, [order.project_id]))[order.project_id]


def _update(order: Rectification, note: str) -> Notice:
    status = rules.STATUS_NAMES[order.status]
    return Notice(template="rectification_update", title=f"整改单{order.number}号：{status}",
                  body=f"整改单{order.number}号「{order.title}」{status}。{note}".strip(),
                  data={"thing1": order.title, "phrase2": status, "thing3": note or status, "time4": clock.now()},
                  page=_page(order))


async def issued(session: AsyncSession, order: Rectification, project_name: str) -> None:
    await notify(session, Notice(
        template="rectification_assigned", title=f"整改通知：{order.title}",
        body=f"「{project_name}」整改单{order.number}号「{order.title}」，请于{clock.shanghai_text(order.due_at)}前整改并回复。",
        data={"thing1": order.title, "thing2": project_name, "time3": order.due_at, "phrase4": "待整改"},
        page=_page(order)), await _contractor(session, order))


async def stepped(session: AsyncSession, order: Rectification, what: Step, note: str) -> None:
    if what == Step.respond:
        await notify(session, _update(order, note), await _supervisors(session, order))
        return
    await notify(session, _update(order, note), await _contractor(session, order))
    if order.feedback_id is not None and not rules.is_open(order.status):
        feedback = await session.get(Feedback, order.feedback_id)
        if feedback is not None:
            await notify(session, _update(order, "您反映的问题已处理完毕。"), _author(feedback))


async def triaged(session: AsyncSession, feedback: Feedback, order: Rectification | None) -> None:
    outcome = f"已转为整改单{order.number}号，限期整改" if order else "已答复"
    await notify(session, Notice(
        template="feedback_replied", title=f"您反映的问题{outcome}",
        body=f"您反映的问题{outcome}。{feedback.reply or ''}".strip(),
        data={"thing1": feedback.content, "phrase2": "已转整改" if order else "已答复",
              "thing3": feedback.reply or outcome, "time4": feedback.triaged_at},
        page=f"pages/feedback/index?id={feedback.id}"), _author(feedback))


def _author(feedback: Feedback) -> list[uuid.UUID]:
    """Who to tell about their complaint: nobody once they closed their account."""
    return [feedback.author_id] if feedback.author_id else []


async def overdue(session: AsyncSession, order: Rectification) -> int:
    days = rules.days_overdue(order.due_at, clock.now())
    return await notify(session, Notice(
        template="rectification_overdue", title=f"整改逾期：{order.title}",
        body=f"整改单{order.number}号「{order.title}」已超过整改期限{days}天，请尽快整改。",
        data={"thing1": order.title, "time2": order.due_at, "number3": days, "thing4": "请尽快整改并回复"},
        page=_page(order)), [*await _contractor(session, order), *await _supervisors(session, order)])
