"""Ledger import (台账导入): XLSX or CSV with Chinese headers -> buildings, entrances, units and owners.

Rows are checked one by one; a bad row is reported with its spreadsheet row number and column and
skipped, the good rows are imported in the same run. Re-importing updates units in place, keyed by
(building, entrance, room) within the estate, so a ledger can be corrected and imported again.

Speed: the estate's buildings, entrances, units, occupants and persons are loaded once up front; rows
are matched in memory and written in a few batched flushes (no query per row).
"""

import asyncio
import csv
import io
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import audit, clock
from app.core.config import get_settings
from app.core.errors import AppError, NotFound
from app.core.i18n import Text, english
from app.core.phones import PHONE_RE
from app.core.spreadsheets import unescape_formula
from app.registry import hooks
from app.registry.areas import AreaError, parse_area
from app.registry.errors import IMPORT_FILE_INVALID, IMPORT_HEADER_MISSING, IMPORT_TOO_LARGE
from app.registry.ledger import (
    AREA,
    BUILDING,
    CO_OWNERS,
    ENTRANCE,
    FLOOR,
    HEADERS,
    NOTE,
    OWNER,
    PHONE,
    REQUIRED_COLUMNS,
    ROOM,
    canonical_header,
    cell_text,
    split_co_owners,
)
from app.registry.models import (
    Building,
    Entrance,
    Estate,
    OccupantRelation,
    Person,
    PersonKind,
    PropertyUnit,
    UnitOccupant,
)
from app.registry.people import PersonMatcher, persons_with_phones
from app.registry.schemas import ImportReport, ImportRowError

FLOOR_RE = re.compile(r"^-?\d{1,3}$")
ORGANIZATION_SUFFIXES = ("公司", "单位", "局", "厂", "所", "中心")
MAX_LENGTH = {BUILDING: 50, ENTRANCE: 50, ROOM: 20, NOTE: 200, OWNER: 100, CO_OWNERS: 500}
OWNER_RELATIONS = (OccupantRelation.owner, OccupantRelation.co_owner)


@dataclass(frozen=True)
class LedgerRow:
    row: int
    building: str
    entrance: str
    floor: int
    room: str
    area_centi: int
    owner: str | None
    phone: str | None
    co_owners: tuple[tuple[str, str | None], ...]  # (name, phone or None)
    note: str | None

    @property
    def owner_kind(self) -> PersonKind:
        if self.owner and (self.owner.endswith(ORGANIZATION_SUFFIXES) or "原产权单位" in (self.note or "")):
            return PersonKind.organization
        return PersonKind.natural


@dataclass
class ParsedLedger:
    rows: list[LedgerRow] = field(default_factory=list)
    errors: list["RowError"] = field(default_factory=list)


# --- reading the file (runs in a thread) -------------------------------------------------------------


def _invalid(reason: str) -> AppError:
    return IMPORT_FILE_INVALID(details={"reason": reason})


@dataclass(frozen=True)
class ReadLimits:
    max_rows: int
    max_unpacked_bytes: int


def _too_large(**details) -> AppError:
    return IMPORT_TOO_LARGE(details=details)


def _capped(rows: Iterator[list[str]], limits: ReadLimits) -> list[list[str]]:
    """The rows, refusing a table longer than the limit while it streams (blank rows count too)."""
    table: list[list[str]] = []
    for row in rows:
        if len(table) > limits.max_rows:
            raise _too_large(max_rows=limits.max_rows)
        table.append(row)
    return table


def _check_unpacked_size(content: bytes, limits: ReadLimits) -> None:
    """A zip declares its parts' sizes: a 287 KB workbook unpacking to 700 MB is refused unread."""
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(content)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _invalid("not a readable XLSX workbook") from exc
    if unpacked > limits.max_unpacked_bytes:
        raise _too_large(max_unpacked_bytes=limits.max_unpacked_bytes)


def _read_xlsx(content: bytes, limits: ReadLimits) -> list[list[str]]:
    from openpyxl import load_workbook

    _check_unpacked_size(content, limits)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, KeyError, InvalidFileException...: openpyxl has no common base
        raise _invalid("not a readable XLSX workbook") from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise _invalid("the workbook has no sheet")
        # Read-only mode parses the sheet XML lazily: a broken sheet fails here (ParseError, ValueError...).
        return _capped(([cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)), limits)
    except AppError:
        raise
    except Exception as exc:
        raise _invalid("not a readable XLSX workbook") from exc
    finally:
        workbook.close()


