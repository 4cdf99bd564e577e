"""The answers as a spreadsheet, made in the background (导出答卷): who may see an export, asking for one,
the worker's job that writes it, and the download.

``GET /questionnaires/{id}/export`` builds the file inside the request: 100,000 responses take 15-25 s.
``POST /questionnaires/{id}/exports`` instead queues a ``QuestionnaireExport`` and answers 202 at once;
staff follow ``GET /questionnaire-exports/{id}`` (status, rows written of rows to write) and, once it is
done, download ``GET /questionnaire-exports/{id}/file``.

The job ``surveys.exports`` (every second, in the worker) makes one export per run:

1. it claims the oldest queued export - or a running one whose lease lapsed, its worker having died - in a
   short transaction of its own: the export is ``running`` under a new lease (``lease_id`` until
   ``lease_until``);
2. it writes the rows with ``results.write_xlsx`` / ``write_csv`` (the same rows as the synchronous
   export; a write-only workbook, so memory stays flat) while reading the answers in one read-only
   transaction, and after every chunk of rows commits the progress in a short transaction of its own,
   which also renews the lease - but only while the lease is still its own: a run that lost it (it stalled
   past ``LEASE`` and another run took the export over) stops there;
3. it stores the file under its content address (``app.files.storage``: local directory or S3) and marks
   the export done, or failed with the reason when anything went wrong.

A run that dies (the worker killed, the machine gone) leaves the export running with a lease that lapses;
a later run takes it over from the start, at most ``MAX_ATTEMPTS`` times in all, after which the export is
failed. None of this commits in the job's own transaction (the run record's): progress must be seen while
the export is being written.

An export holds every answer of the questionnaire: it is the business of those who manage the
questionnaire - who may export it at once - and of no one else, to whom it does not exist (404).
"""

import asyncio
import hashlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from sqlalchemy import and_, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.core import audit, clock
from app.core.db import READ_ONLY_OPTION, get_sessionmaker, own_transaction
from app.core.errors import ErrorBody, error_body
from app.core.i18n import english
from app.core.jobs import SessionFactory
from app.core.logging import get_logger
from app.core.spreadsheets import MEDIA, attachment
from app.files.storage import ObjectMissing, Storage, blob_key, get_storage
from app.surveys import results
from app.surveys.errors import EXPORT_FAILED, EXPORT_GONE, EXPORT_NOT_READY
from app.surveys.models import ExportFormat, ExportStatus, Questionnaire, QuestionnaireExport
from app.surveys.schemas import QuestionnaireExportPublic

log = get_logger(__name__)

# How long a claim lasts without news from its run. Each chunk of rows (1,000) renews it, so only a run
# that stopped (or stalled for this long) loses its export to the next.
LEASE = timedelta(minutes=2)
# Claims of one export, the first included: an export that ends every run that takes it (one that kills
# its worker, say) is failed rather than retried for ever.
MAX_ATTEMPTS = 3


def download_path(export_id: uuid.UUID) -> str:
    return f"/api/v1/questionnaire-exports/{export_id}/file"


def export_public(e: QuestionnaireExport) -> QuestionnaireExportPublic:
    done = e.status == ExportStatus.done
    if done:
        percent = 100
    elif e.rows_total:
        percent = min(99, e.rows_done * 100 // e.rows_total)  # the file is still to be saved and stored
    else:
        percent = 0
    error = None
    if e.status == ExportStatus.failed:
        error = ErrorBody(**error_body(EXPORT_FAILED.code, english(), {"reason": e.error_reason})["error"])
    return QuestionnaireExportPublic(
        id=e.id, questionnaire_id=e.questionnaire_id, format=e.format, status=e.status, rows_total=e.rows_total,
        rows_done=e.rows_done, percent=percent, size=e.size if done else None, created_at=e.created_at,
        started_at=e.started_at, finished_at=e.finished_at, error=error,
        download_url=download_path(e.id) if done else None)


# ---- asking for one, downloading it ----------------------------------------------------------------------


async def request(session: AsyncSession, p: Principal, q: Questionnaire, format: ExportFormat) -> QuestionnaireExport:
    """Queue an export of ``q``'s answers for the worker."""
    export = QuestionnaireExport(questionnaire_id=q.id, format=format, requested_by=p.id)
    session.add(export)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="questionnaire.export", entity_type="questionnaire_export",
                       entity_id=export.id, after={"questionnaire_id": str(q.id), "format": format.value},
                       estate_id=q.estate_id)
    return export


@dataclass(frozen=True)
class Download:
    chunks: AsyncIterator[bytes]
    media_type: str
    headers: dict[str, str]


async def download(session: AsyncSession, storage: Storage, e: QuestionnaireExport) -> Download:
    """The stored file, opened now (409 before it is done, 410 when its stored object is gone), named after
    the questionnaire."""
    if e.status != ExportStatus.done or e.storage_key is None:
        raise EXPORT_NOT_READY(details={"status": e.status.value})
    q = await session.get(Questionnaire, e.questionnaire_id)
    assert q is not None  # foreign key
    try:
        chunks = await storage.stream(e.storage_key)
    except ObjectMissing:
        log.error("stored export missing", extra={"export_id": str(e.id)})
        raise EXPORT_GONE(details={"export_id": str(e.id)}) from None
    fmt = e.format.value
    return Download(chunks, MEDIA[fmt], {
        **attachment(f"answers.{fmt}", f"{q.title}.{fmt}"), "Content-Length": str(e.size),
        "Cache-Control": "private", "X-Content-Type-Options": "nosniff"})


# ---- the worker's job ------------------------------------------------------------------------------------


