"""Registry tables. Areas are integer hundredths of m² (``area_centi``); names are the ledger's Chinese names."""

import secrets
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, dt_field, enum_field, id_field


class Street(SQLModel, table=True):
    """街道: the client of the works (建设单位)."""

    __table_args__ = (UniqueConstraint("district", "name"),)
    id: uuid.UUID = id_field()
    district: str = Field(max_length=100)
    name: str = Field(max_length=100)
    created_at: datetime = created_at_field()


class Community(SQLModel, table=True):
    """社区 (居委会)."""

    __table_args__ = (UniqueConstraint("street_id", "name"),)
    id: uuid.UUID = id_field()
    street_id: uuid.UUID = Field(foreign_key="street.id", index=True)
    name: str = Field(max_length=100)
    created_at: datetime = created_at_field()


# No 0/O, 1/I/L: short codes are read off a poster and typed on a phone.
SHORT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(6))


class Estate(SQLModel, table=True):
    """小区. ``short_code`` opens the estate in the mini-program (printed as a QR code on its notices)."""

    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: uuid.UUID = id_field()
    community_id: uuid.UUID = Field(foreign_key="community.id", index=True)
    name: str = Field(max_length=100)
    short_code: str = Field(default_factory=new_short_code, max_length=8, unique=True)
    address: str | None = Field(default=None, max_length=200)
    built_year: int | None = None
    # Its position (WGS-84, as phones report it): inspections filed far from it are flagged.
    latitude: float | None = None
    longitude: float | None = None
    created_at: datetime = created_at_field()


class Grid(SQLModel, table=True):
    """网格: a group of buildings of one community, walked by its grid workers."""

    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: uuid.UUID = id_field()
    community_id: uuid.UUID = Field(foreign_key="community.id", index=True)
    name: str = Field(max_length=100)
    created_at: datetime = created_at_field()


class Building(SQLModel, table=True):
    """楼栋."""

    __table_args__ = (UniqueConstraint("estate_id", "name"),)
    id: uuid.UUID = id_field()
    estate_id: uuid.UUID = Field(foreign_key="estate.id", index=True)
    grid_id: uuid.UUID | None = Field(default=None, foreign_key="grid.id", index=True, ondelete="SET NULL")
    name: str = Field(max_length=50)
    created_at: datetime = created_at_field()


class Entrance(SQLModel, table=True):
    """单元 (stairwell): an elevator is decided by its entrance."""

    __table_args__ = (UniqueConstraint("building_id", "name"),)
    id: uuid.UUID = id_field()
    building_id: uuid.UUID = Field(foreign_key="building.id", index=True)
    name: str = Field(max_length=50)
    created_at: datetime = created_at_field()


class PropertyUnit(SQLModel, table=True):
    """户 (专有部分). ``estate_id`` and ``building_id`` repeat the entrance's so scope checks need no joins."""

    __tablename__ = "property_unit"
    __table_args__ = (
        UniqueConstraint("entrance_id", "room_number"),
        CheckConstraint("area_centi > 0", name="area_positive"),
        # Door order (the roster's sort and cursor keys): a page is read off this index with no sort, and
        # its leading column serves what looks units up by building.
        Index("ix_property_unit_door_order", "building_id", "entrance_id", "floor", "room_number", "id"),
    )
    id: uuid.UUID = id_field()
    estate_id: uuid.UUID = Field(foreign_key="estate.id", index=True)
    building_id: uuid.UUID = Field(foreign_key="building.id")
    entrance_id: uuid.UUID = Field(foreign_key="entrance.id", index=True)
    floor: int
    room_number: str = Field(max_length=20)
    area_centi: int = Field(description="registered floor area in 0.01 m²")
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class PersonKind(StrEnum):
    natural = "natural"
    organization = "organization"  # e.g. the former work unit (原产权单位) holding units


class Person(SQLModel, table=True):
    """An owner or tenant on record (not necessarily a user of the system)."""

    id: uuid.UUID = id_field()
    name: str = Field(max_length=100, index=True)
    phone: str | None = Field(default=None, max_length=20, index=True)
    kind: PersonKind = enum_field(PersonKind, default=PersonKind.natural)
    created_at: datetime = created_at_field()


class OccupantRelation(StrEnum):
    owner = "owner"
    co_owner = "co_owner"
    tenant = "tenant"


class UnitOccupant(SQLModel, table=True):
    """A person's link to a unit: owner (业主), co-owner (共有人) or tenant."""

    __tablename__ = "unit_occupant"
    __table_args__ = (UniqueConstraint("unit_id", "person_id"),)
    id: uuid.UUID = id_field()
    unit_id: uuid.UUID = Field(foreign_key="property_unit.id", index=True, ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    relation: OccupantRelation = enum_field(OccupantRelation)
    # Who put this person on this unit's record by a correction (PATCH); None for the imported ledger.
    # They may not become the person's bound account (app.residency.service).
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class OrganizationKind(StrEnum):
    contractor = "contractor"  # 施工单位
    supervision = "supervision"  # 监理单位
    designer = "designer"  # 设计单位
    property_management = "property_management"  # 物业
    other = "other"


class Organization(SQLModel, table=True):
    """A contractor, designer, supervision company... ``street_id`` is the street that registered it: it
    serves that street's projects only, and that street manages its accounts. Without one it is a
    city-level organisation (registered by an admin): it may serve any street, and admins manage it."""

    id: uuid.UUID = id_field()
    street_id: uuid.UUID | None = Field(default=None, foreign_key="street.id", index=True)
    name: str = Field(max_length=200, unique=True)
    kind: OrganizationKind = enum_field(OrganizationKind)
    credit_code: str | None = Field(default=None, max_length=18, description="统一社会信用代码")
    contact_phone: str | None = Field(default=None, max_length=20)
    created_at: datetime = created_at_field()



class ImportStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class RegistryImport(SQLModel, table=True):
    """A ledger too large to import within one request: the worker applies its checked rows in chunks,
    each in a transaction of its own, so that no import holds the database for long."""

    __tablename__ = "registry_import"
    id: uuid.UUID = id_field()
    estate_id: uuid.UUID = Field(foreign_key="estate.id", index=True)
    filename: str = Field(default="", max_length=255)
    status: ImportStatus = enum_field(ImportStatus, default=ImportStatus.queued, index=True)
    rows: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # emptied once applied
    rows_total: int = 0
    rows_done: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # the file's row errors
    failure: str | None = Field(default=None, max_length=500)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    finished_at: datetime | None = dt_field()
