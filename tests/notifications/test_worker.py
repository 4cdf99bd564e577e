"""The worker: claiming, crash recovery, retries with backoff, WeChat's errcodes, subscriptions, jobs."""

import json
import random
import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import func, select

from app.core import clock
from app.core import jobs as core_jobs
from app.core.config import get_settings
from app.core.models import ScheduledJob
from app.notifications import service, worker
from app.notifications.models import InboxMessage, NotificationOutbox, OutboxStatus, TemplateSubscription
from app.wechat import fake
from tests import factories as f
from tests.notifications.conftest import T0

SEND = fake.SUBSCRIBE_SEND


async def _user(db, openid: bool = True, credits: int | None = 1, template: str = "ballot_open"):
    u = await f.user(db, wechat_openid=f"o-{uuid.uuid4().hex[:20]}" if openid else None)
    if credits is not None:
        db.add(TemplateSubscription(user_id=u.id, template=template, credits=credits))
    await db.flush()
    return u


async def _enqueue(db, user_id, template="ballot_open") -> NotificationOutbox:
    row = await service.enqueue(
        db, user_id=user_id, template=template, title="表决开始：加装电梯", body="请在截止前完成表决。",
        page="pages/ballot/index?id=1",
        data={"thing1": "关于小区加装电梯及外墙保温改造方案的业主表决", "thing2": "幸福里小区",
              "time3": T0 + timedelta(days=7)} if template == "ballot_open" else {"thing1": "方案"},
    )
    return row


async def _row(db, row_id) -> NotificationOutbox:
    return (await db.exec(select(NotificationOutbox).where(NotificationOutbox.id == row_id)
                          .execution_options(populate_existing=True))).one()


async def _inbox_count(db, row_id) -> int:
    return (await db.exec(select(func.count()).select_from(InboxMessage).where(InboxMessage.outbox_id == row_id))).one()


async def _credits(db, user_id, template="ballot_open") -> int:
    return (await db.exec(select(TemplateSubscription.credits).where(
        TemplateSubscription.user_id == user_id, TemplateSubscription.template == template)
        .execution_options(populate_existing=True))).one()


def _sends() -> list[dict]:
    return fake.state.subscribe_sends()


async def test_subscribed_user_gets_wechat_message_and_inbox(db, sessions, wechat, settings):
    with clock.freeze(T0):
        u = await _user(db, credits=2)
        row = await _enqueue(db, u.id)
        assert await worker.run_once(sessions, wechat) == 1
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.sent and r.wechat_result == "sent" and r.sent_at == T0
    assert await _inbox_count(db, row.id) == 1
    [sent] = _sends()
    assert sent["touser"] == u.wechat_openid and sent["template_id"] == "tmpl-ballot-open"
    assert sent["page"] == "pages/ballot/index?id=1" and sent["miniprogram_state"] == settings.wechat_miniprogram_state
    assert sent["data"]["thing1"]["value"] == "关于小区加装电梯及外墙保温改造方案的业…"  # cut to 20 characters
    assert sent["data"]["time3"]["value"] == "2030-05-08 16:00"  # Asia/Shanghai
    assert await _credits(db, u.id) == 1  # one one-time subscription used


async def test_user_who_did_not_subscribe_gets_only_the_inbox_entry(db, sessions, wechat):
    with clock.freeze(T0):
        u = await _user(db, credits=None)
        row = await _enqueue(db, u.id)
        await worker.run_once(sessions, wechat)
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.sent and r.wechat_result == "not_subscribed"
    assert await _inbox_count(db, row.id) == 1
    assert fake.state.requests == []  # WeChat was not called at all (not even for a token)


