"""The notification worker (``python -m app worker``): delivers the outbox and runs scheduled jobs.

A row moves pending -> sending (claimed, in a short committed transaction) -> sent | pending (retry) |
failed. Delivery happens outside the claim transaction; the outcome is written in a new one. A worker that
dies after claiming leaves the row in "sending"; once ``notify_claim_timeout_seconds`` have passed any
worker claims it again, so every notification is delivered at least once. Such a reclaim counts as a failed
attempt ("worker_lost"), so a row that kills or stalls its worker every time ends failed, not retried
forever. The in-app inbox message is created on the first processing (unique ``outbox_id``), whatever
WeChat answers.

A claim is identified by its ``claimed_at``: a worker acts on a row only while the claim is still its own
(checked when it loads the row, renewed right before the WeChat call, checked again when recording the
outcome), so a worker that overran the timeout never sends a row another worker has taken over. Rows wait
in the batch before their turn, so ``notify_claim_timeout_seconds`` must exceed the worst time of a whole
batch (``worst_batch_seconds``; ``run`` refuses to start otherwise).

Every function takes a session factory: an async context manager yielding a session inside a transaction
that commits on exit (``get_sessionmaker().begin`` in production, savepoints in tests).
"""

import asyncio
import random
import signal
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import reads as accounts
from app.core import audit, clock, demo_clock
from app.core.config import Settings, get_settings
from app.core.errors import AppError
from app.core.jobs import SessionFactory, run_due_jobs
from app.core.logging import get_logger
from app.notifications import templates
from app.notifications.models import (
    InboxMessage,
    NotificationOutbox,
    OutboxStatus,
    TemplateSubscription,
)
from app.wechat.client import WechatClient

log = get_logger(__name__)

# WeChat errcodes of subscribeMessage.send that retrying cannot fix, and what we record for them. Anything
# else (-1 busy, 43108 concurrent sends to one user, unknown codes) is retried with backoff.
REFUSED = 43101  # the user has no (more) subscription for this template
PERMANENT = {
    47003: "data_invalid",  # a value WeChat does not accept
    40003: "invalid_openid",
    43101: "refused",
    40037: "template_invalid",  # the configured template id is wrong (settings.wechat_templates)
    41030: "page_invalid",  # the page does not exist in the published mini-program
    45168: "sensitive_content",  # WeChat's content filter
    43107: "capability_banned",  # subscribe messages are banned for the account
}
# Retries wait base * 2^(n-1), capped, minus a random part of up to this fraction, so rows that failed
# together (WeChat was down) do not all come back in the same second.
BACKOFF_JITTER = 0.25
WORKER_LOST = "worker_lost"
# Rows claimed at once. Small, because the last row of a batch waits for all the others before its claim
# is renewed (see worst_batch_seconds).
BATCH_SIZE = 10
# HTTP calls one send may make: token, send, and once more each when WeChat calls the token stale.
_CALLS_PER_SEND = 4


def worst_batch_seconds(settings: Settings, batch_size: int = BATCH_SIZE) -> float:
    """The longest a batch can take when every WeChat call runs into its timeout."""
    return batch_size * _CALLS_PER_SEND * settings.wechat_timeout_seconds


def check_settings(settings: Settings, batch_size: int = BATCH_SIZE) -> None:
    """Refuse a claim timeout that a slow batch could overrun (other workers would reclaim rows in hand)."""
    worst = worst_batch_seconds(settings, batch_size)
    if settings.notify_claim_timeout_seconds <= worst:
        raise ValueError(
            f"notify_claim_timeout_seconds ({settings.notify_claim_timeout_seconds}) must exceed the worst time "
            f"of a batch of {batch_size} ({worst:g} s with wechat_timeout_seconds={settings.wechat_timeout_seconds})"
        )


class Claim(NamedTuple):
    """A row this worker claimed, and when: the claim is its own while ``claimed_at`` is unchanged."""

    id: uuid.UUID
    claimed_at: datetime