@asynccontextmanager
async def _read_only() -> AsyncIterator[AsyncSession]:
    # Read-only: on SQLite a deferred transaction, so that reading for seconds holds no write lock.
    async with get_sessionmaker()() as session, session.begin():
        await session.connection(execution_options={READ_ONLY_OPTION: True})
        yield session


# The export's own transactions: short writes (the claim, progress, the outcome), committed at once, and
# the one read of the answers. Tests make them savepoints of their rolled-back transaction.
write_sessions: SessionFactory = own_transaction
read_sessions: SessionFactory = _read_only


class ExportLeaseLost(Exception):
    """The run's lease on its export lapsed and another run took the export over."""


@dataclass(frozen=True)
class _Claim:
    id: uuid.UUID
    questionnaire_id: uuid.UUID
    format: ExportFormat
    lease: uuid.UUID


async def run_exports(session: AsyncSession) -> None:
    """The job ``surveys.exports``: make the next export, if any. Its writes commit in transactions of their
    own, not in ``session`` (the run record's), so that its progress is seen while it runs; a run with
    nothing to do only reads, in a read-only transaction."""
    await make_next()


async def make_next(storage: Storage | None = None) -> uuid.UUID | None:
    """Claim the next export and make it; its id, or None when none waits."""
    claim = await _claim()
    if claim is None:
        return None
    try:
        stored = await _write(claim, storage or get_storage())
    except ExportLeaseLost:
        log.warning("questionnaire export taken over by another run", extra={"export_id": str(claim.id)})
        return claim.id
    except Exception as exc:
        log.exception("questionnaire export failed", extra={"export_id": str(claim.id)})
        await _end(claim, status=ExportStatus.failed, error_reason=f"{type(exc).__name__}: {exc}"[:500])
        return claim.id
    await _end(claim, status=ExportStatus.done, **stored)
    return claim.id


def _waiting(now: datetime) -> ColumnElement[bool]:
    """Queued, or running under a lease that lapsed (its run died)."""
    E = QuestionnaireExport
    return or_(col(E.status) == ExportStatus.queued,
               and_(col(E.status) == ExportStatus.running, col(E.lease_until) <= now))


async def _claim() -> _Claim | None:
    E = QuestionnaireExport
    while True:
        now = clock.now()
        # Most runs find nothing: they look in a read-only transaction, and take no write lock for it.
        async with read_sessions() as session:
            if (await session.exec(select(E.id).where(_waiting(now)).limit(1))).first() is None:
                return None
        async with write_sessions() as session:
            export = (await session.exec(
                select(E).where(_waiting(now)).order_by(col(E.created_at), col(E.id)).limit(1)
                .with_for_update(skip_locked=True).execution_options(populate_existing=True))).first()
            if export is None:
                return None
            export.lease_id, export.lease_until = None, None
            if export.attempts >= MAX_ATTEMPTS:
                export.status, export.finished_at = ExportStatus.failed, now
                export.error_reason = f"worker_lost: {export.attempts} runs ended without finishing it"
                session.add(export)
                log.error("questionnaire export given up", extra={"export_id": str(export.id)})
                continue  # committed; the next one
            export.status, export.attempts, export.rows_done = ExportStatus.running, export.attempts + 1, 0
            export.lease_id, export.lease_until, export.started_at = uuid.uuid4(), now + LEASE, now
            session.add(export)
            await session.flush()
            assert export.lease_id is not None
            return _Claim(export.id, export.questionnaire_id, export.format, export.lease_id)


async def _renew(claim: _Claim, **values: Any) -> None:
    """Record ``values`` (progress) and extend the lease, while the export is still this run's."""
    E = QuestionnaireExport
    async with write_sessions() as session:
        result = await session.exec(update(E).where(col(E.id) == claim.id, col(E.lease_id) == claim.lease)
                                    .values(lease_until=clock.now() + LEASE, **values))
    if result.rowcount != 1:
        raise ExportLeaseLost(str(claim.id))


async def _end(claim: _Claim, **values: Any) -> None:
    E = QuestionnaireExport
    async with write_sessions() as session:
        result = await session.exec(update(E).where(col(E.id) == claim.id, col(E.lease_id) == claim.lease)
                                    .values(finished_at=clock.now(), lease_id=None, lease_until=None, **values))
    if result.rowcount != 1:
        log.warning("questionnaire export taken over before it ended", extra={"export_id": str(claim.id)})


def _contents(out: IO[bytes]) -> tuple[bytes, str]:
    out.seek(0)
    data = out.read()
    return data, hashlib.sha256(data).hexdigest()


async def _write(claim: _Claim, storage: Storage) -> dict[str, Any]:
    """Write the file, reporting progress, and store it; the export's storage fields."""
    with tempfile.TemporaryFile() as out:
        async with read_sessions() as session:
            q = await session.get(Questionnaire, claim.questionnaire_id)
            assert q is not None  # foreign key
            await _renew(claim, rows_total=await results.export_rows(session, q), rows_done=0)

            async def progress(written: int) -> None:
                await _renew(claim, rows_done=written)

            write = results.write_csv if claim.format == ExportFormat.csv else results.write_xlsx
            await write(session, q, out, progress)
        await _renew(claim)  # the workbook was saved: the lease holds while the file is stored
        # The finished file is read once to hash and store it (storage takes bytes): a few MB for 100,000
        # responses, where building it row by row kept memory flat.
        data, digest = await asyncio.to_thread(_contents, out)
    key = blob_key(digest)
    if not await storage.exists(key):  # the very same bytes stored before
        await storage.put(key, data, MEDIA[claim.format.value])
    return {"storage_key": key, "sha256": digest, "size": len(data)}