async def test_used_up_subscription_no_openid_and_unconfigured_template(db, sessions, wechat):
    with clock.freeze(T0):
        used_up = await _user(db, credits=0)
        no_openid = await _user(db, openid=False)
        no_template = await _user(db, template="signature_requested")
        rows = [await _enqueue(db, used_up.id), await _enqueue(db, no_openid.id),
                await service.enqueue(db, user_id=no_template.id, template="signature_requested", title="请签字",
                                      body="竣工验收单待签字", data={"thing1": "竣工验收单"})]
        await worker.run_once(sessions, wechat)
    assert [(await _row(db, r.id)).wechat_result for r in rows] == ["not_subscribed", "no_openid", "no_template"]
    assert fake.state.requests == []


async def test_notification_survives_a_worker_crash_between_claim_and_send(db, sessions, wechat, settings):
    with clock.freeze(T0):
        u = await _user(db)
        row = await _enqueue(db, u.id)
        async with sessions() as s:  # worker 1 claims, commits, and dies before sending
            assert [c.id for c in await worker.claim(s, 10)] == [row.id]
    assert (await _row(db, row.id)).status == OutboxStatus.sending

    with clock.freeze(T0 + timedelta(seconds=settings.notify_claim_timeout_seconds - 1)):
        assert await worker.run_once(sessions, wechat) == 0  # the claim is still fresh: nobody takes it
    with clock.freeze(T0 + timedelta(seconds=settings.notify_claim_timeout_seconds + 1)):
        assert await worker.run_once(sessions, wechat) == 1  # worker 2 reclaims the abandoned row
        assert await worker.run_once(sessions, wechat) == 0
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.sent and r.wechat_result == "sent"
    assert len(_sends()) == 1 and await _inbox_count(db, row.id) == 1


async def test_wechat_busy_is_retried_with_exponential_backoff_then_succeeds(db, sessions, wechat, settings):
    fake.state.subscribe_errcodes.extend([-1, "http-500", -1])
    t = T0
    with clock.freeze(t):
        u = await _user(db)
        row = await _enqueue(db, u.id)
    spacing = []
    for attempt in (1, 2, 3):
        with clock.freeze(t):
            assert await worker.run_once(sessions, wechat) == 1
            r = await _row(db, row.id)
            assert r.status == OutboxStatus.pending and r.attempts == attempt and r.last_error
            spacing.append(r.next_attempt_at - t)
            assert await worker.run_once(sessions, wechat) == 0  # not due yet
        with clock.freeze(r.next_attempt_at - timedelta(seconds=1)):
            assert await worker.run_once(sessions, wechat) == 0
        t = r.next_attempt_at
    for waited, full in zip(spacing, (30, 60, 120), strict=True):  # exponential, minus up to a quarter of jitter
        assert timedelta(seconds=full * (1 - worker.BACKOFF_JITTER)) <= waited <= timedelta(seconds=full)
    with clock.freeze(t):
        assert await worker.run_once(sessions, wechat) == 1
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.sent and r.wechat_result == "sent" and r.attempts == 3
    assert len(_sends()) == 4 and await _inbox_count(db, row.id) == 1  # the inbox entry was made once
    assert await _credits(db, u.id) == 0


def test_backoff_is_capped(settings):
    no_jitter = lambda: 0.0  # noqa: E731
    assert [worker.backoff(n, settings, no_jitter).total_seconds() for n in (1, 2, 3, 7, 8, 30)] == [
        30, 60, 120, 1920, 3600, 3600]


