"""Registry API behaviour: counts, unit details with masking, corrections, grids, pagination, errors,
and the import/export endpoints."""

import csv
import io
import uuid

from openpyxl import load_workbook

from app.auth.roles import Role
from app.core.config import get_settings
from app.registry.importer import import_ledger
from app.registry.models import Building, OccupantRelation
from tests import factories as f
from tests.fixtures import DEMO_LEDGER

DEMO = DEMO_LEDGER.read_bytes()
API = "/api/v1"


async def _staff(db, world_side, role=Role.community_staff):
    scope = {Role.community_staff: world_side.community.id, Role.grid_worker: world_side.grid.id,
             Role.committee_member: world_side.estate.id}[role]
    headers = await f.headers(db, await f.user(db, (role, scope)))
    # An error response rolls the request's session back; commit the setup (to the test's savepoint) first.
    await db.commit()
    return headers


async def test_estate_counts(client, db, world):
    await import_ledger(db, world.a.estate.id, "demo.csv", DEMO)
    r = await client.get(f"{API}/estates/{world.a.estate.id}", headers=await _staff(db, world.a))
    assert r.status_code == 200
    counts = r.json()["counts"]
    # The world's own building (1 entrance, 1 unit with an owner) plus the demo ledger.
    assert counts["buildings"] == 4 and counts["entrances"] == 8 and counts["units"] == 85
    assert counts["households"] == 85
    total = sum(int(line.split(",")[4].replace(".", "")) for line in DEMO.decode("utf-8-sig").splitlines()[1:])
    assert counts["total_area"] == f"{(total + 8650) // 100}.{(total + 8650) % 100:02d}"


async def test_unit_detail_masks_for_committee_and_shows_in_full_for_grid_worker(client, db, world):
    url = f"{API}/units/{world.a.unit.id}"
    full = (await client.get(url, headers=await _staff(db, world.a, Role.grid_worker))).json()
    masked = (await client.get(url, headers=await _staff(db, world.a, Role.committee_member))).json()
    resident = await f.user(db)
    await f.bind(db, resident, world.a.unit)
    own = (await client.get(url, headers=await f.headers(db, resident))).json()
    assert full["occupants"][0] | {"person_id": None} == {
        "person_id": None, "relation": "owner", "kind": "natural", "name": "黄军强", "phone": "13184986729",
        "masked": False,
    }
    for body in (masked, own):
        occupant = body["occupants"][0]
        assert (occupant["name"], occupant["phone"], occupant["masked"]) == ("黄*强", "131****6729", True)
    assert full["area"] == "86.50" and full["building_name"] == world.a.building.name


async def test_grid_worker_corrects_unit_and_owners(client, db, world):
    headers = await _staff(db, world.a, Role.grid_worker)
    body = {"area": "90.1", "floor": 3, "note": "已入户核实",
            "occupants": [{"name": "黄军强", "phone": "13184986729", "relation": "owner"},
                          {"name": "租客乙", "relation": "tenant"}]}
    r = await client.patch(f"{API}/units/{world.a.unit.id}", headers=headers, json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["area"], data["floor"], data["note"]) == ("90.10", 3, "已入户核实")
    assert sorted((o["name"], o["relation"]) for o in data["occupants"]) == [("租客乙", "tenant"), ("黄军强", "owner")]


