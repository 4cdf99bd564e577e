"""File tables: a blob is the bytes (stored once per SHA-256); a file is one upload of a blob."""

import uuid
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, id_field


class FileBlob(SQLModel, table=True):
    __tablename__ = "file_blob"
    id: uuid.UUID = id_field()
    sha256: str = Field(max_length=64, unique=True)
    size: int
    content_type: str = Field(max_length=100)  # decided from the content, not the client's claim
    storage_key: str = Field(max_length=200)
    created_at: datetime = created_at_field()


class StoredFile(SQLModel, table=True):
    """One upload. Its uploader may read it; others only through an object it is attached to."""

    __tablename__ = "stored_file"
    id: uuid.UUID = id_field()
    blob_id: uuid.UUID = Field(foreign_key="file_blob.id", index=True)
    # None once the uploader closed their account (注销) and the file stays attached to what they sent
    uploaded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)
    filename: str = Field(default="", max_length=255)
    created_at: datetime = created_at_field()


class FileAttachment(SQLModel, table=True):
    """A file attached to a domain object (``object_type`` names a registered kind, e.g. item_progress)."""

    __tablename__ = "file_attachment"
    __table_args__ = (
        UniqueConstraint("file_id", "object_type", "object_id"),
        Index("ix_file_attachment_object", "object_type", "object_id"),
    )
    id: uuid.UUID = id_field()
    file_id: uuid.UUID = Field(foreign_key="stored_file.id", index=True, ondelete="CASCADE")
    object_type: str = Field(max_length=40)
    object_id: uuid.UUID
    created_at: datetime = created_at_field()
