"""Who may read a file: its uploader, or whoever may read an object it is attached to.

Domains register the kinds of objects files attach to (``item_progress``, ...) with a ``can_read`` check,
so this package never imports them.
"""

import uuid
from collections.abc import Awaitable, Callable

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.files.models import FileAttachment, StoredFile

CanRead = Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[bool]]

_KINDS: dict[str, CanRead] = {}


def register_attachment_kind(object_type: str, can_read: CanRead) -> None:
    """Declare that files may be attached to objects of ``object_type``; ``can_read`` decides who sees them.

    Registering the same kind again replaces its check (module reloads, tests).
    """
    if not object_type or len(object_type) > 40:
        raise ValueError("object_type must be 1-40 characters")
    _KINDS[object_type] = can_read


def is_registered(object_type: str) -> bool:
    return object_type in _KINDS


async def can_read_file(session: AsyncSession, principal: Principal, stored: StoredFile) -> bool:
    if stored.uploaded_by == principal.id:
        return True
    attachments = (
        await session.exec(
            select(FileAttachment.object_type, FileAttachment.object_id).where(FileAttachment.file_id == stored.id)
        )
    ).all()
    for object_type, object_id in attachments:
        check = _KINDS.get(object_type)
        if check is not None and await check(session, principal, object_id):
            return True
    return False
