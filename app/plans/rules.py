"""The plans domain's rules as pure functions: the notice period a publication may have, and whether a
version takes opinions at a given moment. No database, no clock of their own: ``now`` is given."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# A publisher's clock may run a little behind the server's: "now" sent as the start is not in the past.
CLOCK_SKEW = timedelta(minutes=5)
# A notice is put up for the coming weeks, not for next year: a start or a length beyond these is a typo.
LATEST_START = timedelta(days=90)
LONGEST = timedelta(days=365)


@dataclass(frozen=True)
class NoticePeriod:
    starts: datetime
    ends: datetime


class PeriodProblem(StrEnum):
    starts_in_past = "starts_in_past"
    starts_too_late = "starts_too_late"
    too_short = "too_short"
    too_long = "too_long"


def notice_period(now: datetime, days: int, starts: datetime | None = None,
                  ends: datetime | None = None) -> NoticePeriod | PeriodProblem:
    """The period a publication asks for, with its defaults (from now, for ``days``), or what is wrong
    with it: it starts before now (beyond the skew) or more than ``LATEST_START`` later, or it is shorter
    than ``days`` or longer than ``LONGEST``."""
    starts = starts or now
    if starts < now - CLOCK_SKEW:
        return PeriodProblem.starts_in_past
    if starts > now + LATEST_START:
        return PeriodProblem.starts_too_late
    ends = ends or starts + timedelta(days=days)
    if ends - starts < timedelta(days=days):
        return PeriodProblem.too_short
    if ends - starts > LONGEST:
        return PeriodProblem.too_long
    return NoticePeriod(starts, ends)


class Window(StrEnum):
    open = "open"
    not_started = "not_started"
    over = "over"


def opinion_window(now: datetime, starts: datetime, ends: datetime) -> Window:
    """Opinions are taken from the start of the notice period (included) to its end (excluded)."""
    if now < starts:
        return Window.not_started
    if now >= ends:
        return Window.over
    return Window.open
