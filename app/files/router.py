"""Files routes (API.md): upload, and download for those allowed to see the file."""

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import responses
from app.files import service
from app.files.errors import (
    FILE_CONTENT_MISSING,
    FILE_TOO_LARGE,
    FILE_TYPE_NOT_ALLOWED,
    UPLOAD_QUOTA_EXCEEDED,
    UPLOAD_RATE_LIMITED,
)
from app.files.schemas import FilePublic
from app.files.sniff import ALLOWED_TYPES
from app.files.storage import StorageDep

router = APIRouter(tags=["files"])



def _public(upload: service.Upload) -> FilePublic:
    return FilePublic(
        id=upload.file.id,
        sha256=upload.blob.sha256,
        content_type=upload.blob.content_type,
        size=upload.blob.size,
        filename=upload.file.filename,
    )


@router.post(
    "/files",
    response_model=FilePublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTHENTICATED, 403, 422, FILE_TOO_LARGE, FILE_TYPE_NOT_ALLOWED, UPLOAD_RATE_LIMITED,
                        UPLOAD_QUOTA_EXCEEDED),
)
async def upload_file(
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or PDF; the type is read from the content")],
    principal: CurrentPrincipal,
    session: SessionDep,
    storage: StorageDep,
) -> FilePublic:
    """Upload a photo or PDF. The client's filename and Content-Type are not trusted; identical bytes are
    stored once."""
    data = await service.read_limited(file, get_settings().upload_max_bytes)
    return _public(await service.upload(session, storage, principal, data, file.filename))


@router.get(
    "/files/{file_id}",
    response_class=Response,
    responses={
        200: {"content": {ct: {"schema": {"type": "string", "format": "binary"}} for ct in ALLOWED_TYPES},
              "description": "The file's bytes"},
        **responses(*AUTHENTICATED, 403, 404, FILE_CONTENT_MISSING),
    },
)
async def download_file(
    file_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, storage: StorageDep
) -> Response:
    """The file, for its uploader and for whoever may read an object it is attached to (else 404)."""
    upload = await service.readable_file(session, principal, file_id)
    # Streamed from storage in chunks, never loaded whole.
    chunks = await service.open_stream(storage, upload.blob)
    return StreamingResponse(
        chunks,
        media_type=upload.blob.content_type,
        headers={
            "Content-Length": str(upload.blob.size),
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(upload.file.filename, safe='')}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private",
            # Opened directly (not as an <img>), the file still runs no script and reaches no origin.
            "Content-Security-Policy": "sandbox",
        },
    )