@given(st.integers(min_value=0, max_value=200), st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_backoff_jitter_stays_within_bounds(attempts, r):
    s = get_settings().model_copy(update={"notify_backoff_base_seconds": 30, "notify_backoff_max_seconds": 3600})
    full = min(30 * 2 ** max(attempts - 1, 0), 3600)
    wait = worker.backoff(attempts, s, lambda: r).total_seconds()
    assert full * (1 - worker.BACKOFF_JITTER) - 1e-6 <= wait <= full
    assert worker.backoff(attempts, s, lambda: r) == worker.backoff(attempts, s, lambda: r)  # deterministic


def test_backoff_spreads_retries(settings):
    rng = random.Random(7)
    waits = {worker.backoff(3, settings, rng.random) for _ in range(20)}
    assert len(waits) > 10 and max(waits) <= timedelta(seconds=120)


async def test_gives_up_after_max_attempts_with_last_error(db, sessions, wechat, settings):
    fake.state.subscribe_errcodes.extend([-1] * 10)
    with clock.freeze(T0):
        u = await _user(db)
        row = await _enqueue(db, u.id)
    for _ in range(10):
        with clock.freeze(T0 + timedelta(days=1) * (_ + 1)):
            await worker.run_once(sessions, wechat)
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.failed and r.attempts == settings.notify_max_attempts == 4
    assert r.last_error.startswith("gave up after 4 attempts") and "-1" in r.last_error
    assert len(_sends()) == 4 and await _inbox_count(db, row.id) == 1
    assert await _credits(db, u.id) == 1  # nothing was delivered, nothing used


async def test_refusal_43101_stops_and_clears_credits(db, sessions, wechat):
    fake.state.subscribe_errcodes.append(43101)
    with clock.freeze(T0):
        u = await _user(db, credits=3)
        row = await _enqueue(db, u.id)
        await worker.run_once(sessions, wechat)
        second = await _enqueue(db, u.id)
        await worker.run_once(sessions, wechat)
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.sent and r.wechat_result == "refused" and r.attempts == 0
    assert await _credits(db, u.id) == 0
    assert (await _row(db, second.id)).wechat_result == "not_subscribed"
    assert len(_sends()) == 1


@pytest.mark.parametrize(("errcode", "result"), [(47003, "data_invalid"), (40003, "invalid_openid"),
                                                  (40037, "template_invalid"), (41030, "page_invalid"),
                                                  (45168, "sensitive_content")])
async def test_permanent_wechat_errors_are_not_retried(db, sessions, wechat, errcode, result):
    fake.state.subscribe_errcodes.append(errcode)
    with clock.freeze(T0):
        u = await _user(db)
        row = await _enqueue(db, u.id)
        await worker.run_once(sessions, wechat)
    with clock.freeze(T0 + timedelta(days=1)):
        assert await worker.run_once(sessions, wechat) == 0
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.failed and r.wechat_result == result and r.attempts == 0
    assert r.last_error.startswith(str(errcode))
    assert len(_sends()) == 1 and await _inbox_count(db, row.id) == 1
    assert await _credits(db, u.id) == 1


async def test_stale_access_token_is_refreshed_once(db, sessions, wechat):
    with clock.freeze(T0):
        u = await _user(db, credits=2)
        await _enqueue(db, u.id)
        await worker.run_once(sessions, wechat)
        fake.state.expire_access_tokens()
        await _enqueue(db, u.id)
        await worker.run_once(sessions, wechat)
    paths = [r["path"] for r in fake.state.requests]
    assert paths == ["/cgi-bin/token", SEND, SEND, "/cgi-bin/token", SEND]
    assert await _credits(db, u.id) == 0


async def test_enqueue_belongs_to_the_callers_transaction(db):
    u = await _user(db)
    try:
        async with db.begin_nested():
            await _enqueue(db, u.id)
            raise RuntimeError("the event failed")
    except RuntimeError:
        pass
    assert (await db.exec(select(func.count()).select_from(NotificationOutbox)
                          .where(NotificationOutbox.user_id == u.id))).one() == 0


async def test_enqueue_refuses_unknown_templates(db):
    u = await _user(db)
    with pytest.raises(ValueError):
        await service.enqueue(db, user_id=u.id, template="nope", title="t", body="b", data={})


# ---- scheduled jobs ---------------------------------------------------------------------------------


@pytest.fixture
def jobs(monkeypatch):
    registry: dict = {}
    monkeypatch.setattr(core_jobs, "JOBS", registry)
    return registry


async def test_scheduled_job_runs_when_due_and_records_errors(db, sessions, wechat, jobs):
    calls = []

    async def close_ballots(session):
        calls.append(clock.now())
        if len(calls) == 2:
            raise RuntimeError("ballot 7 is broken")

    core_jobs.install(core_jobs.Job("close_ballots", timedelta(minutes=5), close_ballots))
    with clock.freeze(T0):
        await worker.run_once(sessions, wechat)
        await worker.run_once(sessions, wechat)  # not due again yet
    assert calls == [T0]
    job = await db.get(ScheduledJob, "close_ballots", populate_existing=True)
    assert job.next_run_at == T0 + timedelta(minutes=5) and job.last_error is None and job.locked_until is None

    with clock.freeze(T0 + timedelta(minutes=5)):
        await worker.run_once(sessions, wechat)
    job = await db.get(ScheduledJob, "close_ballots", populate_existing=True)
    assert "ballot 7 is broken" in job.last_error and job.next_run_at == T0 + timedelta(minutes=10)

    with clock.freeze(T0 + timedelta(minutes=10)):
        await worker.run_once(sessions, wechat)
    job = await db.get(ScheduledJob, "close_ballots", populate_existing=True)
    assert job.last_error is None and len(calls) == 3


async def test_a_locked_job_is_not_run_by_another_worker(db, sessions, jobs):
    calls = []

    async def job_fn(session):
        calls.append(1)

    core_jobs.install(core_jobs.Job("overdue_reminders", timedelta(hours=1), job_fn))
    job = core_jobs.JOBS["overdue_reminders"]
    with clock.freeze(T0):
        db.add(ScheduledJob(name="overdue_reminders", next_run_at=T0, locked_until=T0 + timedelta(minutes=3)))
        await db.flush()
        assert await core_jobs.run_job(sessions, job) is False  # held by another worker
    with clock.freeze(T0 + timedelta(minutes=4)):  # that worker's lock expired (it died)
        assert await core_jobs.run_job(sessions, job) is True
    assert calls == [1]


async def test_job_writes_commit_with_the_job(db, sessions, wechat, jobs):
    u = await _user(db)

    async def remind(session):
        await service.enqueue(session, user_id=u.id, template="ballot_closing", title="即将截止", body="请尽快表决",
                              data={"thing1": "加装电梯", "time2": T0})

    core_jobs.install(core_jobs.Job("remind", timedelta(hours=1), remind))
    with clock.freeze(T0):
        assert await worker.run_once(sessions, wechat) == 1  # the job's notification is delivered in the same pass
    body = json.loads(fake.state.requests[-1]["body"]) if fake.state.requests else None
    assert body is None  # the user subscribed to ballot_open, not ballot_closing: inbox only


# ---- claims that outlive their worker's patience ----------------------------------------------------


async def test_a_slow_worker_does_not_send_a_row_another_worker_reclaimed(db, sessions, wechat, settings):
    """Worker A claims a batch and runs past the claim timeout; B reclaims the row. Exactly one send."""
    with clock.freeze(T0):
        u = await _user(db)
        row = await _enqueue(db, u.id)
        async with sessions() as s:
            [claim_a] = await worker.claim(s, 10)
    with clock.freeze(T0 + timedelta(seconds=settings.notify_claim_timeout_seconds + 1)):
        async with sessions() as s:
            [claim_b] = await worker.claim(s, 10)
        assert claim_a.id == claim_b.id == row.id and claim_a.claimed_at != claim_b.claimed_at
        assert await worker.process(sessions, wechat, claim_a, settings) is None  # A: no longer its claim
        assert (await worker.process(sessions, wechat, claim_b, settings)).wechat_result == "sent"
        assert await worker.process(sessions, wechat, claim_a, settings) is None
    assert len(_sends()) == 1 and await _inbox_count(db, row.id) == 1
    assert (await _row(db, row.id)).status == OutboxStatus.sent


async def test_the_claim_is_renewed_right_before_wechat_is_called(db, sessions, wechat, settings):
    """A row reached late in a batch is renewed before its (slow) send: nobody reclaims it meanwhile."""
    timeout = settings.notify_claim_timeout_seconds
    with clock.freeze(T0):
        u = await _user(db)
        row = await _enqueue(db, u.id)
        async with sessions() as s:
            [claim] = await worker.claim(s, 10)
    stolen = []

    class SlowWechat:
        async def send_subscribe_message(self, *args, **kw):
            with clock.freeze(T0 + timedelta(seconds=timeout + 1)):  # another worker polls during the send
                async with sessions() as s:
                    stolen.extend(await worker.claim(s, 10))
            return await wechat.send_subscribe_message(*args, **kw)

    with clock.freeze(T0 + timedelta(seconds=timeout - 1)):
        outcome = await worker.process(sessions, SlowWechat(), claim, settings)
    assert outcome.wechat_result == "sent" and stolen == []
    assert len(_sends()) == 1 and (await _row(db, row.id)).status == OutboxStatus.sent


def test_default_batch_is_small_and_the_claim_timeout_must_cover_it(settings, monkeypatch):
    assert worker.BATCH_SIZE <= 10
    # Rows wait in a batch before their claim is renewed: the timeout must cover a whole batch's worst time.
    assert worker.worst_batch_seconds(settings) < settings.notify_claim_timeout_seconds
    worker.check_settings(settings)
    monkeypatch.setattr(settings, "notify_claim_timeout_seconds", int(worker.worst_batch_seconds(settings)))
    with pytest.raises(ValueError, match="notify_claim_timeout_seconds"):
        worker.check_settings(settings)


# ---- rows that would otherwise be retried forever ---------------------------------------------------


class _BrokenWechat:
    """A client whose delivery fails with something that is not an AppError."""

    async def send_subscribe_message(self, *args, **kw):
        raise KeyError("o-secret-openid-13800138000")


async def test_unexpected_error_in_delivery_is_retried_then_fails_with_its_type(db, sessions, settings):
    with clock.freeze(T0):
        u = await _user(db)
        row = await _enqueue(db, u.id)
    for day in range(1, 10):
        with clock.freeze(T0 + timedelta(days=day)):
            await worker.run_once(sessions, _BrokenWechat())
            if day == 1:
                r = await _row(db, row.id)
                assert r.status == OutboxStatus.pending and r.attempts == 1 and "KeyError" in r.last_error
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.failed and r.attempts == settings.notify_max_attempts
    assert r.last_error.startswith("gave up after 4 attempts") and "KeyError" in r.last_error
    assert "secret" not in r.last_error and "138" not in r.last_error  # the type only, never the values
    assert await _inbox_count(db, row.id) == 1


async def test_unexpected_error_before_delivery_is_retried_too(db, sessions, wechat, settings, monkeypatch):
    def broken(*args, **kw):
        raise ZeroDivisionError("x")

    monkeypatch.setattr(worker.templates, "wechat_data", broken)
    with clock.freeze(T0):
        u = await _user(db)
        row = await _enqueue(db, u.id)
        await worker.run_once(sessions, wechat)
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.pending and r.attempts == 1 and "ZeroDivisionError" in r.last_error
    assert r.claimed_at is None and fake.state.requests == []


async def test_a_row_whose_workers_keep_dying_fails_after_max_attempts(db, sessions, settings):
    with clock.freeze(T0):
        u = await _user(db)
        row = await _enqueue(db, u.id)
    claimed = []
    for day in range(10):
        with clock.freeze(T0 + timedelta(days=day)):
            async with sessions() as s:  # claims, then dies before processing
                claimed.extend(await worker.claim(s, 10))
            if day == 1:
                r = await _row(db, row.id)
                assert r.status == OutboxStatus.sending and r.attempts == 1 and r.last_error.startswith("worker_lost")
    assert len(claimed) == settings.notify_max_attempts == 4
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.failed and r.wechat_result == "worker_lost" and r.attempts == 4
    assert r.last_error.startswith("gave up after 4 attempts: worker_lost") and r.claimed_at is None
    assert await _inbox_count(db, row.id) == 1  # the in-app message is never lost


async def test_an_overlong_number_is_not_cut_and_wechat_is_not_called(db, sessions, wechat, settings, monkeypatch):
    monkeypatch.setitem(settings.wechat_templates, "rectification_overdue", "tmpl-overdue")
    with clock.freeze(T0):
        u = await _user(db, template="rectification_overdue")
        row = await service.enqueue(db, user_id=u.id, template="rectification_overdue", title="整改逾期",
                                    body="整改已逾期", data={"thing1": "楼道漏水", "time2": T0, "number3": 10 ** 40})
        await worker.run_once(sessions, wechat)
    r = await _row(db, row.id)
    assert r.status == OutboxStatus.failed and r.wechat_result == "data_invalid" and r.attempts == 0
    assert "number3" in r.last_error and "1000" not in r.last_error
    assert fake.state.requests == [] and await _inbox_count(db, row.id) == 1
    assert await _credits(db, u.id, "rectification_overdue") == 1


# ---- job locks --------------------------------------------------------------------------------------


async def test_job_lock_is_configurable_per_job(db, sessions, jobs):
    seen = []

    async def long_job(session):
        seen.append((await session.get(ScheduledJob, "rebuild", populate_existing=True)).locked_until)

    core_jobs.install(core_jobs.Job("rebuild", timedelta(hours=6), long_job, lock=timedelta(hours=2)))
    core_jobs.install(core_jobs.Job("quick", timedelta(minutes=1), long_job))
    assert core_jobs.JOBS["quick"].lock == core_jobs.DEFAULT_JOB_LOCK > timedelta(0)
    with pytest.raises(ValueError):
        core_jobs.install(core_jobs.Job("bad", timedelta(hours=1), long_job, lock=timedelta(0)))
    with clock.freeze(T0):
        assert await core_jobs.run_job(sessions, core_jobs.JOBS["rebuild"]) is True
    assert seen == [T0 + timedelta(hours=2)]


async def test_a_job_that_lost_its_lock_does_not_commit(db, sessions, jobs):
    """The job overran its lock and another worker took it over: its writes are discarded."""
    u = await _user(db)

    async def remind(session):
        await service.enqueue(session, user_id=u.id, template="ballot_closing", title="即将截止", body="请尽快表决",
                              data={"thing1": "加装电梯", "time2": T0})
        # Meanwhile the lock expired and another worker took the job over.
        await session.exec(update(ScheduledJob).where(ScheduledJob.name == "remind")
                           .values(locked_until=T0 + timedelta(hours=3)))

    core_jobs.install(core_jobs.Job("remind", timedelta(hours=1), remind, lock=timedelta(minutes=1)))
    with clock.freeze(T0):
        await core_jobs.run_job(sessions, core_jobs.JOBS["remind"])
    assert (await db.exec(select(func.count()).select_from(NotificationOutbox)
                          .where(NotificationOutbox.user_id == u.id))).one() == 0
    job = await db.get(ScheduledJob, "remind", populate_existing=True)
    assert job.last_error and "lock" in job.last_error.lower()


async def test_the_worker_follows_the_time_the_demo_clock_moved_to(db, sessions, wechat, settings, monkeypatch):
    """The demo clock is kept in the database: a notice made at the moved time (due days ahead of the wall
    clock) is delivered by a worker in another process, which follows the stored offset before each round."""
    from app.core import demo_clock

    monkeypatch.setattr(settings, "demo_clock", True)
    clock.advance(timedelta(days=8))  # as POST /demo/clock does in the API's process ...
    await demo_clock.store(db)
    u = await _user(db)
    row = await _enqueue(db, u.id)  # due at the moved time: eight days ahead of the wall clock
    clock.reset_offset()  # ... while the worker's process still lives at the wall clock
    assert await worker.run_once(sessions, wechat) == 1
    assert clock.offset() == timedelta(days=8)
    assert (await _row(db, row.id)).status == OutboxStatus.sent and await _inbox_count(db, row.id) == 1
    monkeypatch.setattr(settings, "demo_clock", False)
    clock.reset_offset()
    assert await worker.run_once(sessions, wechat) == 0 and clock.offset() == timedelta(0)  # off: never followed
