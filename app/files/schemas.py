"""Response models of the files routes."""

import uuid

from pydantic import BaseModel, Field


class FilePublic(BaseModel):
    id: uuid.UUID
    sha256: str = Field(description="SHA-256 of the content, hex")
    content_type: str = Field(description="decided from the content: image/jpeg, image/png, image/webp, application/pdf")
    size: int = Field(description="bytes")
    filename: str
