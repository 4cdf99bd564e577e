"""Uploading, reading and attaching files.

A blob (the bytes) is stored once per SHA-256; each upload is a ``StoredFile`` pointing at its blob.
Other domains attach files to their objects with ``attach`` and decide who may read them through the
kind they registered in ``app.files.access``.
"""

import hashlib
import unicodedata
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from fastapi import UploadFile
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.core import audit, pools, throttle
from app.core.config import get_settings
from app.core.errors import AppError, NotFound
from app.core.logging import get_logger
from app.files import access
from app.files.errors import (
    FILE_CONTENT_MISSING,
    FILE_NOT_USABLE,
    FILE_TOO_LARGE,
    FILE_TYPE_NOT_ALLOWED,
    UPLOAD_QUOTA_EXCEEDED,
    UPLOAD_RATE_LIMITED,
)
from app.files.models import FileAttachment, FileBlob, StoredFile
from app.files.sniff import ALLOWED_TYPES, EXTENSIONS, JPEG, PDF, PNG, WEBP, content_type_of
from app.files.storage import ObjectMissing, Storage, blob_key
from app.privacy.holders import Subject

FILENAME_MAX = 255
# The extensions each type is known by; the first is given to a name that has none of them.
ALIASES = {JPEG: (".jpg", ".jpeg"), PNG: (".png",), WEBP: (".webp",), PDF: (".pdf",)}


log = get_logger(__name__)

@dataclass(frozen=True)
class Upload:
    file: StoredFile
    blob: FileBlob


def sanitize_filename(name: str | None, content_type: str) -> str:
    """The client's name for display only: last path component, no control characters, at most 255, and
    an extension of the detected type (``evil.html`` stored as a PDF is served as ``evil.html.pdf``)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    base, dot, extension = name.rpartition(".")
    if dot and f".{extension.lower()}" in ALIASES.get(content_type, ()):
        suffix = f".{extension}"
    else:
        base, suffix = name, EXTENSIONS.get(content_type, "")
    base = base.strip().strip(".") or "file"
    return base[: FILENAME_MAX - len(suffix)] + suffix


async def read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    """The upload's bytes, refusing (413) anything longer than ``max_bytes`` without reading it all."""
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FILE_TOO_LARGE(details={"max_bytes": max_bytes})
    return data


def inspect_content(data: bytes) -> tuple[str | None, str]:
    """The content's accepted type (None if refused) and its SHA-256: CPU work, run in a thread."""
    return content_type_of(data), hashlib.sha256(data).hexdigest()


async def _blob_for(
    session: AsyncSession, storage: Storage, data: bytes, digest: str, content_type: str
) -> FileBlob:
    blob = (await session.exec(select(FileBlob).where(FileBlob.sha256 == digest))).first()
    if blob is not None:
        # The same bytes again: stored once. Unless the stored object went missing, when this upload
        # restores it (and every file sharing it reads again).
        if not await storage.exists(blob.storage_key):
            log.warning("stored object missing; restored by an upload of the same bytes",
                        extra={"blob_id": str(blob.id)})
            await storage.put(blob.storage_key, data, blob.content_type)
        return blob
    key = blob_key(digest)
    if not await storage.exists(key):  # left by an earlier upload whose transaction rolled back
        await storage.put(key, data, content_type)
    try:
        # Two first uploads of the same bytes race on the unique sha256: the loser reuses the winner's row.
        async with session.begin_nested():
            blob = FileBlob(sha256=digest, size=len(data), content_type=content_type, storage_key=key)
            session.add(blob)
            await session.flush()
    except IntegrityError:
        blob = (await session.exec(select(FileBlob).where(FileBlob.sha256 == digest))).one()
    return blob


UPLOAD_WINDOW = timedelta(hours=1)


async def _within_allowance(session: AsyncSession, principal: Principal, size: int) -> str:
    """Refuse an account over its uploads an hour (429) or its bytes kept (413); its throttle key."""
    settings = get_settings()
    key = f"upload:user:{principal.id}"
    wait = await throttle.retry_after(session, key, settings.upload_max_per_hour, UPLOAD_WINDOW)
    if wait is not None:
        raise UPLOAD_RATE_LIMITED(details={"retry_after_seconds": wait}, headers={"Retry-After": str(wait)})
    kept = (
        await session.exec(
            select(func.coalesce(func.sum(FileBlob.size), 0))
            .join(StoredFile, col(StoredFile.blob_id) == FileBlob.id)
            .where(StoredFile.uploaded_by == principal.id)
        )
    ).one()
    if kept + size > settings.upload_quota_bytes:
        raise UPLOAD_QUOTA_EXCEEDED(details={"quota_bytes": settings.upload_quota_bytes})
    return key


