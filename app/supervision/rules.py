"""Supervision's rules, pure: the rectification order's workflow, when an order is overdue, how far an
inspection was filed from its estate, what makes two filings of one inspection the same, and what the
``rectifications_closed`` guard tells when orders are still open."""

import hashlib
import json
import math
from datetime import datetime
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    progress = "progress"  # 进度
    quality = "quality"  # 质量
    safety = "safety"  # 安全
    civilised = "civilised"  # 文明施工
    other = "other"


CATEGORY_NAMES = {Category.progress: "施工进度", Category.quality: "工程质量", Category.safety: "安全生产",
                  Category.civilised: "文明施工", Category.other: "其他"}


class CheckResult(StrEnum):
    passed = "pass"
    failed = "fail"
    not_applicable = "na"


class OrderStatus(StrEnum):
    open = "open"  # issued, waiting for the contractor
    responded = "responded"  # the contractor says it is fixed, waiting for a supervisor
    reopened = "reopened"  # a supervisor found it not fixed: the contractor again
    closed = "closed"  # a supervisor verified it
    waived = "waived"  # street staff decided it need not be done, with a reason


STATUS_NAMES = {OrderStatus.open: "待整改", OrderStatus.responded: "待复核", OrderStatus.reopened: "复核未通过",
                OrderStatus.closed: "已整改", OrderStatus.waived: "已豁免"}


class FeedbackStatus(StrEnum):
    new = "new"  # waiting for community staff
    replied = "replied"  # answered
    rectifying = "rectifying"  # turned into a rectification order (its status is the outcome)


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class Step(StrEnum):
    respond = "respond"  # the contractor
    accept = "accept"  # a supervisor verifies: fixed
    reject = "reject"  # a supervisor verifies: not fixed
    waive = "waive"  # street staff


# Each step: the statuses it may start from, and where it leads.
STEPS: dict[Step, tuple[frozenset[OrderStatus], OrderStatus]] = {
    Step.respond: (frozenset({OrderStatus.open, OrderStatus.reopened}), OrderStatus.responded),
    Step.accept: (frozenset({OrderStatus.responded}), OrderStatus.closed),
    Step.reject: (frozenset({OrderStatus.responded}), OrderStatus.reopened),
    Step.waive: (frozenset({OrderStatus.open, OrderStatus.responded, OrderStatus.reopened}), OrderStatus.waived),
}
DONE = frozenset({OrderStatus.closed, OrderStatus.waived})


def after(status: OrderStatus, step: Step) -> OrderStatus | None:
    """The status a step leads to from ``status``, or None when the step is not possible there."""
    starts, target = STEPS[step]
    return target if status in starts else None


def is_open(status: OrderStatus) -> bool:
    return status not in DONE


def is_overdue(status: OrderStatus, due_at: datetime, now: datetime) -> bool:
    """Past its due time and not yet closed or waived (a response waiting for verification is the
    supervisor's turn, so it is not the contractor's delay)."""
    return status in (OrderStatus.open, OrderStatus.reopened) and now > due_at


def days_overdue(due_at: datetime, now: datetime) -> int:
    """Whole days begun since the due time (1 on the first day late)."""
    return max(0, math.ceil((now - due_at).total_seconds() / 86400))


# ---- where an inspection was filed ---------------------------------------------------------------

EARTH_RADIUS_M = 6_371_000
FAR_FROM_ESTATE_M = 1_000  # farther than this from the estate's position: accepted, but flagged


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def position_check(estate: tuple[float, float] | None, position: tuple[float, float] | None) -> tuple[int | None, bool]:
    """(distance in whole metres, flagged): flagged when both positions are known and far apart."""
    if estate is None or position is None:
        return None, False
    metres = distance_m(*estate, *position)
    return round(metres), metres > FAR_FROM_ESTATE_M


# ---- filing the same inspection twice ------------------------------------------------------------


def content_hash(content: dict[str, Any]) -> str:
    """The hash of an inspection's normalised content (what the phone sent, minus nothing the server
    adds): the same id with the same hash is a re-sent duplicate, with another hash a conflict."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                                     default=str).encode()).hexdigest()


def resend(existing_hash: str | None, new_hash: str) -> str:
    """``created`` (a new id), ``duplicate`` (the same content again) or ``conflict`` (the id is taken)."""
    if existing_hash is None:
        return "created"
    return "duplicate" if existing_hash == new_hash else "conflict"


# ---- the guard -------------------------------------------------------------------------------------


def open_orders(orders: list[tuple[OrderStatus, datetime]]) -> tuple[int, datetime | None]:
    """How many orders are open, and the nearest due time among them."""
    due = [d for s, d in orders if is_open(s)]
    return len(due), min(due, default=None)
