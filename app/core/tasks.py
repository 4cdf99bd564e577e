"""The platform's own periodic work: purging expired idempotency records and anchoring the audit chain."""

from datetime import timedelta

from app.core.audit import log_anchor
from app.core.idempotency import purge_expired
from app.core.jobs import register_job

register_job("idempotency.purge_expired", timedelta(hours=1), purge_expired)
register_job("audit.anchor", timedelta(minutes=10), log_anchor)