def _decode_csv(content: bytes) -> str:
    if b"\x00" in content:
        raise _invalid("binary content")
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid("broken UTF-8") from None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Chinese Windows saves CSV as GBK/GB18030.
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise _invalid("neither UTF-8 nor GB18030") from None


def _read_csv(content: bytes, limits: ReadLimits) -> list[list[str]]:
    text = _decode_csv(content)
    try:
        # Our export quotes cells that a spreadsheet would run as formulas ("'=..."): undo that here.
        rows = csv.reader(io.StringIO(text, newline=""))
        return _capped(([unescape_formula(cell_text(v)) for v in row] for row in rows), limits)
    except csv.Error as exc:
        raise _invalid("malformed CSV") from exc


def read_table(filename: str, content: bytes, limits: ReadLimits | None = None) -> list[list[str]]:
    """The file's first sheet as rows of cell texts. XLSX is recognised by its zip signature."""
    if limits is None:
        settings = get_settings()
        limits = ReadLimits(settings.import_max_rows, settings.import_max_unpacked_bytes)
    if content.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content, limits)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _invalid("legacy .xls is not supported; save as .xlsx or CSV")
    return _read_csv(content, limits)


# --- checking rows (pure) ------------------------------------------------------------------------------


ROW_TEXTS = {
    "required": Text("{column}不能为空", "{column} is required"),
    "too_long": Text("{column}不能超过{limit}个字符", "{column} cannot exceed {limit} characters"),
    "floor_invalid": Text("楼层必须是整数", "The floor must be a whole number"),
    "phone_invalid": Text("联系电话须为11位手机号码（1开头，第二位3-9）",
                          "The phone must be an 11-digit mainland mobile number (1, then 3-9)"),
    "co_owner_phone_invalid": Text("共有人{name}的电话不是有效的手机号码",
                                   "The phone of co-owner {name} is not a valid mobile number"),
    "owner_required": Text("填写了联系电话或共有人时，业主姓名不能为空",
                           "The owner's name is required when a phone or co-owners are given"),
    "duplicate_row": Text("与第{first_row}行是同一户，已跳过", "The same unit as row {first_row}: skipped"),
}


@dataclass(frozen=True)
class RowError:
    """A row's problem in both languages: a queued import's report is read later, maybe in the other one."""

    row: int
    column: str
    code: str
    message: str
    message_en: str = ""  # reports stored before imports spoke English have only the Chinese

    @classmethod
    def of(cls, row: int, column: str, code: str, text: Text, **params) -> "RowError":
        return cls(row, column, code, text.render(False, column=column, **params),
                   text.render(True, column=column, **params))

    def public(self) -> ImportRowError:
        """In the request's language."""
        return ImportRowError(row=self.row, column=self.column, code=self.code,
                              message=(self.message_en or self.message) if english() else self.message)


def _error(row: int, column: str, code: str, text_key: str | None = None, **params) -> RowError:
    return RowError.of(row, column, code, ROW_TEXTS[text_key or code], **params)


