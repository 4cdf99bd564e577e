"""Projects CRUD, the renovation menu, item selection rules, progress reports and the weighted total."""

import io

from PIL import Image
from sqlalchemy import text
from sqlmodel import select

from app.core.models import AuditEntry
from app.projects.catalog import MENU
from app.projects.models import ItemProgress, ProjectStatus
from tests import factories as f

API = "/api/v1"


def _png(color: tuple[int, int, int]) -> bytes:
    """A small real image: uploads are decoded, so a bare signature is not enough."""
    out = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(out, format="PNG")
    return out.getvalue()


def _item(code, cost=100, funding="local", **kw):
    return {"item_code": code, "estimated_cost_fen": cost, "funding_source": funding, **kw}


async def test_catalog_equals_the_rows_the_migration_seeded(db):
    rows = (await db.exec(text("SELECT code, category, name, description, sort_order FROM renovation_item "
                               "ORDER BY sort_order"))).all()
    assert [(r.code, r.category, r.name, r.description) for r in rows] == [
        (code, category.value, name, description) for code, category, name, description in MENU
    ]
    assert [r.sort_order for r in rows] == list(range(1, len(MENU) + 1))


async def test_menu_for_any_logged_in_user(client, db, world):
    headers = await f.headers(db, await f.user(db))  # no role, no binding
    r = await client.get(f"{API}/renovation-items", headers=headers)
    assert r.status_code == 200
    assert [i["code"] for i in r.json()["items"]] == [code for code, *_ in MENU]
    r = await client.get(f"{API}/renovation-items", headers=headers, params={"category": "upgrade"})
    assert {i["category"] for i in r.json()["items"]} == {"upgrade"} and len(r.json()["items"]) == 5
    assert r.json()["items"][0]["name"] == "养老服务设施"
    assert (await client.get(f"{API}/renovation-items")).status_code == 401


async def test_create_update_and_list_filters(client, db, world):
    staff = await world.headers_for(db, "street_staff:in")
    a = world.a
    r = await client.post(f"{API}/projects", headers=staff, json={"estate_id": str(a.estate_id), "name": " 二期 ",
                                                                  "description": "屋面与管网"})
    assert r.status_code == 201
    pid = r.json()["id"]
    assert r.json()["name"] == "二期" and r.json()["created_by"]
    r = await client.patch(f"{API}/projects/{pid}", headers=staff, json={"year": 2026, "description": None})
    assert r.status_code == 200 and (r.json()["year"], r.json()["description"], r.json()["name"]) == (2026, None, "二期")
    r = await client.patch(f"{API}/projects/{pid}", headers=staff, json={"status": "approved"})
    assert r.status_code == 422  # the status changes only through transitions
    r = await client.patch(f"{API}/projects/{pid}", headers=staff, json={"name": None})
    assert r.status_code == 422
    actions = (await db.exec(select(AuditEntry.action).where(AuditEntry.entity_id == pid).order_by(AuditEntry.id))).all()
    assert actions == ["project.create", "project.update"]

    await f.project(db, a.estate_id, status=ProjectStatus.voting)
    r = await client.get(f"{API}/projects", headers=staff, params={"estate_id": str(a.estate_id)})
    assert len(r.json()["items"]) == 3
    r = await client.get(f"{API}/projects", headers=staff, params={"status": "voting"})
    assert [p["status"] for p in r.json()["items"]] == ["voting"]
    r = await client.get(f"{API}/projects", headers=staff, params={"estate_id": str(world.b.estate_id)})
    assert r.json()["items"] == []  # another street's estate: filtered, not revealed
    r = await client.get(f"{API}/projects", headers=staff, params={"limit": 2})
    second = await client.get(f"{API}/projects", headers=staff, params={"limit": 2, "cursor": r.json()["next_cursor"]})
    assert len({p["id"] for p in r.json()["items"] + second.json()["items"]}) == 3


async def test_create_in_an_unknown_or_foreign_estate(client, db, world):
    staff = await world.headers_for(db, "community_staff:in")
    r = await client.post(f"{API}/projects", headers=staff, json={"estate_id": str(world.b.estate_id), "name": "x"})
    assert r.status_code == 404


