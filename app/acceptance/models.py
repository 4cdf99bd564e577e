"""Acceptance tables.

- ``Acceptance``: one round of the completion acceptance (竣工验收) of a project: its checklist (one entry
  per renovation item: accepted / not accepted, remarks), the roles that must sign and the residents'
  representatives named for it, and the SHA-256 of its canonical content (``rules.content_hash``). A
  rejected round sends the project back to construction; the next one is round 2.
- ``AcceptanceSignature``: a signatory's decision on the record as it was (its hash at signing), with the
  handwritten signature image. Changing the record invalidates every signature (``invalidated_at``); at
  most one valid signature per role.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.acceptance.rules import Decision, SignatoryRole, Status
from app.core.db import created_at_field, dt_field, enum_field, id_field


class Acceptance(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "round"),)
    id: uuid.UUID = id_field()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True)
    estate_id: uuid.UUID = Field(foreign_key="estate.id", index=True)
    round: int = 1
    status: Status = enum_field(Status, default=Status.open, index=True)
    items: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # [{code, name, decision, remarks}]
    roles: list[str] = Field(default_factory=list, sa_type=JSON)  # SignatoryRole values that must approve
    representatives: list[str] = Field(default_factory=list, sa_type=JSON)  # user ids (resident_rep)
    remarks: str = Field(default="", max_length=2000)
    content_hash: str = Field(max_length=64, index=True)  # the certificate's QR code finds it
    revision: int = 1  # +1 on every change of the content
    opened_by: uuid.UUID = Field(foreign_key="app_user.id")
    opened_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    decided_at: datetime | None = dt_field()


class AcceptanceSignature(SQLModel, table=True):
    __tablename__ = "acceptance_signature"
    __table_args__ = (
        # One valid signature per role: enforced by the database when two signers of a role race.
        Index("uq_acceptance_signature_valid_role", "acceptance_id", "role", unique=True,
              postgresql_where=text("invalidated_at IS NULL"), sqlite_where=text("invalidated_at IS NULL")),
    )
    id: uuid.UUID = id_field()
    acceptance_id: uuid.UUID = Field(foreign_key="acceptance.id", index=True)
    role: SignatoryRole = enum_field(SignatoryRole)
    signer_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    decision: Decision = enum_field(Decision)
    comment: str = Field(default="", max_length=2000)
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)  # a rejection's, one order each
    rectification_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    signature_file_id: uuid.UUID = Field(foreign_key="stored_file.id", index=True)
    content_hash: str = Field(max_length=64)  # the record's hash the signer saw
    revision: int
    signed_at: datetime = created_at_field()
    invalidated_at: datetime | None = dt_field()