async def test_validation_errors_use_the_error_shape(client, db, world):
    headers = await _staff(db, world.a)
    # An error response rolls the session back and expires its objects: read the ids first.
    url = f"{API}/buildings/{world.a.building.id}/units"
    unit_url, entrance_a, entrance_b = f"{API}/units/{world.a.unit.id}", str(world.a.entrance.id), str(world.b.entrance.id)
    for area in ("88.888", "0", "-1.00", "八十", 86.5, "1e20", "99999999.99"):
        body = {"entrance_id": entrance_a, "floor": 1, "room_number": "909", "area": area}
        r = await client.post(url, headers=headers, json=body)
        assert r.status_code == 422, (area, r.text)
        error = r.json()["error"]
        assert error["code"] == "validation_error" and error["message"] == "请求参数有误"
        assert error["details"][0]["loc"] == ["body", "area"]
    for phone in ("12345", "12345678901"):
        r = await client.patch(unit_url, headers=headers,
                               json={"occupants": [{"name": "张三", "phone": phone, "relation": "owner"}]})
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["msg"] == "手机号须为11位手机号码（1开头，第二位3-9）"
        assert r.json()["error"]["details"][0]["loc"] == ["body", "occupants", 0, "phone"]
    for area in ("99999999.99", "100000.01"):
        r = await client.patch(unit_url, headers=headers, json={"area": area})
        assert r.status_code == 422, (area, r.text)
        assert r.json()["error"]["details"][0] | {"loc": None} == {
            "loc": None, "type": "area_too_large", "msg": "面积不能超过100000.00㎡"}
    r = await client.patch(unit_url, headers=headers | {"Accept-Language": "en"}, json={"area": "1.001"})
    assert r.json()["error"]["details"] == [{"loc": ["body", "area"], "type": "area_precision",
                                             "msg": "The area has at most two decimal places"}]
    r = await client.post(url, headers=headers | {"Accept-Language": "en"},
                          json={"entrance_id": entrance_b, "floor": 1, "room_number": "1", "area": "1"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "entrance_outside_building"
    assert r.json()["error"]["message"] == "The entrance is not in this building"


async def test_duplicates_answer_409(client, db, world):
    headers = await _staff(db, world.a)
    a = world.a
    estate_id, building_id, building_name = a.estate.id, a.building.id, a.building.name
    unit_body = {"entrance_id": str(a.entrance.id), "floor": 1, "room_number": a.unit.room_number, "area": "50.00"}
    r = await client.post(f"{API}/estates/{estate_id}/buildings", headers=headers, json={"name": building_name})
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_name"
    r = await client.post(f"{API}/buildings/{building_id}/units", headers=headers, json=unit_body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "unit_exists"


async def test_grid_buildings_must_be_in_the_grids_community(client, db, world):
    other = await f.building(db, world.a.estate.id)
    headers = await _staff(db, world.a)
    url, grid_id, other_id = f"{API}/grids/{world.a.grid.id}/buildings", world.a.grid.id, other.id
    r = await client.put(url, headers=headers, json={"building_ids": [str(world.b.building.id)]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "grid_building_outside"
    r = await client.put(url, headers=headers, json={"building_ids": [str(other_id)]})
    assert r.status_code == 200 and r.json()["building_ids"] == [str(other_id)]
    building_a = await db.get(Building, world.a.building.id, populate_existing=True)
    assert building_a.grid_id is None  # left the grid: membership is exactly the list
    await db.refresh(other)
    assert other.grid_id == grid_id


async def test_cursor_walk_returns_every_unit_once(client, db, world):
    await import_ledger(db, world.a.estate.id, "demo.csv", DEMO)
    headers = await _staff(db, world.a)
    buildings = (await client.get(f"{API}/estates/{world.a.estate.id}/buildings", headers=headers)).json()["items"]
    seen: list[str] = []
    for building in buildings:
        cursor = None
        while True:
            params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
            page = (await client.get(f"{API}/buildings/{building['id']}/units", headers=headers, params=params)).json()
            seen.extend(item["id"] for item in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert len(seen) == len(set(seen)) == 85
    r = await client.get(f"{API}/buildings/{buildings[0]['id']}/units", headers=headers, params={"cursor": "garbage"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor"


async def test_import_endpoint_and_export_round_trip(client, db, world):
    headers = await _staff(db, world.a)
    estate_url = f"{API}/estates/{world.a.estate.id}"
    r = await client.post(f"{estate_url}/registry-imports", headers=headers,
                          files={"file": ("台账.csv", DEMO, "text/csv")})
    assert r.status_code == 200 and r.json() == {"created": 84, "updated": 0, "unchanged": 0, "errors": []}

    for fmt in ("xlsx", "csv"):
        export = await client.get(f"{estate_url}/registry-export", headers=headers, params={"format": fmt})
        assert export.status_code == 200
        assert "attachment" in export.headers["content-disposition"]
        r = await client.post(f"{estate_url}/registry-imports", headers=headers,
                              files={"file": (f"export.{fmt}", export.content, "application/octet-stream")})
        assert r.json() == {"created": 0, "updated": 0, "unchanged": 85, "errors": []}, fmt

    export = await client.get(f"{estate_url}/registry-export", headers=headers, params={"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("楼栋", "单元", "楼层", "房号", "建筑面积(㎡)", "业主姓名", "联系电话", "共有人", "备注")
    assert len(rows) == 86
    assert ("1栋", "1单元", 2, "202", 102.7, "邱华", "13515636137", "薛红", "夫妻共有") in rows
    # The area is a number Excel sums, shown with two decimals.
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    area = next(r[4] for r in sheet.iter_rows(min_row=2) if r[3].value == "202")
    assert (area.data_type, area.number_format, area.value) == ("n", "0.00", 102.7)
    csv_export = await client.get(f"{estate_url}/registry-export", headers=headers, params={"format": "csv"})
    assert csv_export.content.startswith("\ufeff楼栋".encode())


async def test_import_refuses_unreadable_headerless_and_oversized_files(client, db, world, monkeypatch):
    headers = await _staff(db, world.a)
    url = f"{API}/estates/{world.a.estate.id}/registry-imports"
    r = await client.post(url, headers=headers, files={"file": ("a.xlsx", b"PK\x03\x04garbage", "application/zip")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "import_file_invalid"
    r = await client.post(url, headers=headers, files={"file": ("a.csv", "楼栋,单元,房号\n".encode(), "text/csv")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "import_header_missing"
    assert r.json()["error"]["details"]["missing"] == ["楼层", "建筑面积(㎡)"]
    monkeypatch.setattr(get_settings(), "import_max_bytes", 100)
    r = await client.post(url, headers=headers, files={"file": ("a.csv", DEMO, "text/csv")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


async def test_unit_correction_matches_people_within_the_estate_only(client, db, world):
    # A phone-less 王芳 in estate B, and a 张伟 with a phone in another unit of estate A.
    wang_b = (await f.owner(db, world.b.unit, name="王芳", phone=None, relation=OccupantRelation.tenant)).id
    zhang_a = (await f.owner(db, await f.unit(db, world.a.entrance, world.a.estate.id), name="张伟",
                             phone="13711112222")).id
    headers = await _staff(db, world.a, Role.grid_worker)
    url = f"{API}/units/{world.a.unit.id}"
    body = {"occupants": [{"name": "黄军强", "phone": "13184986729", "relation": "owner"},
                          {"name": "王芳", "relation": "co_owner"}, {"name": "张伟", "relation": "co_owner"}]}
    r = await client.patch(url, headers=headers, json=body)
    assert r.status_code == 200, r.text
    people = {o["name"]: o for o in r.json()["occupants"]}
    assert people["王芳"]["person_id"] != str(wang_b)
    assert people["张伟"]["person_id"] != str(zhang_a) and people["张伟"]["phone"] is None
    # Sent again, everyone keeps their record: the unit's own people are the estate's people.
    again = await client.patch(url, headers=headers, json=body)
    assert {o["name"]: o["person_id"] for o in again.json()["occupants"]} == {
        name: o["person_id"] for name, o in people.items()
    }
    body["occupants"][1]["relation"] = "owner"
    r = await client.patch(url, headers=headers, json=body)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["type"] == "owner_multiple"
    assert r.json()["error"]["details"][0]["msg"] == "每户只能登记一位业主，其他产权人请登记为共有人"


async def test_export_keeps_formula_like_text_as_text_and_round_trips(client, db, world):
    headers = await _staff(db, world.a)
    estate_url, room = f"{API}/estates/{world.a.estate.id}", world.a.unit.room_number
    note = '=HYPERLINK("http://evil.example","点我")'
    r = await client.patch(f"{API}/units/{world.a.unit.id}", headers=headers, json={"note": note, "occupants": [
        {"name": "=1+2", "phone": "13184986729", "relation": "owner"},
        {"name": "@SUM(A1)", "phone": "13900001111", "relation": "co_owner"},
        {"name": "-李四", "relation": "co_owner"}, {"name": "+租客", "relation": "tenant"}]})
    assert r.status_code == 200, r.text

    xlsx = (await client.get(f"{estate_url}/registry-export", headers=headers, params={"format": "xlsx"})).content
    sheet = load_workbook(io.BytesIO(xlsx)).worksheets[0]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[3].value == room)
    assert [(c.value, c.data_type) for c in (row[5], row[7], row[8])] == [
        ("=1+2", "s"), ("-李四、@SUM(A1)(13900001111)", "s"), (note, "s")
    ]
    csv_text = (await client.get(f"{estate_url}/registry-export", headers=headers, params={"format": "csv"})).text
    line = next(csv.reader(io.StringIO(csv_text.splitlines()[1])))
    assert (line[5], line[7], line[8]) == ("'=1+2", "'-李四、@SUM(A1)(13900001111)", "'" + note)

    for fmt, content in (("xlsx", xlsx), ("csv", csv_text.encode())):
        r = await client.post(f"{estate_url}/registry-imports", headers=headers,
                              files={"file": (f"export.{fmt}", content, "application/octet-stream")})
        assert r.json() == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}, fmt


async def test_export_writes_every_owner(client, db, world):
    # Two owner links on one unit (possible before PATCH refused them): both stay in the ledger.
    second = await f.owner(db, world.a.unit, name="邱华", phone="13515636137")
    second_id, unit_id = second.id, world.a.unit.id
    headers = await _staff(db, world.a)
    estate_url = f"{API}/estates/{world.a.estate.id}"
    export = await client.get(f"{estate_url}/registry-export", headers=headers, params={"format": "csv"})
    line = next(csv.reader(io.StringIO(export.text.splitlines()[1])))
    assert (line[5], line[6], line[7]) == ("黄军强", "13184986729", "邱华(13515636137)")
    r = await client.post(f"{estate_url}/registry-imports", headers=headers,
                          files={"file": ("export.csv", export.content, "text/csv")})
    assert r.json()["updated"] == 1  # the second owner is now recorded as a co-owner...
    detail = (await client.get(f"{API}/units/{unit_id}", headers=headers)).json()
    assert sorted((o["name"], o["relation"]) for o in detail["occupants"]) == [("邱华", "co_owner"), ("黄军强", "owner")]
    assert second_id in {uuid.UUID(o["person_id"]) for o in detail["occupants"]}  # ...and is the same person
