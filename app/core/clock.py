"""The one source of the current time, timezone-aware UTC; tests move it with ``freeze``."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def shanghai_text(at: datetime) -> str:
    """A time as residents read it: Asia/Shanghai, to the minute (``2026-11-28 18:00``)."""
    return f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


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
