"""Ledgers too large for one request: queued, then applied by the worker in chunks.

A ledger of more than ``import_sync_max_rows`` rows is checked in the request (every row error is known
at once) and queued with its checked rows; ``run_import_chunk`` (a scheduled job, ``tasks.py``) applies
the next ``import_chunk_rows`` of the oldest unfinished import in its own transaction, so SQLite's write
lock (or PostgreSQL's row locks) are held for a chunk, never for the whole file. Re-importing is
idempotent, so a failed import is simply sent again.
"""

import dataclasses
import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import audit, clock
from app.core.config import get_settings
from app.registry.importer import LedgerRow, ParsedLedger, RowError, apply_rows, record_import
from app.registry.models import ImportStatus, RegistryImport
from app.registry.schemas import ImportReport, RegistryImportPublic


def _row_json(row: LedgerRow) -> dict:
    return dataclasses.asdict(row)


def _row_of(data: dict) -> LedgerRow:
    return LedgerRow(**{**data, "co_owners": tuple((name, phone) for name, phone in data["co_owners"])})


def report_of(job: RegistryImport) -> ImportReport:
    return ImportReport(created=job.created, updated=job.updated, unchanged=job.unchanged,
                        errors=[RowError(**e).public() for e in job.errors])


def import_public(job: RegistryImport) -> RegistryImportPublic:
    return RegistryImportPublic(
        id=job.id, estate_id=job.estate_id, filename=job.filename, status=job.status, rows_total=job.rows_total,
        rows_done=job.rows_done, report=report_of(job), failure=job.failure, created_at=job.created_at,
        finished_at=job.finished_at,
    )


async def queue_import(
    session: AsyncSession, estate_id: uuid.UUID, filename: str, parsed: ParsedLedger, actor_id: uuid.UUID | None
) -> RegistryImport:
    job = RegistryImport(
        estate_id=estate_id, filename=filename, rows=[_row_json(r) for r in parsed.rows], rows_total=len(parsed.rows),
        errors=[dataclasses.asdict(e) for e in parsed.errors], created_by=actor_id,
    )
    session.add(job)
    await session.flush()
    await audit.record(session, actor_id=actor_id, action="registry.import.queue", entity_type="registry_import",
                       entity_id=job.id, after={"filename": filename, "rows": job.rows_total,
                                                "errors": len(job.errors)}, estate_id=estate_id)
    return job


async def run_import_chunk(session: AsyncSession) -> None:
    """Apply the next chunk of the oldest unfinished import (a scheduled job: one worker at a time)."""
    job = (
        await session.exec(
            select(RegistryImport)
            .where(col(RegistryImport.status).in_([ImportStatus.queued, ImportStatus.running]))
            .order_by(col(RegistryImport.created_at), col(RegistryImport.id))
            .limit(1)
            .with_for_update()
        )
    ).first()
    if job is None:
        return
    chunk = job.rows[job.rows_done : job.rows_done + get_settings().import_chunk_rows]
    counts = ImportReport()
    try:
        async with session.begin_nested():  # a chunk that fails undoes itself, and the import is failed
            await apply_rows(session, job.estate_id, [_row_of(r) for r in chunk], counts, actor_id=job.created_by)
    except Exception as exc:
        job.status, job.failure, job.finished_at, job.rows = ImportStatus.failed, str(exc)[:500], clock.now(), []
        session.add(job)
        await session.flush()
        return
    job.created, job.updated, job.unchanged = (job.created + counts.created, job.updated + counts.updated,
                                               job.unchanged + counts.unchanged)
    job.rows_done += len(chunk)
    job.status = ImportStatus.running
    if job.rows_done >= job.rows_total:
        job.status, job.finished_at, job.rows = ImportStatus.done, clock.now(), []
        await record_import(session, job.estate_id, job.filename, report_of(job), job.created_by)
    session.add(job)
    await session.flush()