async def test_replace_items_rules(client, db, world):
    staff = await world.headers_for(db, "community_staff:in")
    pid = world.a.project_id
    url = f"{API}/projects/{pid}/items"
    r = await client.put(url, headers=staff, json=[_item("basic.roads", 300), _item("basic.gas", 100, "utilities")])
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(i["item_code"], i["name"], i["category"]) for i in body["items"]] == [
        ("basic.gas", "燃气管道改造", "basic"), ("basic.roads", "小区道路改造", "basic")]
    assert body["total_estimated_cost_fen"] == 400
    assert body["progress"] == {"numerator": 0, "denominator": 1, "percent": "0.0"}
    roads_id = next(i["id"] for i in body["items"] if i["item_code"] == "basic.roads")

    r = await client.put(url, headers=staff, json=[_item("basic.roads", 500, "special_bonds", scope_note="主干道")])
    items = r.json()["items"]
    assert [(i["id"], i["estimated_cost_fen"], i["funding_source"], i["scope_note"]) for i in items] == [
        (roads_id, 500, "special_bonds", "主干道")]  # kept by code: same id

    for bad, code in (([_item("basic.teleporter")], "renovation_item_unknown"),
                      ([_item("basic.roads"), _item("basic.roads")], "renovation_item_duplicate"),
                      ([_item("basic.roads", -1)], "validation_error"),
                      ([_item("basic.roads", 1.5)], "validation_error"),
                      ([_item("basic.roads", funding="lottery")], "validation_error"),
                      ({"selection": []}, "validation_error"),  # neither a list nor the GET shape
                      ({"items": [_item("basic.roads", -1)]}, "validation_error")):
        r = await client.put(url, headers=staff, json=bad)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, (bad, r.text)
    r = await client.put(url, headers=staff, json=[_item("basic.teleporter")])
    assert r.json()["error"]["details"] == {"item_codes": ["basic.teleporter"]}

    r = await client.put(url, headers=staff, json=[])
    assert r.status_code == 200 and r.json()["items"] == []  # an empty selection is allowed while designing


async def test_items_are_locked_once_published(client, db, world):
    staff = await world.headers_for(db, "admin")
    for status in ("publicizing", "voting", "approved", "constructing", "accepting", "accepted", "maintaining"):
        project = await f.project(db, world.a.estate_id, status=ProjectStatus(status))
        r = await client.put(f"{API}/projects/{project.id}/items", headers=staff, json=[_item("basic.roads")])
        assert r.status_code == 409 and r.json()["error"]["code"] == "project_items_locked", status
    for status in ("surveying", "designing", "rejected"):
        project = await f.project(db, world.a.estate_id, status=ProjectStatus(status))
        r = await client.put(f"{API}/projects/{project.id}/items", headers=staff, json=[_item("basic.roads")])
        assert r.status_code == 200, status


async def test_an_item_with_progress_cannot_be_removed(client, db, world):
    staff = await world.headers_for(db, "admin")
    # A project sent back to design after construction had started on the roads (an edge case of data
    # migrated from elsewhere): the history must not disappear with the item.
    project = await f.project(db, world.a.estate_id, status=ProjectStatus.rejected)
    pid = project.id
    roads = await f.project_item(db, pid, "basic.roads", progress_percent=0)
    db.add(ItemProgress(project_item_id=roads.id, percent=0, note="开工"))
    await f.project_item(db, pid, "basic.gas", progress_percent=20)
    await f.project_item(db, pid, "basic.power")
    await db.flush()
    r = await client.put(f"{API}/projects/{pid}/items", headers=staff, json=[_item("basic.power")])
    assert r.status_code == 409 and r.json()["error"]["code"] == "project_item_has_progress"
    assert r.json()["error"]["details"] == {"item_codes": ["basic.gas", "basic.roads"]}
    r = await client.put(f"{API}/projects/{pid}/items", headers=staff,
                         json=[_item("basic.roads"), _item("basic.gas")])
    assert r.status_code == 200  # removing only the untouched item is fine