async def upload(
    session: AsyncSession, storage: Storage, principal: Principal, data: bytes, filename: str | None
) -> Upload:
    throttle_key = await _within_allowance(session, principal, len(data))
    # Decoding an image and hashing 10 MB take tens of milliseconds: not on the event loop.
    content_type, digest = await pools.run_in(pools.UPLOADS, inspect_content, data)
    if content_type is None:
        raise FILE_TYPE_NOT_ALLOWED(details={"allowed": list(ALLOWED_TYPES)})
    blob = await _blob_for(session, storage, data, digest, content_type)
    stored = StoredFile(blob_id=blob.id, uploaded_by=principal.id, filename=sanitize_filename(filename, content_type))
    session.add(stored)
    await session.flush()
    await throttle.hit(session, throttle_key, UPLOAD_WINDOW)
    await audit.record(
        session,
        actor_id=principal.id,
        action="file.upload",
        entity_type="file",
        entity_id=stored.id,
        after={"sha256": blob.sha256, "content_type": blob.content_type, "size": blob.size,
               "filename": stored.filename},
    )
    return Upload(stored, blob)


async def readable_file(session: AsyncSession, principal: Principal, file_id: uuid.UUID) -> Upload:
    """The file if the caller may read it; 404 otherwise (never 403: ids leak nothing)."""
    stored = await session.get(StoredFile, file_id)
    if stored is None or not await access.can_read_file(session, principal, stored):
        raise NotFound()
    blob = await session.get(FileBlob, stored.blob_id)
    assert blob is not None  # foreign key
    return Upload(stored, blob)


def _content_missing(blob: FileBlob) -> AppError:
    log.error("stored object missing", extra={"blob_id": str(blob.id)})
    return FILE_CONTENT_MISSING(details={"sha256": blob.sha256})


async def read_bytes(storage: Storage, blob: FileBlob) -> bytes:
    """The blob's bytes; 409 ``file_content_missing`` when its stored object is gone (uploading the same
    bytes again restores it)."""
    try:
        return await storage.get(blob.storage_key)
    except ObjectMissing:
        raise _content_missing(blob) from None


async def open_stream(storage: Storage, blob: FileBlob) -> AsyncIterator[bytes]:
    """The blob's bytes in chunks, opened now (a missing blob fails here, before a response starts, as
    ``read_bytes`` does)."""
    try:
        return await storage.stream(blob.storage_key)
    except ObjectMissing:
        raise _content_missing(blob) from None


async def attach(
    session: AsyncSession,
    principal: Principal,
    file_ids: list[uuid.UUID],
    object_type: str,
    object_id: uuid.UUID,
) -> None:
    """Attach the caller's own uploads to an object; attaching a file twice to one object is a no-op.

    Every file must exist and have been uploaded by ``principal`` (else 422 ``file_not_usable`` naming
    them). ``object_type`` must be an installed ``access.AttachmentKind``.
    """
    if not access.is_registered(object_type):
        raise LookupError(f"attachment kind {object_type!r} is not registered")
    ids = list(dict.fromkeys(file_ids))
    if not ids:
        return
    own = set(
        (await session.exec(select(StoredFile.id).where(col(StoredFile.id).in_(ids), StoredFile.uploaded_by == principal.id))).all()
    )
    unusable = [i for i in ids if i not in own]
    if unusable:
        raise FILE_NOT_USABLE(details={"file_ids": [str(i) for i in unusable]})
    attached = set(
        (
            await session.exec(
                select(FileAttachment.file_id).where(
                    col(FileAttachment.file_id).in_(ids),
                    FileAttachment.object_type == object_type,
                    FileAttachment.object_id == object_id,
                )
            )
        ).all()
    )
    for file_id in ids:
        if file_id in attached:
            continue
        try:
            async with session.begin_nested():
                session.add(FileAttachment(file_id=file_id, object_type=object_type, object_id=object_id))
                await session.flush()
        except IntegrityError:
            continue  # a concurrent request attached it
        await audit.record(
            session,
            actor_id=principal.id,
            action="file.attach",
            entity_type="file",
            entity_id=file_id,
            after={"object_type": object_type, "object_id": str(object_id)},
        )


@dataclass(frozen=True)
class FileInfo:
    id: uuid.UUID
    filename: str
    content_type: str
    size: int


async def describe(session: AsyncSession, file_ids: list[uuid.UUID]) -> dict[uuid.UUID, FileInfo]:
    """Name, type and size of each existing file (for listing a domain object's attachments)."""
    if not file_ids:
        return {}
    rows = await session.exec(select(StoredFile, FileBlob).join(FileBlob, col(FileBlob.id) == StoredFile.blob_id)
                              .where(col(StoredFile.id).in_(set(file_ids))))
    return {f.id: FileInfo(f.id, f.filename, b.content_type, b.size) for f, b in rows.all()}


async def attached_ids(session: AsyncSession, object_type: str, object_id: uuid.UUID) -> set[uuid.UUID]:
    return set((await session.exec(select(FileAttachment.file_id).where(
        FileAttachment.object_type == object_type, FileAttachment.object_id == object_id))).all())


async def attached_to(session: AsyncSession, file_id: uuid.UUID, object_type: str) -> set[uuid.UUID]:
    """The objects of ``object_type`` the file is attached to."""
    return set((await session.exec(select(FileAttachment.object_id).where(
        FileAttachment.file_id == file_id, FileAttachment.object_type == object_type))).all())


