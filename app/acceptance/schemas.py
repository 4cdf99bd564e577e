"""Request and response bodies of acceptance (API.md "Acceptance")."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.acceptance.rules import Decision, ItemDecision, SignatoryRole, Status
from app.auth.reads import ActorPublic
from app.core.jsontypes import JsonObject

Hash = Field(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")


class AcceptanceOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[SignatoryRole] | None = Field(
        default=None, description="the roles that must approve; default: street, community, contractor, the "
        "supervision company if any, and the owners' committee (or, without one, the representatives)")
    representatives: list[uuid.UUID] = Field(default_factory=list, max_length=20,
                                             description="residents of the estate who sign as resident_rep")
    remarks: str = Field(default="", max_length=2000)


class ItemPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=80)
    decision: ItemDecision | None = None
    remarks: str | None = Field(default=None, max_length=1000)


class AcceptancePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ItemPatch] = Field(default_factory=list, max_length=100)
    remarks: str | None = Field(default=None, max_length=2000)


class ItemPublic(BaseModel):
    code: str
    name: str
    decision: ItemDecision
    decision_name: str
    remarks: str


class RolePublic(BaseModel):
    role: SignatoryRole
    role_name: str
    approved: bool = Field(description="a valid approving signature is on the current record")


class PersonPublic(BaseModel):
    user_id: uuid.UUID
    name: str


class SignaturePublic(BaseModel):
    id: uuid.UUID
    role: SignatoryRole
    role_name: str
    signer: ActorPublic | None
    decision: Decision
    comment: str
    reasons: list[str]
    rectification_ids: list[uuid.UUID]
    signature_file_id: uuid.UUID
    content_hash: str
    revision: int
    signed_at: datetime
    invalidated_at: datetime | None = Field(description="set when the record changed after this signature")


class AcceptancePublic(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    round: int
    status: Status
    status_name: str
    items: list[ItemPublic]
    roles: list[RolePublic]
    representatives: list[PersonPublic]
    remarks: str
    revision: int
    content: JsonObject = Field(description="what is signed: its RFC 8785 canonical JSON hashes to content_hash")
    content_hash: str = Field(description="SHA-256 (hex) of the canonical content; a signature sends it back")
    opened_at: datetime
    decided_at: datetime | None
    signatures: list[SignaturePublic]


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: SignatoryRole
    decision: Decision
    comment: str = Field(default="", max_length=2000)
    reasons: list[str] = Field(default_factory=list, max_length=20,
                               description="a rejection's reasons: each becomes a rectification order")
    signature_file_id: uuid.UUID = Field(description="the handwritten signature, an image the signer uploaded")
    content_hash: str = Hash


class SignatureCheck(BaseModel):
    id: uuid.UUID
    role: SignatoryRole
    signer: ActorPublic | None
    decision: Decision
    signed_at: datetime
    content_hash: str
    matches: bool = Field(description="the hash signed equals the hash recomputed from the record now")
    invalidated: bool


class VerifyPublic(BaseModel):
    acceptance_id: uuid.UUID
    status: Status
    content_hash: str = Field(description="recomputed now from the record")
    stored_hash: str
    record_intact: bool = Field(description="the recomputed hash equals the one kept with the record")
    signatures: list[SignatureCheck]
    valid: bool = Field(description="the record is intact and every signature in force matches it")
