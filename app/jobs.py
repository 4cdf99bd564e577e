"""The scheduled jobs the worker runs (``python -m app worker``). Domains with periodic work (closing
ballots on time, overdue rectification reminders) register theirs here, so the worker sees them all."""

from datetime import timedelta

from app.core.audit import log_anchor
from app.core.idempotency import purge_expired
from app.notifications.service import register_job

register_job("idempotency.purge_expired", timedelta(hours=1), purge_expired)
register_job("audit.anchor", timedelta(minutes=10), log_anchor)