async def test_progress_reports_history_and_weighted_total(client, db, world):
    staff = await world.headers_for(db, "community_staff:in")
    contractor = await world.headers_for(db, "contractor:in")
    project = await f.project(db, world.a.estate_id, status=ProjectStatus.constructing)
    pid = project.id
    await f.project_organization(db, pid, world.a.organization_id)
    roof = (await f.project_item(db, pid, "basic.roof_waterproofing", estimated_cost_fen=300)).id
    lift = (await f.project_item(db, pid, "improvement.elevator", estimated_cost_fen=100)).id
    base = f"{API}/projects/{pid}/items"

    for percent, note in ((20, "防水层铺设"), (50, None)):
        r = await client.post(f"{base}/{roof}/progress", headers=contractor, json={"percent": percent, "note": note})
        assert r.status_code == 201, r.text
        assert r.json()["percent"] == percent and r.json()["file_ids"] == []
    r = await client.post(f"{base}/{lift}/progress", headers=staff, json={"percent": 100})
    assert r.status_code == 201
    for bad in ({"percent": 101}, {"percent": -1}, {"percent": 50.5}, {}):
        r = await client.post(f"{base}/{lift}/progress", headers=staff, json=bad)
        assert r.status_code == 422, bad

    # (300 * 50 + 100 * 100) / (400 * 100) = 25000 / 40000 = 5/8
    body = (await client.get(base, headers=await world.headers_for(db, "resident:in"))).json()
    assert body["progress"] == {"numerator": 5, "denominator": 8, "percent": "62.5"}
    assert {i["item_code"]: i["progress_percent"] for i in body["items"]} == {
        "basic.roof_waterproofing": 50, "improvement.elevator": 100}

    r = await client.get(f"{base}/{roof}/progress", headers=staff, params={"limit": 1})
    first = r.json()
    assert [p["percent"] for p in first["items"]] == [20] and first["items"][0]["note"] == "防水层铺设"
    r = await client.get(f"{base}/{roof}/progress", headers=staff, params={"cursor": first["next_cursor"]})
    assert [p["percent"] for p in r.json()["items"]] == [50] and r.json()["next_cursor"] is None

    audited = (await db.exec(select(AuditEntry).where(AuditEntry.action == "project.item.progress",
                                                      AuditEntry.entity_id == str(roof))
                             .order_by(AuditEntry.id))).all()
    assert [(e.before["progress_percent"], e.after["progress_percent"]) for e in audited] == [(0, 20), (20, 50)]

    # Outside construction a report is refused.
    other = await f.project(db, world.a.estate_id, status=ProjectStatus.accepting)
    item = await f.project_item(db, other.id)
    r = await client.post(f"{API}/projects/{other.id}/items/{item.id}/progress", headers=staff, json={"percent": 10})
    assert r.status_code == 409 and r.json()["error"]["code"] == "project_not_constructing"


async def test_equal_weights_when_nothing_is_priced(client, db, world):
    staff = await world.headers_for(db, "admin")
    project = await f.project(db, world.a.estate_id, status=ProjectStatus.constructing)
    await f.project_item(db, project.id, "basic.roads", estimated_cost_fen=0, progress_percent=100)
    await f.project_item(db, project.id, "basic.gas", estimated_cost_fen=0, progress_percent=0)
    await f.project_item(db, project.id, "basic.power", estimated_cost_fen=0, progress_percent=0)
    body = (await client.get(f"{API}/projects/{project.id}/items", headers=staff)).json()
    assert body["progress"] == {"numerator": 1, "denominator": 3, "percent": "33.3"}


