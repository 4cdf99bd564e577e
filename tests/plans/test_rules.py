"""The plans domain's pure rules: the notice period a publication may have, and the opinion window."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.plans.rules import (
    CLOCK_SKEW,
    LATEST_START,
    LONGEST,
    NoticePeriod,
    PeriodProblem,
    Window,
    notice_period,
    opinion_window,
)

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
offsets = st.integers(min_value=-30 * 24 * 60, max_value=400 * 24 * 60).map(lambda m: timedelta(minutes=m))
days = st.integers(min_value=1, max_value=30)


def test_defaults_are_now_and_the_configured_days():
    assert notice_period(NOW, 7) == NoticePeriod(NOW, NOW + timedelta(days=7))
    later = NOW + timedelta(days=2)
    assert notice_period(NOW, 7, starts=later) == NoticePeriod(later, later + timedelta(days=7))


def test_boundaries():
    assert notice_period(NOW, 7, ends=NOW + timedelta(days=7)) == NoticePeriod(NOW, NOW + timedelta(days=7))
    assert notice_period(NOW, 7, ends=NOW + timedelta(days=7, seconds=-1)) == PeriodProblem.too_short
    assert notice_period(NOW, 7, starts=NOW - CLOCK_SKEW).starts == NOW - CLOCK_SKEW
    assert notice_period(NOW, 7, starts=NOW - CLOCK_SKEW - timedelta(seconds=1)) == PeriodProblem.starts_in_past
    assert notice_period(NOW, 7, starts=NOW + LATEST_START).starts == NOW + LATEST_START
    assert notice_period(NOW, 7, starts=NOW + LATEST_START + timedelta(seconds=1)) == PeriodProblem.starts_too_late
    assert notice_period(NOW, 7, ends=NOW + LONGEST).ends == NOW + LONGEST
    assert notice_period(NOW, 7, ends=NOW + LONGEST + timedelta(seconds=1)) == PeriodProblem.too_long
    assert opinion_window(NOW, NOW, NOW + timedelta(days=7)) == Window.open
    assert opinion_window(NOW + timedelta(days=7), NOW, NOW + timedelta(days=7)) == Window.over
    assert opinion_window(NOW - timedelta(seconds=1), NOW, NOW + timedelta(days=7)) == Window.not_started


@given(days, offsets, offsets)
def test_a_period_is_accepted_exactly_when_it_starts_now_or_later_and_lasts_the_days(n, start, length):
    starts, ends = NOW + start, NOW + start + length
    result = notice_period(NOW, n, starts, ends)
    if starts < NOW - CLOCK_SKEW:
        assert result == PeriodProblem.starts_in_past
    elif starts > NOW + LATEST_START:
        assert result == PeriodProblem.starts_too_late
    elif length < timedelta(days=n):
        assert result == PeriodProblem.too_short
    elif length > LONGEST:
        assert result == PeriodProblem.too_long
    else:
        assert result == NoticePeriod(starts, ends)


@given(days, offsets)
def test_an_accepted_period_is_never_shorter_than_the_days(n, start):
    result = notice_period(NOW, n, NOW + start)
    assert isinstance(result, PeriodProblem) or result.ends - result.starts == timedelta(days=n)


@given(offsets, st.integers(min_value=1, max_value=60 * 24 * 30).map(lambda m: timedelta(minutes=m)), offsets)
def test_the_window_is_open_from_the_start_included_to_the_end_excluded(start, length, at):
    starts, ends, now = NOW + start, NOW + start + length, NOW + at
    window = opinion_window(now, starts, ends)
    assert (window == Window.open) == (starts <= now < ends)
    assert (window == Window.over) == (now >= ends)