async def attach_for(
    session: AsyncSession, principal: Principal, file_ids: list[uuid.UUID], object_type: str, object_id: uuid.UUID,
    *, carried_from: uuid.UUID | None = None,
) -> None:
    """Make exactly ``file_ids`` the files attached to the object: files already attached stay, files no
    longer named are detached, and new ones must be the caller's uploads (``attach``) or, with
    ``carried_from``, attached to that object of the same kind (a new version keeps its predecessor's
    files, whoever uploaded them)."""
    wanted = list(dict.fromkeys(file_ids))
    current = await attached_ids(session, object_type, object_id)
    carried = await attached_ids(session, object_type, carried_from) if carried_from else set()
    for file_id in current - set(wanted):
        await (await session.connection()).execute(delete(FileAttachment).where(
            col(FileAttachment.file_id) == file_id, col(FileAttachment.object_type) == object_type,
            col(FileAttachment.object_id) == object_id))
        await audit.record(session, actor_id=principal.id, action="file.detach", entity_type="file",
                           entity_id=file_id, before={"object_type": object_type, "object_id": str(object_id)})
    for file_id in [f for f in wanted if f in carried and f not in current]:
        session.add(FileAttachment(file_id=file_id, object_type=object_type, object_id=object_id))
        await audit.record(session, actor_id=principal.id, action="file.attach", entity_type="file", entity_id=file_id,
                           after={"object_type": object_type, "object_id": str(object_id), "from": str(carried_from)})
    await session.flush()
    await attach(session, principal, [f for f in wanted if f not in current and f not in carried],
                 object_type, object_id)


async def contents(session: AsyncSession, storage: Storage, file_ids: list[uuid.UUID]) -> list[tuple[FileInfo, bytes]]:
    """The files' bytes, in the order given (for bundling a domain object's attachments into one document)."""
    return [item async for item in each_content(session, storage, file_ids)]


async def each_content(session: AsyncSession, storage: Storage, file_ids: list[uuid.UUID]
                       ) -> AsyncIterator[tuple[FileInfo, bytes]]:
    """The files' bytes one at a time, in the order given, after one query for all of them: a bundle of
    many large files never holds more than one in memory."""
    rows = (await session.exec(
        select(StoredFile, FileBlob).join(FileBlob, col(FileBlob.id) == StoredFile.blob_id)
        .where(col(StoredFile.id).in_(set(file_ids))))).all() if file_ids else []
    found = {f.id: (FileInfo(f.id, f.filename, b.content_type, b.size), b) for f, b in rows}
    for file_id in file_ids:
        if file_id in found:
            info, blob = found[file_id]
            yield info, await read_bytes(storage, blob)


# ---- personal data (docs/personal-information.md) ---------------------------------------------------------------------


async def uploaded_by(session: AsyncSession, user_id: uuid.UUID) -> list[FileInfo]:
    """Every file the user uploaded, oldest first (their data export bundles them)."""
    rows = await session.exec(select(StoredFile, FileBlob).join(FileBlob, col(FileBlob.id) == StoredFile.blob_id)
                              .where(StoredFile.uploaded_by == user_id)
                              .order_by(col(StoredFile.created_at), col(StoredFile.id)))
    return [FileInfo(f.id, f.filename, b.content_type, b.size) for f, b in rows.all()]


async def export_personal(session: AsyncSession, subject: Subject) -> list[dict]:
    return [{"id": f.id, "filename": f.filename, "content_type": f.content_type, "size": f.size}
            for f in await uploaded_by(session, subject.user_id)]


async def close_personal(session: AsyncSession, subject: Subject) -> None:
    """A closed account's uploads: those attached to nothing are deleted; those attached to what stays (an
    opinion's photo) stay with it, without their uploader."""
    attached = select(FileAttachment.file_id)
    mine = col(StoredFile.uploaded_by) == subject.user_id
    await session.exec(delete(StoredFile).where(mine, col(StoredFile.id).not_in(attached)))
    await session.exec(update(StoredFile).where(mine).values(uploaded_by=None))


async def remove(session: AsyncSession, storage: Storage, file_ids: list[uuid.UUID]) -> int:
    """Delete these files (past their retention): their attachments go with them, and each stored object no
    other file shares (uploads are de-duplicated by content) is deleted from storage once its row is. How
    many files were deleted."""
    if not file_ids:
        return 0
    blob_ids = set((await session.exec(select(StoredFile.blob_id).where(col(StoredFile.id).in_(file_ids)))).all())
    await session.exec(delete(FileAttachment).where(col(FileAttachment.file_id).in_(file_ids)))
    deleted = (await session.exec(delete(StoredFile).where(col(StoredFile.id).in_(file_ids)))).rowcount or 0
    # The blob row goes first, locked until commit: an upload of the same bytes meanwhile waits on it.
    orphans = (await session.exec(
        delete(FileBlob).where(col(FileBlob.id).in_(blob_ids), col(FileBlob.id).not_in(select(StoredFile.blob_id)))
        .returning(col(FileBlob.storage_key)))).scalars().all()
    for key in orphans:
        await storage.delete(key)
    return deleted
