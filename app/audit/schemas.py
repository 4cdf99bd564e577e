"""Response models of the audit routes."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEntryPublic(BaseModel):
    seq: int
    created_at: datetime
    actor_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: str
    estate_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    hash: str


class AuditVerifyPublic(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
