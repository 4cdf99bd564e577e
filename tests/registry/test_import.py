"""Ledger import against the shared fixtures: counts, row errors, re-import, encodings and XLSX."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import col, select

from app.core.errors import AppError
from app.registry.importer import import_ledger, read_ledger
from app.registry.models import (
    Building,
    Entrance,
    OccupantRelation,
    Person,
    PersonKind,
    PropertyUnit,
    UnitOccupant,
)
from tests import factories as f
from tests.fixtures import BAD_ROWS, DEMO_LEDGER

DEMO = DEMO_LEDGER.read_bytes()
BAD = BAD_ROWS.read_bytes()


async def _count(db, model, *where) -> int:
    return (await db.exec(select(func.count()).select_from(model).where(*where))).one()


async def _owned_units(db, estate_id, name: str) -> list[tuple[Person, OccupantRelation]]:
    rows = await db.exec(
        select(Person, UnitOccupant.relation)
        .join(UnitOccupant, col(UnitOccupant.person_id) == Person.id)
        .join(PropertyUnit, col(UnitOccupant.unit_id) == PropertyUnit.id)
        .where(PropertyUnit.estate_id == estate_id, Person.name == name)
    )
    return list(rows.all())


def _xlsx(text: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for i, line in enumerate(text.lstrip("\ufeff").splitlines()):
        cells = line.split(",")
        if i > 0:  # as Excel stores them: numbers as numbers
            cells[2] = int(cells[2]) if cells[2].lstrip("-").isdigit() else cells[2]
            try:
                cells[4] = float(cells[4])
            except ValueError:
                pass
        sheet.append([c if c != "" else None for c in cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_demo_estate_imports_84_units(db):
    estate = await f.estate(db)
    report = await import_ledger(db, estate.id, "demo.csv", DEMO)
    assert (report.created, report.updated, report.unchanged, report.errors) == (84, 0, 0, [])
    assert await _count(db, PropertyUnit, PropertyUnit.estate_id == estate.id) == 84
    assert await _count(db, Building, Building.estate_id == estate.id) == 3
    assert await _count(
        db, Entrance, col(Entrance.building_id).in_(select(Building.id).where(Building.estate_id == estate.id))
    ) == 7

    ren = await _owned_units(db, estate.id, "任建淑")
    assert len(ren) == 3 and len({p.id for p, _ in ren}) == 1  # one person owning three units
    assert {rel for _, rel in ren} == {OccupantRelation.owner}
    company = await _owned_units(db, estate.id, "永定电力公司")
    assert len(company) == 2 and len({p.id for p, _ in company}) == 1
    assert company[0][0].kind == PersonKind.organization and company[0][0].phone is None
    (fu, _), = await _owned_units(db, estate.id, "付刚霞")
    assert fu.phone is None and fu.kind == PersonKind.natural
    (xue, rel), = await _owned_units(db, estate.id, "薛红")
    assert rel == OccupantRelation.co_owner


async def test_reimport_is_unchanged_and_never_duplicates(db):
    estate = await f.estate(db)
    await import_ledger(db, estate.id, "demo.csv", DEMO)
    persons_before = await _count(db, Person)
    report = await import_ledger(db, estate.id, "demo.csv", DEMO)
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 84, [])
    assert await _count(db, PropertyUnit, PropertyUnit.estate_id == estate.id) == 84
    assert await _count(db, Person) == persons_before


async def test_reimport_updates_changed_rows_in_place(db):
    estate = await f.estate(db)
    await import_ledger(db, estate.id, "demo.csv", DEMO)
    text = DEMO.decode("utf-8-sig")
    changed = (
        text.replace("1栋,1单元,1,101,50.15,黄军强,13184986729,,", "1栋,1单元,1,101,50.25,黄军强,13184986729,,")
        .replace("1栋,1单元,2,202,102.70,邱华,13515636137,薛红,", "1栋,1单元,2,202,102.70,邱华,13515636137,,")
        .replace("1栋,1单元,1,102,107.44,邱超建,13709045983,,", "1栋,1单元,1,102,107.44,邱超建,13709045984,,")
    )
    assert changed != text
    report = await import_ledger(db, estate.id, "demo.csv", changed.encode())
    assert (report.created, report.updated, report.unchanged) == (0, 3, 81)
    unit = (await db.exec(select(PropertyUnit).where(PropertyUnit.estate_id == estate.id, PropertyUnit.area_centi == 5025))).one()
    assert unit.room_number == "101"
    assert await _owned_units(db, estate.id, "薛红") == []  # the co-owner link left with the ledger
    qiu = await _owned_units(db, estate.id, "邱超建")
    assert [p.phone for p, _ in qiu] == ["13709045984"]


async def test_reimport_keeps_tenants(db):
    estate = await f.estate(db)
    await import_ledger(db, estate.id, "demo.csv", DEMO)
    unit = (await db.exec(select(PropertyUnit).where(PropertyUnit.estate_id == estate.id).limit(1))).one()
    await f.owner(db, unit, name="租户甲", phone="13900000000", relation=OccupantRelation.tenant)
    report = await import_ledger(db, estate.id, "demo.csv", DEMO)
    assert report.unchanged == 84
    assert len(await _owned_units(db, estate.id, "租户甲")) == 1


async def test_bad_rows_are_reported_and_good_rows_imported(db):
    estate = await f.estate(db)
    report = await import_ledger(db, estate.id, "bad.csv", BAD)
    assert report.created == 2
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (3, "房号", "duplicate_row"),
        (4, "楼栋", "required"),
        (5, "建筑面积(㎡)", "area_not_positive"),
        (6, "建筑面积(㎡)", "area_invalid"),
        (7, "建筑面积(㎡)", "area_precision"),
        (8, "联系电话", "phone_invalid"),
        (9, "楼层", "floor_invalid"),
    ]
    assert all(e.message and not e.message.isascii() for e in report.errors)  # Chinese messages
    rooms = (await db.exec(select(PropertyUnit.room_number).where(PropertyUnit.estate_id == estate.id))).all()
    assert sorted(rooms) == ["101", "101"]  # row 2 (1栋) and row 10 (2栋)


@pytest.mark.parametrize(
    "name, encode",
    [
        ("gb18030.csv", lambda text: text.encode("gb18030")),
        ("no-bom.csv", lambda text: text.encode("utf-8")),
        ("ledger.xlsx", _xlsx),
    ],
)
async def test_same_ledger_in_other_encodings_and_xlsx(db, name, encode):
    estate = await f.estate(db)
    content = encode(DEMO.decode("utf-8-sig"))
    report = await import_ledger(db, estate.id, name, content)
    assert (report.created, report.errors) == (84, [])
    # And it is the same ledger: importing the original file changes nothing.
    again = await import_ledger(db, estate.id, "demo.csv", DEMO)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 84)


async def test_bad_rows_from_xlsx_keep_spreadsheet_row_numbers(db):
    estate = await f.estate(db)
    report = await import_ledger(db, estate.id, "bad.xlsx", _xlsx(BAD.decode("utf-8-sig")))
    assert report.created == 2
    assert [e.row for e in report.errors] == [3, 4, 5, 6, 7, 8, 9]


def test_header_variants_are_accepted():
    text = "楼栋,单元,楼层,房号,建筑面积（平方米）,业主,电话,共有人,备注\n1栋,1单元,1,101,50,张三,13800138000,李四、王五,\n"
    parsed = read_ledger("x.csv", text.encode())
    assert parsed.errors == [] and parsed.rows[0].area_centi == 5000
    assert parsed.rows[0].co_owners == (("李四", None), ("王五", None))
    for area_header in ("面积", "建筑面积", "建筑面积(㎡)", "建筑面积 (m²)"):
        assert read_ledger("x.csv", f"楼栋,单元,楼层,房号,{area_header}\n1栋,1单元,1,101,50\n".encode()).rows


def test_missing_required_column_names_it():
    with pytest.raises(AppError) as exc:
        read_ledger("x.csv", "楼栋,单元,房号,建筑面积(㎡)\n1栋,1单元,101,50\n".encode())
    assert exc.value.code == "import_header_missing" and exc.value.status == 422
    assert exc.value.details["missing"] == ["楼层"]


@pytest.mark.parametrize(
    "name, content",
    [("ledger.xlsx", b"PK\x03\x04 definitely not a zip"), ("ledger.csv", b"\x00\x01\x02binary"), ("a.xls", b"\xd0\xcf\x11\xe0rest"), ("e.csv", b"")],
)
def test_unreadable_files(name, content):
    with pytest.raises(AppError) as exc:
        read_ledger(name, content)
    assert exc.value.code == "import_file_invalid" and exc.value.status == 422


async def test_a_large_ledger_imports_and_reimports_unchanged(db):
    # Speed is measured by bench/registry_import.py; this checks the batching is correct at size.
    estate = await f.estate(db)
    lines = ["楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名,联系电话,共有人,备注"]
    for i in range(1200):
        building, entrance, floor, room = i // 600 + 1, i // 100 % 6 + 1, i % 100 // 4 + 1, i % 4 + 1
        lines.append(f"{building}栋,{entrance}单元,{floor},{floor}0{room},{60 + i % 50}.{i % 100:02d},"
                     f"业主{i},1{3800000000 + i},共有{i},")
    content = "\n".join(lines).encode()
    report = await import_ledger(db, estate.id, "big.csv", content)
    assert (report.created, report.errors) == (1200, [])
    assert await _count(db, PropertyUnit, PropertyUnit.estate_id == estate.id) == 1200
    again = await import_ledger(db, estate.id, "big.csv", content)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1200)


def test_area_and_phone_rules_in_rows():
    text = ("楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名,联系电话\n"
            "1栋,1单元,1,101,1e20,甲,13800138000\n"
            "1栋,1单元,1,102,99999999.99,乙,13800138000\n"
            "1栋,1单元,1,103,100000.00,丙,13800138000\n"
            "1栋,1单元,1,104,50,丁,12800138000\n"
            "1栋,1单元,1,105,50,戊,10800138000\n"
            "1栋,1单元,1,106,50,己,19900138000\n")
    parsed = read_ledger("x.csv", text.encode())
    assert [(e.row, e.column, e.code) for e in parsed.errors] == [
        (2, "建筑面积(㎡)", "area_invalid"),
        (3, "建筑面积(㎡)", "area_too_large"),
        (5, "联系电话", "phone_invalid"),
        (6, "联系电话", "phone_invalid"),
    ]
    assert [r.room for r in parsed.rows] == ["103", "106"]


def _corrupt_sheet_xlsx() -> bytes:
    """A workbook whose container and workbook part are fine but whose sheet XML is broken: openpyxl only
    notices while iterating the rows (read-only mode parses the sheet lazily)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(_xlsx("楼栋,单元,楼层,房号,建筑面积(㎡)\n1栋,1单元,1,101,50")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    return out.getvalue()


def test_xlsx_broken_while_reading_rows_is_invalid_not_500():
    with pytest.raises(AppError) as exc:
        read_ledger("ledger.xlsx", _corrupt_sheet_xlsx())
    assert exc.value.code == "import_file_invalid" and exc.value.status == 422


async def _links_by_room(db, estate_id, name: str) -> dict[str, tuple[OccupantRelation, str | None, object]]:
    rows = await db.exec(
        select(PropertyUnit.room_number, UnitOccupant.relation, Person.phone, Person.id)
        .join(UnitOccupant, col(UnitOccupant.unit_id) == PropertyUnit.id)
        .join(Person, col(UnitOccupant.person_id) == Person.id)
        .where(PropertyUnit.estate_id == estate_id, Person.name == name)
    )
    return {room: (relation, phone, pid) for room, relation, phone, pid in rows.all()}


NAMESAKES = (
    "楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名,联系电话,共有人,备注\n"
    "1栋,1单元,1,101,50,张伟,13711112222,,\n"
    "1栋,1单元,2,202,60,李娜,13822223333,张伟,\n"
    "1栋,1单元,3,301,70,张伟,,,\n"
)


async def test_a_name_without_phone_never_becomes_the_namesake_with_a_phone(db):
    from app.auth.principal import Principal
    from app.residency.models import BindingStatus
    from app.residency.schemas import UnitBindingCreate
    from app.residency.service import request_binding

    estate = await f.estate(db)
    report = await import_ledger(db, estate.id, "x.csv", NAMESAKES.encode())
    assert (report.created, report.errors) == (3, [])
    zhang = await _links_by_room(db, estate.id, "张伟")
    assert zhang["101"][:2] == (OccupantRelation.owner, "13711112222")
    assert zhang["202"][:2] == (OccupantRelation.co_owner, None)
    assert zhang["301"][:2] == (OccupantRelation.owner, None)
    assert zhang["202"][2] == zhang["301"][2] != zhang["101"][2]  # phone-less namesakes of one estate merge
    again = await import_ledger(db, estate.id, "x.csv", NAMESAKES.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    # And so the 张伟 with phone 13711112222 is approved by phone for 101 only, not for 202.
    units = {
        u.room_number: u for u in (await db.exec(select(PropertyUnit).where(PropertyUnit.estate_id == estate.id))).all()
    }
    user = Principal(await f.user(db, phone="13711112222", wechat_openid="openid-zhangwei"))
    assert (await request_binding(db, user, UnitBindingCreate(unit_id=units["202"].id), "test")).status == BindingStatus.pending
    assert (await request_binding(db, user, UnitBindingCreate(unit_id=units["101"].id), "test")).status == BindingStatus.approved


async def test_phone_less_namesakes_of_other_estates_are_other_people(db):
    first, second = await f.estate(db), await f.estate(db)
    await import_ledger(db, first.id, "x.csv", NAMESAKES.encode())
    await import_ledger(db, second.id, "x.csv", "楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名\n1栋,1单元,1,101,50,张伟\n".encode())
    (_, phone, pid), = (await _links_by_room(db, second.id, "张伟")).values()
    assert phone is None and pid not in {v[2] for v in (await _links_by_room(db, first.id, "张伟")).values()}


def test_co_owner_phones_in_parentheses():
    text = ("楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名,联系电话,共有人\n"
            "1栋,1单元,1,101,50,甲,13800138000,薛红（138 0000 1111）、李四\n"
            "1栋,1单元,1,102,50,乙,13800138000,王五(12345678901)\n")
    parsed = read_ledger("x.csv", text.encode())
    assert parsed.rows[0].co_owners == (("薛红", "13800001111"), ("李四", None))
    assert [(e.row, e.column, e.code) for e in parsed.errors] == [(3, "共有人", "phone_invalid")]


def test_csv_formula_quote_is_stripped_on_import():
    text = "楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名,备注\n1栋,1单元,1,101,50,'=甲,'''+1\n2栋,1单元,1,101,50,'乙,'-x\n"
    rows = read_ledger("x.csv", text.encode()).rows
    assert [(r.owner, r.note) for r in rows] == [("=甲", "''+1"), ("'乙", "-x")]


def _rows(n: int) -> bytes:
    lines = ["楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名"]
    lines += [f"{i // 1000 + 1}栋,1单元,{i % 1000 // 10 + 1},{i % 1000 + 1},60.00,业主{i}" for i in range(n)]
    return "\n".join(lines).encode()


def test_a_ledger_over_the_row_limit_is_refused_while_it_streams():
    from app.core.config import get_settings

    limit = get_settings().import_max_rows
    assert len(read_ledger("ok.csv", _rows(limit - 10)).rows) == limit - 10
    with pytest.raises(AppError) as err:
        read_ledger("big.csv", _rows(95_000))
    assert err.value.code == "import_too_large" and err.value.status == 413
    assert err.value.details == {"max_rows": limit}


def test_an_xlsx_bomb_is_refused_before_it_is_parsed():
    """A workbook of a few hundred KB whose sheet unpacks to more than the limit is never opened."""
    import zipfile

    from app.core.config import get_settings

    limit = get_settings().import_max_unpacked_bytes
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = b"<worksheet><sheetData>" + row * (limit // len(row) + 1) + b"</sheetData></worksheet>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    bomb = out.getvalue()
    assert len(bomb) < 1_000_000
    with pytest.raises(AppError) as err:
        read_ledger("bomb.xlsx", bomb)
    assert err.value.code == "import_too_large" and err.value.details == {"max_unpacked_bytes": limit}


async def test_a_huge_ledger_beside_twenty_writes_answers_no_5xx(live_app):
    """95k rows held SQLite's write lock for 48 s while other writes answered 500 "database is locked"."""
    import asyncio

    import httpx

    from app.auth.roles import Role
    from app.core.db import get_sessionmaker

    async with get_sessionmaker()() as session, session.begin():
        admin = await f.user(session, (Role.admin, None))
        headers = await f.headers(session, admin)
        estate = await f.estate(session)
        estate_id = estate.id
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://t", timeout=60) as c:
        big = c.post(f"/api/v1/estates/{estate_id}/registry-imports", headers=headers,
                     files={"file": ("big.csv", _rows(95_000), "text/csv")})
        writes = [c.post("/api/v1/streets", headers=headers, json={"district": "并发区", "name": f"街道{i}-{estate_id}"})
                  for i in range(20)]
        answers = await asyncio.gather(big, *writes)
    assert answers[0].status_code == 413 and answers[0].json()["error"]["code"] == "import_too_large"
    assert [r.status_code for r in answers[1:]] == [201] * 20


async def test_row_messages_follow_the_request_language(client, db, world):
    """The report of an import speaks the request's language; stored reports keep both."""
    from tests.registry.test_api import API, _staff

    headers = await _staff(db, world.a)
    ledger = ("楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名,联系电话,共有人\n"
              "1栋,1单元,1,101,50,,,\n"
              "1栋,1单元,1,102,50,乙,12800138000,\n"
              "1栋,1单元,1,103,50,丙,,李四(1234)\n"
              "1栋,1单元,1,101,50,甲,,\n").encode()
    url = f"{API}/estates/{world.a.estate.id}/registry-imports"
    zh = await client.post(url, headers=headers, files={"file": ("l.csv", ledger, "text/csv")})
    en = await client.post(url, headers=headers | {"Accept-Language": "en"}, files={"file": ("l.csv", ledger)})
    assert [(e["row"], e["code"], e["message"]) for e in zh.json()["errors"]] == [
        (3, "phone_invalid", "联系电话须为11位手机号码（1开头，第二位3-9）"),
        (4, "phone_invalid", "共有人李四的电话不是有效的手机号码"),
        (5, "duplicate_row", "与第2行是同一户，已跳过"),
    ]
    assert [e["message"] for e in en.json()["errors"]] == [
        "The phone must be an 11-digit mainland mobile number (1, then 3-9)",
        "The phone of co-owner 李四 is not a valid mobile number",
        "The same unit as row 2: skipped",
    ]


def test_every_row_message_exists_in_both_languages_with_the_same_placeholders():
    import re

    from app.registry.importer import ROW_TEXTS

    for text in ROW_TEXTS.values():
        assert set(re.findall(r"{(\w+)}", text.zh)) == set(re.findall(r"{(\w+)}", text.en))
        assert not text.zh.isascii() and text.en.isascii()
