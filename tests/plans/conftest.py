"""Plans test harness: world A's project in ``designing`` with two menu items, an estate of four units
(1栋 101-103 in A's grid, 2栋 201 outside it) each with an owner, a tenant in 101, staff and a grid worker;
files stored in a temporary directory."""

from types import SimpleNamespace

import pytest
from sqlmodel import select

from app.auth.residence import BindingRelation
from app.auth.roles import Role
from app.files.storage import LocalStorage, get_storage
from app.projects.models import Project, ProjectStatus
from tests import factories as f

API = "/api/v1"
ROADS, ROOF = "basic.roads", "basic.roof_waterproofing"


@pytest.fixture
def app(app, tmp_path):
    app.dependency_overrides[get_storage] = lambda: LocalStorage(tmp_path / "files")
    return app


@pytest.fixture
async def estate(db, world):
    a = world.a
    project = (await db.exec(select(Project).where(Project.id == a.project_id))).one()
    project.status = ProjectStatus.designing
    db.add(project)
    await f.project_item(db, a.project_id, ROADS, estimated_cost_fen=1_200_000_00)
    await f.project_item(db, a.project_id, ROOF, estimated_cost_fen=345_678_90)
    b1 = await f.building(db, a.estate_id, a.grid_id, name="1栋")
    e1 = await f.entrance(db, b1.id, name="1单元")
    b2 = await f.building(db, a.estate_id, None, name="2栋")
    e2 = await f.entrance(db, b2.id, name="1单元")
    units = {room: await f.unit(db, e1, a.estate_id, room_number=room) for room in ("101", "102", "103")}
    units["201"] = await f.unit(db, e2, a.estate_id, room_number="201")
    owners = {}
    for room, unit in units.items():
        owners[room] = await f.user(db, display_name=f"业主{room}")
        await f.bind(db, owners[room], unit)
    tenant = await f.user(db, display_name="租户101")
    await f.bind(db, tenant, units["101"], BindingRelation.tenant)
    staff = await f.user(db, (Role.community_staff, a.community_id), display_name="社区王主任")
    grid_worker = await f.user(db, (Role.grid_worker, a.grid_id), display_name="网格员李")
    return SimpleNamespace(
        side=a, project_id=a.project_id, units={room: u.id for room, u in units.items()},
        staff=await f.headers(db, staff), staff_id=staff.id, grid=await f.headers(db, grid_worker),
        owners={room: await f.headers(db, u) for room, u in owners.items()},
        owner_ids={room: u.id for room, u in owners.items()}, tenant=await f.headers(db, tenant),
        world_unit=a.unit.id)


async def headers_now(db, user_id):
    """Fresh bearer headers for a user, issued at the current (perhaps moved) clock."""
    return await f.headers(db, SimpleNamespace(id=user_id))


async def draft(client, estate, **body):
    r = await client.post(f"{API}/projects/{estate.project_id}/plans", headers=estate.staff,
                          json={"title": "电力小区综合改造方案", "summary": "道路修缮与屋面防水。", **body})
    assert r.status_code == 201, r.text
    return r.json()


async def published(client, estate, **body):
    plan = await draft(client, estate, **body)
    r = await client.post(f"{API}/plans/{plan['id']}/publish", headers=estate.staff, json={})
    assert r.status_code == 200, r.text
    return r.json()


async def opinion(client, headers, plan, content="建议增加路灯", **body):
    return await client.post(f"{API}/plans/{plan['id']}/opinions", headers=headers, json={"content": content, **body})
