"""Retention (docs/personal-information.md; PIPL art. 19: kept no longer than its purpose needs): how long what is past its
use stays, and the one place a removal is counted and logged.

Each domain removes its own rows in a scheduled job (its manifest's ``Job``), with the periods of the
``APP_RETENTION_*`` settings, and reports what it removed here: the ``retention_removed_total`` metric by
kind, and a log line with the kind and the count - never what was removed. Nothing the procedure around a
ballot keeps (docs/ballot-procedure.md: the electorate, votes, bindings with their identity checks, proof that notices
reached the owners) is ever one of those kinds.
"""

from datetime import datetime, timedelta

from prometheus_client import Counter

from app.core import clock
from app.core.logging import get_logger

log = get_logger(__name__)

REMOVED = Counter("retention_removed_total", "Records and files removed when past their retention", ["kind"])


def cutoff(days: int) -> datetime:
    """What ended before this is past a retention of ``days``."""
    return clock.now() - timedelta(days=days)


def removed(kind: str, count: int) -> int:
    """Count and log a removal of ``count`` records of ``kind``; ``count``."""
    if count:
        REMOVED.labels(kind).inc(count)
        log.info("retention removed", extra={"kind": kind, "removed": count})
    return count