def parse_table(table: list[list[str]]) -> ParsedLedger:
    """Check every row; the header is the first non-empty row and row numbers are the sheet's (1-based)."""
    header_index = next((i for i, row in enumerate(table) if any(row)), None)
    if header_index is None:
        raise _invalid("the file is empty")
    columns: dict[str, int] = {}
    for index, raw in enumerate(table[header_index]):
        name = canonical_header(raw)
        if name is not None and name not in columns:
            columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise IMPORT_HEADER_MISSING(details={"missing": missing, "expected": HEADERS})

    parsed = ParsedLedger()
    first_row_of_key: dict[tuple[str, str, str], int] = {}
    for offset, cells in enumerate(table[header_index + 1 :]):
        row_number = header_index + 2 + offset
        if not any(cells):
            continue
        values = {name: (cells[i] if i < len(cells) else "") for name, i in columns.items()}
        errors: list[RowError] = []

        for name in REQUIRED_COLUMNS:
            if not values[name]:
                errors.append(_error(row_number, name, "required"))
        for name, limit in MAX_LENGTH.items():
            if len(values.get(name, "")) > limit:
                errors.append(_error(row_number, name, "too_long", limit=limit))

        floor = None
        if values[FLOOR]:
            if FLOOR_RE.match(values[FLOOR]):
                floor = int(values[FLOOR])
            else:
                errors.append(_error(row_number, FLOOR, "floor_invalid"))
        area_centi = None
        if values[AREA]:
            try:
                area_centi = parse_area(values[AREA])
            except AreaError as exc:
                errors.append(RowError.of(row_number, AREA, exc.code, exc.text))

        owner = values.get(OWNER) or None
        phone = re.sub(r"[\s-]", "", values.get(PHONE, "")) or None
        if phone is not None and not PHONE_RE.fullmatch(phone):
            errors.append(_error(row_number, PHONE, "phone_invalid"))
        co_owners: dict[str, str | None] = {}
        for name, co_phone in split_co_owners(values.get(CO_OWNERS, "")):
            if co_phone is not None and not PHONE_RE.fullmatch(co_phone):
                errors.append(_error(row_number, CO_OWNERS, "phone_invalid", "co_owner_phone_invalid", name=name))
            if name != owner:
                co_owners.setdefault(name, co_phone)
        if owner is None and (phone or co_owners):
            errors.append(_error(row_number, OWNER, "required", "owner_required"))

        if not errors:
            key = (values[BUILDING], values[ENTRANCE], values[ROOM])
            if key in first_row_of_key:
                errors.append(
                    _error(row_number, ROOM, "duplicate_row", first_row=first_row_of_key[key])
                )
            else:
                first_row_of_key[key] = row_number
        if errors:
            parsed.errors.extend(errors)
            continue
        assert floor is not None and area_centi is not None
        parsed.rows.append(
            LedgerRow(
                row=row_number, building=values[BUILDING], entrance=values[ENTRANCE], floor=floor,
                room=values[ROOM], area_centi=area_centi, owner=owner, phone=phone,
                co_owners=tuple(co_owners.items()),
                note=values.get(NOTE) or None,
            )
        )
    return parsed


def read_ledger(filename: str, content: bytes) -> ParsedLedger:
    return parse_table(read_table(filename, content))


# --- applying to the estate --------------------------------------------------------------------------


async def parse_ledger(filename: str, content: bytes) -> ParsedLedger:
    """Read and check a ledger file (openpyxl and the row checks are CPU work: in a thread)."""
    return await asyncio.to_thread(read_ledger, filename, content)


async def import_ledger(
    session: AsyncSession, estate_id: uuid.UUID, filename: str, content: bytes, *, actor_id: uuid.UUID | None = None,
    parsed: ParsedLedger | None = None,
) -> ImportReport:
    """Import a ledger file into the estate in the caller's transaction (flushes, never commits).

    One audit entry per import, with its counts (not one per row: a ledger is thousands of rows)."""
    if await session.get(Estate, estate_id) is None:
        raise NotFound()
    parsed = parsed or await parse_ledger(filename, content)
    report = ImportReport(errors=[e.public() for e in parsed.errors])
    await apply_rows(session, estate_id, parsed.rows, report, actor_id=actor_id)
    await record_import(session, estate_id, filename, report, actor_id)
    return report


async def record_import(
    session: AsyncSession, estate_id: uuid.UUID, filename: str, report: ImportReport, actor_id: uuid.UUID | None
) -> None:
    await audit.record(
        session, actor_id=actor_id, action="registry.import", entity_type="estate", entity_id=estate_id,
        after={"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
               "errors": len(report.errors), "filename": filename},
        estate_id=estate_id,
    )


