"""Response models of the audit routes."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.core.jsontypes import JsonObject


class AuditEntryPublic(BaseModel):
    id: int = Field(description="The order entries were recorded in.")
    chain: str = Field(description='The chain the entry belongs to: its estate\'s id, or "city".')
    seq: int | None = Field(description="Its place in its chain; null for the moment between its commit and its chaining.")
    created_at: datetime
    actor_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: str
    estate_id: uuid.UUID | None
    before: JsonObject | None
    after: JsonObject | None
    request_id: str | None
    hash: str | None


class AuditVerifyPublic(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    chain: str | None = Field(default=None, description="The chain of the first broken link.")
    pending: int = Field(default=0, description="Committed entries not chained yet (chained within seconds); not checked.")
