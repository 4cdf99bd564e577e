"""The one source of the current time, timezone-aware UTC; tests move it with ``freeze``.

The demo alone (``APP_DEMO_CLOCK``, app/demo) may also move it forward with ``advance``: an offset kept in
this process's memory and added to the wall clock, so that a notice period can end during a walk through
the demo. A frozen time (tests) is returned as it is, offset or not.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC) + _offset


def offset() -> timedelta:
    """How far ``advance`` has moved the clock ahead of the wall clock (zero unless the demo moved it)."""
    return _offset


def advance(delta: timedelta) -> timedelta:
    """Move the clock forward by ``delta`` (never back); the new offset."""
    global _offset
    if delta < timedelta(0):
        raise ValueError("the clock only moves forward")
    _offset += delta
    return _offset


def reset_offset() -> None:
    """Back to the wall clock (tests: after each test)."""
    global _offset
    _offset = timedelta(0)


def shanghai_text(at: datetime) -> str:
    """A time as residents read it: Asia/Shanghai, to the minute (``2026-11-28 18:00``)."""
    return f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def local_date(at: datetime) -> date:
    """The calendar day in Asia/Shanghai of ``at``."""
    return at.astimezone(SHANGHAI).date()


@contextmanager
def freeze(at: datetime) -> Iterator[None]:
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous
