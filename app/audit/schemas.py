"""Response models of the audit routes."""

import uuid
from datetime import datetime

from pydantic import BaseModel

from app.core.jsontypes import JsonObject


class AuditEntryPublic(BaseModel):
    seq: int
    created_at: datetime
    actor_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: str
    estate_id: uuid.UUID | None
    before: JsonObject | None
    after: JsonObject | None
    request_id: str | None
    hash: str


class AuditVerifyPublic(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
