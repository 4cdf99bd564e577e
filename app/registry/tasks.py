"""The registry's periodic work: applying queued ledger imports, a chunk at a time."""

from datetime import timedelta

from app.core.jobs import register_job
from app.registry.imports import run_import_chunk

register_job("registry.import_chunks", timedelta(seconds=1), run_import_chunk, lock=timedelta(minutes=5))