async def test_progress_photos_are_readable_with_the_project(client, db, world):
    contractor_user = await world.user_for(db, "contractor:in")
    contractor = await f.headers(db, contractor_user)
    project = await f.project(db, world.a.estate_id, status=ProjectStatus.constructing)
    pid = project.id
    await f.project_organization(db, pid, world.a.organization_id)
    item_id = (await f.project_item(db, pid)).id
    url = f"{API}/projects/{pid}/items/{item_id}/progress"

    r = await client.post(f"{API}/files", headers=contractor, files={"file": ("p.png", _png((200, 30, 30)), "image/png")})
    assert r.status_code == 201, r.text
    file_id = r.json()["id"]
    someone_else = await f.headers(db, await f.user(db))
    r = await client.post(f"{API}/files", headers=someone_else, files={"file": ("q.png", _png((30, 200, 30)), "image/png")})
    foreign_file = r.json()["id"]

    r = await client.post(url, headers=contractor, json={"percent": 40, "file_ids": [foreign_file]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "file_not_usable"
    r = await client.post(url, headers=contractor, json={"percent": 40, "file_ids": [file_id, file_id]})
    assert r.status_code == 201 and r.json()["file_ids"] == [file_id]

    resident_in = await world.headers_for(db, "resident:in")
    resident_out = await world.headers_for(db, "resident:out")
    assert (await client.get(f"{API}/files/{file_id}", headers=resident_in)).status_code == 200
    assert (await client.get(f"{API}/files/{file_id}", headers=resident_out)).status_code == 404


async def test_organization_links(client, db, world):
    staff = await world.headers_for(db, "street_staff:in")
    pid = world.a.project_id
    url = f"{API}/projects/{pid}/organizations"
    r = await client.get(url, headers=staff)
    assert sorted((o["role"], o["organization_kind"]) for o in r.json()["items"]) == [
        ("contractor", "contractor"), ("designer", "designer")]
    r = await client.post(url, headers=staff, json={"organization_id": str(world.a.organization_id), "role": "contractor"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "organization_already_linked"
    r = await client.post(url, headers=staff, json={"organization_id": str(pid), "role": "contractor"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "organization_unknown"
    city_level = (await f.organization(db)).id  # serves every street
    r = await client.post(url, headers=staff, json={"organization_id": str(city_level), "role": "supervision"})
    assert r.status_code == 201 and r.json()["role"] == "supervision"
    link_id = r.json()["id"]
    assert (await client.delete(f"{url}/{link_id}", headers=staff)).status_code == 204
    assert (await client.delete(f"{url}/{link_id}", headers=staff)).status_code == 404
    actions = (await db.exec(select(AuditEntry.action).where(AuditEntry.entity_id == link_id).order_by(AuditEntry.id))).all()
    assert actions == ["project.organization.link", "project.organization.unlink"]
    kinds = [e["kind"] for e in (await client.get(f"{API}/projects/{pid}/timeline", headers=staff)).json()["items"]]
    assert kinds == ["organization_linked", "organization_unlinked"]


async def test_item_costs_beyond_32_bits_are_kept_exactly(client, db, world):
    """30 million yuan is 3e9 fen, past int4; the column is BIGINT and the total stays exact."""
    staff = await world.headers_for(db, "community_staff:in")
    url = f"{API}/projects/{world.a.project_id}/items"
    big = 30_000_000_00
    r = await client.put(url, headers=staff, json=[_item("basic.water_supply", big), _item("basic.gas", big + 1)])
    assert r.status_code == 200, r.text
    assert r.json()["total_estimated_cost_fen"] == 2 * big + 1
    r = await client.get(url, headers=staff)
    assert sorted(i["estimated_cost_fen"] for i in r.json()["items"]) == [big, big + 1]
    r = await client.put(url, headers=staff, json=[_item("basic.gas", 10**12 + 1)])
    assert r.status_code == 422


async def test_put_takes_back_the_object_get_answers(client, db, world):
    staff = await world.headers_for(db, "community_staff:in")
    url = f"{API}/projects/{world.a.project_id}/items"
    assert (await client.put(url, headers=staff, json=[_item("basic.roads", 100_00)])).status_code == 200
    got = (await client.get(url, headers=staff)).json()
    got["items"][0]["estimated_cost_fen"] = 250_00
    got["items"][0]["name"] = "客户端改的名字"  # read-only fields are taken and ignored
    r = await client.put(url, headers=staff, json=got)
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["estimated_cost_fen"] == 250_00 and r.json()["items"][0]["name"] != "客户端改的名字"
    assert r.json()["total_estimated_cost_fen"] == 250_00
    unknown = await client.put(url, headers=staff, json={"items": [{**got["items"][0], "status": "done"}]})
    assert unknown.status_code == 422  # anything else unknown is still refused
