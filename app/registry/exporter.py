"""Ledger export (台账导出): the estate's units in the import's own format, so an export can be edited in
Excel and imported back unchanged. Full personal data: the route requires the "manage" level.

Every owner and co-owner is written: the first owner in 业主姓名/联系电话, everyone else who holds title in
共有人 as "姓名(手机号)" or "姓名". Text that a spreadsheet would run as a formula stays text."""

import asyncio
import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.spreadsheets import escape_formula
from app.registry.areas import format_area
from app.registry.ledger import AREA, HEADERS, format_co_owners
from app.registry.models import (
    Building,
    Entrance,
    OccupantRelation,
    Person,
    PropertyUnit,
    UnitOccupant,
)


@dataclass(frozen=True)
class LedgerLine:
    building: str
    entrance: str
    floor: int
    room: str
    area_centi: int
    owner: str
    phone: str
    co_owners: str
    note: str
    persons: tuple[uuid.UUID, ...] = ()  # whose names and phones the line shows (not a cell)

    def cells(self) -> list:
        return [self.building, self.entrance, self.floor, self.room, format_area(self.area_centi), self.owner,
                self.phone, self.co_owners, self.note]


async def ledger_lines(session: AsyncSession, estate_id: uuid.UUID) -> list[LedgerLine]:
    rows = (
        await session.exec(
            select(PropertyUnit, Building.name, Entrance.name)
            .join(Building, col(PropertyUnit.building_id) == Building.id)
            .join(Entrance, col(PropertyUnit.entrance_id) == Entrance.id)
            .where(PropertyUnit.estate_id == estate_id)
            .order_by(col(Building.name), col(Entrance.name), col(PropertyUnit.floor), col(PropertyUnit.room_number),
                      col(PropertyUnit.id))
        )
    ).all()
    owners: dict[uuid.UUID, Person] = {}
    # Extra owners (a unit can have several only from before PATCH refused them) are written as co-owners:
    # nobody who holds title drops out of the ledger, and re-importing it keeps all of them.
    co_owners: dict[uuid.UUID, list[tuple[str, str | None]]] = defaultdict(list)
    shown: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    links = await session.exec(
        select(UnitOccupant.unit_id, UnitOccupant.relation, Person)
        .join(Person, col(UnitOccupant.person_id) == Person.id)
        .join(PropertyUnit, col(UnitOccupant.unit_id) == PropertyUnit.id)
        .where(PropertyUnit.estate_id == estate_id)
        .order_by(col(UnitOccupant.created_at), col(UnitOccupant.id))
    )
    for unit_id, relation, person in links.all():
        if relation in (OccupantRelation.owner, OccupantRelation.co_owner):
            shown[unit_id].append(person.id)
        if relation == OccupantRelation.owner and unit_id not in owners:
            owners[unit_id] = person
        elif relation in (OccupantRelation.owner, OccupantRelation.co_owner):
            co_owners[unit_id].append((person.name, person.phone))
    lines = []
    for unit, building_name, entrance_name in rows:
        owner = owners.get(unit.id)
        lines.append(
            LedgerLine(
                building=building_name, entrance=entrance_name, floor=unit.floor, room=unit.room_number,
                area_centi=unit.area_centi, owner=owner.name if owner else "", phone=(owner.phone or "") if owner else "",
                co_owners=format_co_owners(sorted(co_owners.get(unit.id, []), key=lambda c: (c[0], c[1] or ""))),
                note=unit.note or "", persons=tuple(shown.get(unit.id, ())),
            )
        )
    return lines


def _to_csv(lines: list[LedgerLine]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    # A quote in front keeps "=..." / "+..." / "-..." / "@..." text in Excel; the importer strips it again.
    writer.writerows([escape_formula(c) if isinstance(c, str) else c for c in line.cells()] for line in lines)
    # BOM: Excel opens BOM-less UTF-8 CSV as the local code page and garbles the Chinese.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _text_cell(sheet, text: str):
    """A cell that is text whatever it starts with: openpyxl would store "=..." as a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def _area_cell(sheet, area_centi: int):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=Decimal(area_centi) / 100)
    cell.number_format = "0.00"
    return cell


def _to_xlsx(lines: list[LedgerLine]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    sheet.append(HEADERS)
    area_column = HEADERS.index(AREA)
    for line in lines:
        row = [_text_cell(sheet, c) if isinstance(c, str) else c for c in line.cells()]
        # Phones and room numbers stay text (Excel would show 1.31849E+10); the area is a number shown
        # with two decimals, exact (a Decimal of the stored hundredths), which Excel sums and the
        # importer reads back to the same hundredths.
        row[area_column] = _area_cell(sheet, line.area_centi)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def export_ledger(session: AsyncSession, estate_id: uuid.UUID, fmt: str) -> tuple[bytes, set[uuid.UUID]]:
    """The file, and the persons whose names and phones it shows."""
    lines = await ledger_lines(session, estate_id)
    body = await asyncio.to_thread(_to_xlsx if fmt == "xlsx" else _to_csv, lines)
    return body, {p for line in lines for p in line.persons}
