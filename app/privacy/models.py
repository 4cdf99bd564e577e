"""Consents to the privacy notice, and the record of staff being shown a resident's full phone or name."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, enum_field, id_field


class Purpose(StrEnum):
    """What a consent is given for (PIPL arts. 14, 29): each is asked for and recorded on its own."""

    service = "service"  # binding a unit or a phone: name, phone and holdings, to take part in the renovation
    location = "location"  # a supervisor's position on inspections: 行踪轨迹, sensitive (arts. 28-29)


class Consent(SQLModel, table=True):
    """A user's acceptance of one version of the privacy notice for one purpose."""

    __tablename__ = "privacy_consent"
    __table_args__ = (UniqueConstraint("user_id", "purpose", "notice_version"),)
    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    purpose: Purpose = enum_field(Purpose)
    notice_version: str = Field(max_length=40)
    accepted_at: datetime = created_at_field()


class SubjectKind(StrEnum):
    person = "person"  # a person on a unit's record (the ledger)
    user = "user"  # an account (its phone, its name)


class DataAccess(SQLModel, table=True):
    """A staff member was shown a resident's full phone or unmasked name: one row per viewer, subject and
    day, with the first route that showed it (PIPL art. 44: the resident may know who processed what)."""

    __tablename__ = "data_access"
    __table_args__ = (
        UniqueConstraint("viewer_id", "subject_kind", "subject_id", "day"),
        Index("ix_data_access_subject", "subject_id", "day"),
    )
    id: uuid.UUID = id_field()
    viewer_id: uuid.UUID = Field(foreign_key="app_user.id")
    subject_kind: SubjectKind = enum_field(SubjectKind)
    subject_id: uuid.UUID  # no foreign key: the record outlives a person taken off the ledger
    day: date = Field(sa_type=Date)
    route: str = Field(max_length=120)
    first_at: datetime = created_at_field()