async def apply_rows(
    session: AsyncSession, estate_id: uuid.UUID, rows: list[LedgerRow], report: ImportReport, *,
    actor_id: uuid.UUID | None = None,
) -> None:
    """Make the estate's record say what ``rows`` say, counting into ``report``. Owners the rows replace
    are reported to the registry's hooks (their bindings are checked again)."""
    if not rows:
        return
    buildings = {
        b.name: b for b in (await session.exec(select(Building).where(Building.estate_id == estate_id))).all()
    }
    entrances = {
        (e.building_id, e.name): e
        for e in (
            await session.exec(
                select(Entrance).join(Building, col(Entrance.building_id) == Building.id).where(
                    Building.estate_id == estate_id
                )
            )
        ).all()
    }
    units = {
        (u.entrance_id, u.room_number): u
        for u in (await session.exec(select(PropertyUnit).where(PropertyUnit.estate_id == estate_id))).all()
    }
    links: dict[uuid.UUID, list[UnitOccupant]] = defaultdict(list)
    estate_persons: dict[uuid.UUID, Person] = {}
    occupant_rows = await session.exec(
        select(UnitOccupant, Person)
        .join(Person, col(UnitOccupant.person_id) == Person.id)
        .join(PropertyUnit, col(UnitOccupant.unit_id) == PropertyUnit.id)
        .where(PropertyUnit.estate_id == estate_id)
        .order_by(col(Person.created_at), col(Person.id))  # oldest first: a name always resolves the same way
    )
    for link, person in occupant_rows.all():
        links[link.unit_id].append(link)
        estate_persons[person.id] = person
    # Owners already on record elsewhere with the same name and phone are the same person.
    phones = {r.phone for r in rows if r.owner and r.phone}
    phones.update(p for r in rows for _, p in r.co_owners if p)
    people = PersonMatcher(estate_persons.values(), await persons_with_phones(session, phones))

    now = clock.now()
    new_buildings: list[Building] = []
    new_entrances: list[Entrance] = []
    new_units: list[PropertyUnit] = []
    new_links: list[UnitOccupant] = []
    stale_links: list[UnitOccupant] = []

    removed: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)  # unit -> persons off its owners
    for row in rows:
        building = buildings.get(row.building)
        if building is None:
            building = buildings[row.building] = Building(estate_id=estate_id, name=row.building)
            new_buildings.append(building)
        entrance = entrances.get((building.id, row.entrance))
        if entrance is None:
            entrance = entrances[(building.id, row.entrance)] = Entrance(building_id=building.id, name=row.entrance)
            new_entrances.append(entrance)

        desired: dict[uuid.UUID, OccupantRelation] = {}
        if row.owner:
            desired[people.get(row.owner, row.phone, row.owner_kind).id] = OccupantRelation.owner
            for name, co_phone in row.co_owners:
                desired.setdefault(people.get(name, co_phone, PersonKind.natural).id, OccupantRelation.co_owner)

        unit = units.get((entrance.id, row.room))
        if unit is None:
            unit = units[(entrance.id, row.room)] = PropertyUnit(
                estate_id=estate_id, building_id=building.id, entrance_id=entrance.id, floor=row.floor,
                room_number=row.room, area_centi=row.area_centi, note=row.note, created_at=now, updated_at=now,
            )
            new_units.append(unit)
            new_links.extend(UnitOccupant(unit_id=unit.id, person_id=pid, relation=rel) for pid, rel in desired.items())
            report.created += 1
            continue

        current = {link.person_id: link for link in links.get(unit.id, [])}
        current_owners = {pid: link.relation for pid, link in current.items() if link.relation in OWNER_RELATIONS}
        if (unit.area_centi, unit.floor, unit.note) == (row.area_centi, row.floor, row.note) and current_owners == desired:
            report.unchanged += 1
            continue
        unit.area_centi, unit.floor, unit.note, unit.updated_at = row.area_centi, row.floor, row.note, now
        # The ledger is the record of ownership: its owners replace the unit's; tenants stay.
        for pid, link in current.items():
            if pid in desired:
                if link.relation != desired[pid]:
                    removed[unit.id].append(pid)  # owner <-> co-owner: a binding as the old one is checked again
                link.relation = desired[pid]
            elif link.relation in OWNER_RELATIONS:
                stale_links.append(link)
                removed[unit.id].append(pid)
        new_links.extend(
            UnitOccupant(unit_id=unit.id, person_id=pid, relation=rel) for pid, rel in desired.items() if pid not in current
        )
        report.updated += 1

    # Parents before children: there are no ORM relationships to order the inserts for us.
    for batch in (new_buildings, new_entrances, people.new, new_units):
        if batch:
            session.add_all(batch)
            await session.flush()
    for link in stale_links:
        await session.delete(link)
    await session.flush()
    if new_links:
        session.add_all(new_links)
        await session.flush()
    for unit_id, person_ids in removed.items():
        await hooks.persons_removed(session, unit_id, person_ids, actor_id)


__all__ = ["ImportReport", "LedgerRow", "apply_rows", "import_ledger", "parse_ledger", "parse_table", "read_ledger",
           "read_table", "record_import"]
