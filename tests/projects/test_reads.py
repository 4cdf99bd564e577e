"""The projects domain's read API and scope kinds, as supervision, acceptance and auth use them."""

import pytest

from app.auth.roles import ScopeType
from app.auth.scopes import ScopeKind, install, scope_kind
from app.core.errors import AppError
from app.projects import reads
from app.projects.models import ProjectOrganizationRole, ProjectStatus
from tests import factories as f
from tests.worlds import World


async def test_project_items_and_organizations(db, world: World):
    await f.project_item(db, world.a.project_id, "basic.roads", progress_percent=40)
    ref = await reads.project(db, world.a.project_id)
    assert (ref.id, ref.estate_id, ref.status) == (world.a.project_id, world.a.estate_id, ProjectStatus.surveying)
    [item] = await reads.items(db, world.a.project_id)
    assert (item.item_code, item.progress_percent) == ("basic.roads", 40) and item.name
    linked = await reads.organizations(db, world.a.project_id)
    assert [(o.organization_id, o.role) for o in linked] == [
        (world.a.organization_id, ProjectOrganizationRole.contractor),
        (world.a.designer_id, ProjectOrganizationRole.designer),
    ]
    contractors = await reads.organizations(db, world.a.project_id, ProjectOrganizationRole.contractor)
    assert [o.name for o in contractors] == [world.a.organization.name]
    assert await reads.project(db, world.b.organization_id) is None


async def test_require_project_answers_404_outside_and_403_below(db, world: World):
    resident = await world.principal_for(db, "resident:in")
    assert (await reads.require_project(db, resident, world.a.project_id, "read")).id == world.a.project_id
    with pytest.raises(AppError) as below:
        await reads.require_project(db, resident, world.a.project_id, "manage")
    assert below.value.status == 403
    with pytest.raises(AppError) as outside:
        await reads.require_project(db, resident, world.b.project_id, "read")
    assert outside.value.status == 404
    supervisor = await world.principal_for(db, "supervisor:in")
    visible = set((await db.exec(reads.project_ids(supervisor))).all())
    assert world.a.project_id in visible and world.b.project_id not in visible


async def test_every_role_scope_kind_is_installed_once(client):
    # ``client`` builds the app, which installs every domain's manifest.
    assert {t for t in ScopeType if scope_kind(t) is not None} == set(ScopeType) - {ScopeType.global_}
    with pytest.raises(ValueError, match="already installed"):
        install(ScopeKind(ScopeType.project, names=None))


async def test_a_supervisor_sees_the_estate_of_their_project_but_nobody_in_it(client, db, world):
    h = await world.headers_for(db, "supervisor:in")
    estate = await client.get(f"/api/v1/estates/{world.a.estate_id}", headers=h)
    assert estate.status_code == 200 and estate.json()["name"] == world.a.estate.name
    buildings = (await client.get(f"/api/v1/estates/{world.a.estate_id}/buildings", headers=h)).json()["items"]
    assert [b["id"] for b in buildings] == [str(world.a.building.id)]
    assert (await client.get(f"/api/v1/units/{world.a.unit.id}", headers=h)).status_code == 404  # no people
    assert (await client.get(f"/api/v1/estates/{world.b.estate_id}", headers=h)).status_code == 404
    me = (await client.get("/api/v1/me", headers=h)).json()
    assert [(r["role"], r["scope_name"]) for r in me["roles"]] == [("supervisor", world.a.project.name)]
