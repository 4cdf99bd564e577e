"""Request and response models of the registry. Areas travel as strings with two decimals."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.core.i18n import define_validation, invalid
from app.core.phones import MobilePhone
from app.registry.areas import AREA_TEXTS, AreaError, format_area, parse_area
from app.registry.models import ImportStatus, OccupantRelation, OrganizationKind, PersonKind

for _code, _text in AREA_TEXTS.items():
    define_validation(_code, _text.zh, _text.en)
define_validation("owner_multiple", "每户只能登记一位业主，其他产权人请登记为共有人",
                  "A unit has one owner on record; record the other title holders as co-owners")


def _area(value: str) -> str:
    try:
        return format_area(parse_area(value))
    except AreaError as exc:
        raise invalid(exc.code) from None


# A string like "86.50": strictly a string (a JSON number would already have been rounded by a float).
AreaStr = Annotated[str, Field(examples=["86.50"]), AfterValidator(_area)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Phone = MobilePhone | None


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class StreetCreate(BaseModel):
    district: Name
    name: Name


class StreetPublic(_Public):
    id: uuid.UUID
    district: str
    name: str
    created_at: datetime


class CommunityCreate(BaseModel):
    street_id: uuid.UUID
    name: Name


class CommunityPublic(_Public):
    id: uuid.UUID
    street_id: uuid.UUID
    name: str
    created_at: datetime


Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS-84, as phones report it")]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class EstateCreate(BaseModel):
    community_id: uuid.UUID
    name: Name
    address: Annotated[str, StringConstraints(max_length=200)] | None = None
    built_year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class EstateLocation(BaseModel):
    """Where the estate is (its main gate, say): supervisors' inspections filed far from it are flagged."""

    model_config = ConfigDict(extra="forbid")
    latitude: Latitude
    longitude: Longitude


class EstatePublic(_Public):
    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    short_code: str = Field(description="opens the estate in the mini-program (GET /lookup/estates/by-code/{code})")
    address: str | None
    built_year: int | None
    latitude: float | None
    longitude: float | None
    created_at: datetime


class EstateLookup(BaseModel):
    """An estate as a resident finds it (no people, no counts)."""

    id: uuid.UUID
    name: str
    address: str | None
    community_name: str
    street_name: str
    district: str
    short_code: str


class PlaceLookup(BaseModel):
    id: uuid.UUID
    name: str


class RoomLookup(BaseModel):
    unit_id: uuid.UUID
    floor: int
    room_number: str


class EstateCounts(BaseModel):
    buildings: int
    entrances: int
    units: int
    households: int = Field(description="units with at least one owner on record")
    total_area: str = Field(description="sum of the units' registered areas, m²", examples=["1234.56"])


class EstateDetail(EstatePublic):
    counts: EstateCounts


class BuildingCreate(BaseModel):
    name: ShortName
    grid_id: uuid.UUID | None = None


class BuildingPublic(_Public):
    id: uuid.UUID
    estate_id: uuid.UUID
    grid_id: uuid.UUID | None
    name: str
    created_at: datetime


class EntranceCreate(BaseModel):
    name: ShortName


class EntrancePublic(_Public):
    id: uuid.UUID
    building_id: uuid.UUID
    name: str
    created_at: datetime


class UnitCreate(BaseModel):
    entrance_id: uuid.UUID
    floor: Annotated[int, Field(ge=-10, le=200)]
    room_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    area: AreaStr
    note: Annotated[str, StringConstraints(max_length=200)] | None = None


class OccupantIn(BaseModel):
    name: Name
    phone: Phone = None
    relation: OccupantRelation
    kind: PersonKind = PersonKind.natural


class UnitUpdate(BaseModel):
    """Only the fields sent change. ``occupants`` replaces the unit's whole list of people."""

    area: AreaStr | None = None
    floor: Annotated[int, Field(ge=-10, le=200)] | None = None
    note: Annotated[str, StringConstraints(max_length=200)] | None = None
    occupants: list[OccupantIn] | None = Field(default=None, max_length=50)

    @field_validator("occupants")
    @classmethod
    def _one_owner(cls, occupants: list[OccupantIn] | None) -> list[OccupantIn] | None:
        # The ledger has one 业主 per unit; everyone else who holds title is a 共有人.
        if occupants and sum(o.relation == OccupantRelation.owner for o in occupants) > 1:
            raise invalid("owner_multiple")
        return occupants


class UnitPublic(BaseModel):
    id: uuid.UUID
    estate_id: uuid.UUID
    building_id: uuid.UUID
    entrance_id: uuid.UUID
    floor: int
    room_number: str
    area: str = Field(examples=["86.50"])
    note: str | None
    updated_at: datetime


class OccupantPublic(BaseModel):
    person_id: uuid.UUID
    relation: OccupantRelation
    kind: PersonKind
    name: str
    phone: str | None
    masked: bool = Field(description="true when name and phone are masked for the caller (PIPL)")


class UnitDetail(UnitPublic):
    building_name: str
    entrance_name: str
    occupants: list[OccupantPublic]


class ImportRowError(BaseModel):
    row: int = Field(description="spreadsheet row; the header is row 1")
    column: str
    code: str
    message: str


class ImportReport(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ImportRowError] = []


class RegistryImportPublic(_Public):
    """A ledger import running in the background: ``GET /registry-imports/{id}`` until ``done``."""

    id: uuid.UUID
    estate_id: uuid.UUID
    filename: str
    status: ImportStatus
    rows_total: int
    rows_done: int
    report: ImportReport
    failure: str | None
    created_at: datetime
    finished_at: datetime | None


class GridCreate(BaseModel):
    community_id: uuid.UUID
    name: Name


class GridPublic(_Public):
    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    created_at: datetime


class RosterPerson(BaseModel):
    person_id: uuid.UUID
    name: str
    phone: str | None
    relation: OccupantRelation


class RosterUnit(BaseModel):
    """A unit as the grid worker's tablet lists it: where, who is on record (in full), who is bound."""

    unit_id: uuid.UUID
    building_id: uuid.UUID
    building_name: str
    entrance_id: uuid.UUID
    entrance_name: str
    floor: int
    room_number: str
    area: str
    occupants: list[RosterPerson]
    bound_accounts: int = Field(description="accounts bound to the unit (approved)")
    owner_bound: bool = Field(description="an owner or co-owner is among them")


class GridBuildingsUpdate(BaseModel):
    building_ids: list[uuid.UUID] = Field(max_length=1000)


class GridWithBuildings(GridPublic):
    building_ids: list[uuid.UUID]


class OrganizationCreate(BaseModel):
    """``street_id``: the street it serves and that manages its accounts. Street staff register for their
    own street (the only one, if they serve one); an admin may leave it out for a city-level one."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    street_id: uuid.UUID | None = None
    kind: OrganizationKind
    credit_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")] | None = None
    contact_phone: Annotated[str, StringConstraints(max_length=20)] | None = None


class OrganizationPublic(_Public):
    id: uuid.UUID
    street_id: uuid.UUID | None
    name: str
    kind: OrganizationKind
    credit_code: str | None
    contact_phone: str | None
    created_at: datetime