# ---- claiming ---------------------------------------------------------------------------------------


async def claim(session: AsyncSession, limit: int = BATCH_SIZE, settings: Settings | None = None) -> list[Claim]:
    """Mark up to ``limit`` due rows as being sent by this worker and return them with the claim's time.

    Due: pending rows whose time has come, and rows claimed by a worker that has not finished them within
    the claim timeout (it crashed or stalled). Taking such a row over counts as a failed attempt; one that
    has used up its attempts is failed (its inbox message made) instead of being claimed again.
    PostgreSQL skips rows other workers have locked meanwhile.
    """
    settings = settings or get_settings()
    now = clock.now()
    stale = now - timedelta(seconds=settings.notify_claim_timeout_seconds)
    rows = (
        await session.exec(
            select(NotificationOutbox)
            .where(
                or_(
                    and_(col(NotificationOutbox.status) == OutboxStatus.pending, col(NotificationOutbox.next_attempt_at) <= now),
                    and_(col(NotificationOutbox.status) == OutboxStatus.sending, col(NotificationOutbox.claimed_at) < stale),
                )
            )
            .order_by(col(NotificationOutbox.next_attempt_at), col(NotificationOutbox.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    ).all()
    claimed = []
    for row in rows:
        if row.status == OutboxStatus.sending:
            row.attempts += 1
            row.last_error = f"{WORKER_LOST}: not finished within {settings.notify_claim_timeout_seconds} s"
            if row.attempts >= settings.notify_max_attempts:
                await _ensure_inbox(session, row)
                row.status, row.claimed_at, row.wechat_result = OutboxStatus.failed, None, WORKER_LOST
                row.last_error = f"gave up after {row.attempts} attempts: {WORKER_LOST}"
                session.add(row)
                log.warning("notification abandoned by its workers", extra={"outbox_id": str(row.id)})
                continue
        row.status, row.claimed_at = OutboxStatus.sending, now
        session.add(row)
        claimed.append(Claim(row.id, now))
    await session.flush()
    return claimed


# ---- delivering -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    wechat_result: str  # sent, not_subscribed, no_openid, no_template, refused, data_invalid, ...
    retry: bool = False
    error: str | None = None


@dataclass(frozen=True)
class _Send:
    openid: str
    template_id: str
    page: str | None
    data: dict[str, dict[str, str]]


async def _load(session: AsyncSession, row_id: uuid.UUID) -> NotificationOutbox | None:
    return (
        await session.exec(
            select(NotificationOutbox)
            .where(NotificationOutbox.id == row_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()


async def _ensure_inbox(session: AsyncSession, row: NotificationOutbox) -> None:
    exists = (await session.exec(select(InboxMessage.id).where(InboxMessage.outbox_id == row.id))).first()
    if exists is not None:
        return
    try:
        async with session.begin_nested():
            session.add(InboxMessage(user_id=row.user_id, outbox_id=row.id, title=row.title, body=row.body,
                                     page=row.page, created_at=row.created_at))
            await session.flush()
    except IntegrityError:
        pass  # another worker created it


async def _plan(session: AsyncSession, row: NotificationOutbox, settings: Settings) -> _Send | Outcome:
    """What to send to WeChat, or why nothing is sent."""
    openid = (await accounts.wechat_openids(session, [row.user_id])).get(row.user_id)
    if openid is None:
        return Outcome("no_openid")
    credits = (
        await session.exec(
            select(TemplateSubscription.credits).where(
                TemplateSubscription.user_id == row.user_id, TemplateSubscription.template == row.template
            )
        )
    ).first()
    if not credits or credits <= 0:
        return Outcome("not_subscribed")
    template_id = settings.wechat_templates.get(row.template)
    if not template_id or row.template not in templates.TEMPLATES:
        return Outcome("no_template")
    try:
        data = templates.wechat_data(row.template, row.data)
    except templates.FieldValueInvalid as exc:  # would be refused (47003), and must not be cut: inbox only
        return Outcome("data_invalid", error=str(exc)[:500])
    return _Send(openid, template_id, row.page, data)


async def _deliver(session: AsyncSession, wechat: WechatClient, send: _Send, settings: Settings) -> Outcome:
    try:
        result = await wechat.send_subscribe_message(
            session, send.openid, send.template_id, send.page, send.data, settings.wechat_miniprogram_state
        )
    except AppError as exc:  # unreachable, timeout, 5xx, unreadable answer, token endpoint refusing
        detail = f" {exc.details}" if exc.details else ""
        return Outcome("error", retry=True, error=f"{exc.code}{detail}")
    except Exception as exc:  # a bug or an answer we did not expect: retried, then given up on
        log.exception("notification delivery failed unexpectedly")
        return _unexpected(exc)
    if result.ok:
        return Outcome("sent")
    error = f"{result.errcode}: {result.errmsg}"[:500]
    if result.errcode in PERMANENT:
        return Outcome(PERMANENT[result.errcode], error=error)
    return Outcome(f"errcode_{result.errcode}", retry=True, error=error)  # -1 (busy) and anything unknown


def _unexpected(exc: Exception) -> Outcome:
    # The exception's type only: its message may hold an openid, a phone number or a token.
    return Outcome("error", retry=True, error=f"unexpected_error: {type(exc).__name__}")


def backoff(attempts: int, settings: Settings, rand: Callable[[], float] = random.random) -> timedelta:
    """Wait before the next attempt after ``attempts`` failures: base * 2^(attempts-1), capped, less a
    jitter of up to ``BACKOFF_JITTER`` of it. ``rand`` returns a float in [0, 1) (tests pass their own)."""
    full = min(settings.notify_backoff_base_seconds * 2 ** max(attempts - 1, 0), settings.notify_backoff_max_seconds)
    return timedelta(seconds=full * (1 - BACKOFF_JITTER * rand()))


def _apply(row: NotificationOutbox, outcome: Outcome, settings: Settings) -> None:
    now = clock.now()
    row.wechat_result = outcome.wechat_result
    row.claimed_at = None
    if outcome.retry:
        row.attempts += 1
        row.last_error = outcome.error
        if row.attempts >= settings.notify_max_attempts:
            row.status = OutboxStatus.failed
            row.last_error = f"gave up after {row.attempts} attempts: {outcome.error}"[:500]
        else:
            row.status = OutboxStatus.pending
            row.next_attempt_at = now + backoff(row.attempts, settings)
        return
    if outcome.error:  # WeChat refused for good (bad data, bad openid): the inbox has it, WeChat never will
        row.status = OutboxStatus.failed if outcome.wechat_result != "refused" else OutboxStatus.sent
        row.last_error = outcome.error
    else:
        row.status = OutboxStatus.sent
    row.sent_at = now


async def _renew(session: AsyncSession, claim: Claim) -> Claim | None:
    """Move the claim's time to now if it is still ours (the row must not look abandoned while we send)."""
    now = clock.now()
    result = await session.exec(
        update(NotificationOutbox)
        .where(col(NotificationOutbox.id) == claim.id, col(NotificationOutbox.status) == OutboxStatus.sending,
               col(NotificationOutbox.claimed_at) == claim.claimed_at)
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return Claim(claim.id, now) if result.rowcount == 1 else None


def _lost(claim: Claim) -> None:
    log.warning("outbox row was reclaimed by another worker", extra={"outbox_id": str(claim.id)})


async def process(
    session_factory: SessionFactory, wechat: WechatClient, claim: Claim, settings: Settings | None = None
) -> Outcome | None:
    """Deliver one claimed row and record the outcome; None if the claim is no longer ours."""
    settings = settings or get_settings()
    try:
        async with session_factory() as session:
            row = await _load(session, claim.id)
            if row is None or row.status != OutboxStatus.sending or row.claimed_at != claim.claimed_at:
                _lost(claim)
                return None
            await _ensure_inbox(session, row)
            plan = await _plan(session, row, settings)
            if isinstance(plan, Outcome):  # nothing to send to WeChat: done in this transaction
                _apply(row, plan, settings)
                session.add(row)
                await session.flush()
                return plan
            renewed = await _renew(session, claim)
            if renewed is None:
                _lost(claim)
                return None
    except Exception as exc:  # the transaction rolled back: the claim is still ``claim``
        log.exception("notification processing failed", extra={"outbox_id": str(claim.id)})
        return await _record(session_factory, claim, _unexpected(exc), settings)

    # The inbox message is committed; now WeChat, outside any row lock (the session only caches the token).
    async with session_factory() as session:
        outcome = await _deliver(session, wechat, plan, settings)
    return await _record(session_factory, renewed, outcome, settings)


async def _record(session_factory: SessionFactory, claim: Claim, outcome: Outcome, settings: Settings) -> Outcome | None:
    async with session_factory() as session:
        row = await _load(session, claim.id)
        if row is None or row.status != OutboxStatus.sending or row.claimed_at != claim.claimed_at:
            _lost(claim)
            return None
        _apply(row, outcome, settings)
        session.add(row)
        if outcome.wechat_result == "sent":
            await session.exec(
                update(TemplateSubscription)
                .where(col(TemplateSubscription.user_id) == row.user_id, col(TemplateSubscription.template) == row.template,
                       col(TemplateSubscription.credits) > 0)
                .values(credits=TemplateSubscription.credits - 1, updated_at=clock.now())
            )
        elif outcome.wechat_result == "refused":
            await session.exec(
                update(TemplateSubscription)
                .where(col(TemplateSubscription.user_id) == row.user_id, col(TemplateSubscription.template) == row.template)
                .values(credits=0, updated_at=clock.now())
            )
        await session.flush()
    if outcome.error:
        log.warning("notification not delivered to wechat",
                    extra={"outbox_id": str(claim.id), "result": outcome.wechat_result, "retry": outcome.retry})
    return outcome


# ---- the loop ---------------------------------------------------------------------------------------


async def run_once(
    session_factory: SessionFactory, wechat: WechatClient, *, limit: int = BATCH_SIZE,
    settings: Settings | None = None
) -> int:
    """Run due jobs, then claim and deliver one batch; the number of rows handled. With the demo clock,
    at the time the demo moved the server to."""
    if (settings or get_settings()).demo_clock:
        async with session_factory() as session:
            await demo_clock.follow(session)
    await run_due_jobs(session_factory)
    async with session_factory() as session:
        claims = await claim(session, limit, settings)
    for c in claims:
        try:
            await process(session_factory, wechat, c, settings)
        except Exception:  # recording the outcome failed: reclaimed after the timeout, counted as an attempt
            log.exception("notification processing failed", extra={"outbox_id": str(c.id)})
    return len(claims)


async def run(stop: asyncio.Event, session_factory: SessionFactory | None = None,
              wechat: WechatClient | None = None) -> None:
    """Work until ``stop`` is set; the batch in hand is finished first."""
    from app.core.db import get_sessionmaker
    from app.wechat.client import get_wechat

    settings = get_settings()
    check_settings(settings)
    session_factory = session_factory or get_sessionmaker().begin
    wechat = wechat or get_wechat()
    log.info("worker started")
    while not stop.is_set():
        try:
            handled = await run_once(session_factory, wechat, settings=settings)
        except Exception:
            log.exception("worker iteration failed")
            handled = 0
        if handled == 0:
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.worker_poll_seconds)
            except TimeoutError:
                pass
    log.info("worker stopped")


async def main() -> None:
    """Entry point of ``python -m app worker``: stops gracefully on SIGTERM or SIGINT."""
    from app.core.db import dispose_engine

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    from app.wechat.client import get_wechat

    wechat = get_wechat()
    try:
        await run(stop, wechat=wechat)
    finally:
        await wechat.aclose()
        await audit.drain()
        await dispose_engine()
