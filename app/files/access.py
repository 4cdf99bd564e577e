"""Who may read a file: its uploader, or whoever may read an object it is attached to.

Domains declare the kinds of objects files attach to (``item_progress``, ...) as ``AttachmentKind`` values
in their manifests, each with a ``can_read`` check, so this package never imports them.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.files.models import FileAttachment, StoredFile

CanRead = Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[bool]]


@dataclass(frozen=True)
class AttachmentKind:
    """Files may be attached to objects of ``object_type``; ``can_read`` decides who sees them."""

    object_type: str
    can_read: CanRead

    def __post_init__(self) -> None:
        if not self.object_type or len(self.object_type) > 40:
            raise ValueError("object_type must be 1-40 characters")


_KINDS: dict[str, CanRead] = {}


def install(kind: AttachmentKind) -> None:
    """Installing a kind again replaces its check (tests stand in their own)."""
    _KINDS[kind.object_type] = kind.can_read


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
