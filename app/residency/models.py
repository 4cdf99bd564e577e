"""Unit bindings (a user's claim to be one person on a unit's record), invitation codes, and the identity
checks that raise a binding's assurance."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.auth.residence import Assurance, BindingRelation
from app.core.db import created_at_field, dt_field, enum_field, id_field

APPROVED_WITH_PERSON = "status = 'approved' AND person_id IS NOT NULL"


class BindingStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    closed = "closed"  # the account was closed (注销): kept as the evidence of the votes it cast (§7a)


class BindingMethod(StrEnum):
    request = "request"  # decided by a grid worker or community staff
    invite_code = "invite_code"  # code printed on a notice delivered to the unit
    phone_match = "phone_match"  # WeChat-verified phone equals the owner's phone on record


class UnitBinding(SQLModel, table=True):
    """A user's claim to be one person on a unit's record (owner, co-owner or tenant); residents act only
    for approved bindings. An approved binding names its person, and a person has at most one."""

    __tablename__ = "unit_binding"
    __table_args__ = (
        UniqueConstraint("user_id", "unit_id"),
        Index("uq_unit_binding_approved_person", "unit_id", "person_id", unique=True,
              postgresql_where=text(APPROVED_WITH_PERSON), sqlite_where=text(APPROVED_WITH_PERSON)),
        # A person's bindings in a state (the owners told of a ballot: approved): with the state in the index,
        # SQLite prefers it to the index on the state alone, which holds nearly every binding in the city.
        Index("ix_unit_binding_person_status", "person_id", "status"),
    )
    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    unit_id: uuid.UUID = Field(foreign_key="property_unit.id", index=True, ondelete="CASCADE")
    relation: BindingRelation = enum_field(BindingRelation)
    status: BindingStatus = enum_field(BindingStatus, default=BindingStatus.pending, index=True)
    method: BindingMethod = enum_field(BindingMethod)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")
    # How the person was verified (docs/ballot-procedure.md); set when approved, raised by later checks.
    assurance: Assurance | None = enum_field(Assurance, default=None, nullable=True)
    note: str | None = Field(default=None, max_length=200)
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = dt_field()
    reject_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at_field()


class InviteCode(SQLModel, table=True):
    """邀请码 printed on a notice delivered to one person of a unit's record; single use."""

    __tablename__ = "invite_code"
    id: uuid.UUID = id_field()
    code: str = Field(max_length=16, unique=True)
    unit_id: uuid.UUID = Field(foreign_key="property_unit.id", index=True, ondelete="CASCADE")
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")  # None: issued before persons
    relation: BindingRelation = enum_field(BindingRelation, default=BindingRelation.owner)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    expires_at: datetime = dt_field(nullable=False)
    used_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    used_at: datetime | None = dt_field()


class IdentityDocument(StrEnum):
    id_card = "id_card"  # 居民身份证
    property_certificate = "property_certificate"  # 不动产权证书 / 房产证


class IdentityCheck(SQLModel, table=True):
    """A check of the person behind a binding: in person (a grid worker or staff member saw a document,
    optionally photographed) or by a real-name provider. Kept with the ballots it made possible."""

    __tablename__ = "identity_check"
    id: uuid.UUID = id_field()
    binding_id: uuid.UUID = Field(foreign_key="unit_binding.id", index=True, ondelete="CASCADE")
    assurance: Assurance = enum_field(Assurance)
    document: IdentityDocument | None = enum_field(IdentityDocument, default=None, nullable=True)
    file_id: uuid.UUID | None = Field(default=None, foreign_key="stored_file.id", index=True)
    checked_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")  # None: the provider
    checked_at: datetime = created_at_field()


class CorrectionStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class CorrectionRequest(SQLModel, table=True):
    """A resident asks for their own entry on a unit's record to be corrected (PIPL art. 46): their name or
    phone as the ledger has it. Staff who may correct the unit answer; an accepted request changes the
    record through the registry's audited path."""

    __tablename__ = "correction_request"
    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    unit_id: uuid.UUID = Field(foreign_key="property_unit.id", index=True, ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id")
    name: str | None = Field(default=None, max_length=100)  # as it should read; None: unchanged
    phone: str | None = Field(default=None, max_length=20)
    note: str = Field(default="", max_length=500)
    status: CorrectionStatus = enum_field(CorrectionStatus, default=CorrectionStatus.pending, index=True)
    reply: str | None = Field(default=None, max_length=500)
    answered_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    answered_at: datetime | None = dt_field()
    created_at: datetime = created_at_field()
