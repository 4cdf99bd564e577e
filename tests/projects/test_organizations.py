"""Organisation links and the contractor a project under construction cannot lose."""

import pytest

from app.projects.models import ProjectOrganizationRole, ProjectStatus
from tests import factories as f

API = "/api/v1"


async def _links(client, headers, pid):
    r = await client.get(f"{API}/projects/{pid}/organizations", headers=headers)
    assert r.status_code == 200, r.text
    return {(o["organization_id"], o["role"]): o["id"] for o in r.json()["items"]}


@pytest.mark.parametrize("status", ["constructing", "accepting", "accepted", "maintaining"])
async def test_the_last_contractor_cannot_be_unlinked_once_construction_started(client, db, world, status):
    staff = await world.headers_for(db, "street_staff:in")
    project = await f.project(db, world.a.estate_id, status=ProjectStatus(status))
    pid = project.id
    first = await f.project_organization(db, pid, world.a.organization_id, ProjectOrganizationRole.contractor)
    designer = await f.project_organization(db, pid, world.a.designer_id, ProjectOrganizationRole.designer)
    first_id, designer_id = first.id, designer.id

    r = await client.delete(f"{API}/projects/{pid}/organizations/{first_id}", headers=staff)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "contractor_required"
    assert r.json()["error"]["details"] == {"status": status}
    r = await client.delete(f"{API}/projects/{pid}/organizations/{first_id}", headers=staff | {"Accept-Language": "en"})
    assert r.json()["error"]["message"].startswith("Once construction has started")
    # Other roles come and go; a contractor can be replaced by linking the new one first.
    assert (await client.delete(f"{API}/projects/{pid}/organizations/{designer_id}", headers=staff)).status_code == 204
    successor = await f.organization(db)
    r = await client.post(f"{API}/projects/{pid}/organizations", headers=staff,
                          json={"organization_id": str(successor.id), "role": "contractor"})
    assert r.status_code == 201, r.text
    successor_link = r.json()["id"]
    assert (await client.delete(f"{API}/projects/{pid}/organizations/{first_id}", headers=staff)).status_code == 204
    r = await client.delete(f"{API}/projects/{pid}/organizations/{successor_link}", headers=staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "contractor_required"
    assert set(await _links(client, staff, pid)) == {(str(successor.id), "contractor")}


@pytest.mark.parametrize("status", ["surveying", "designing", "voting", "approved", "rejected"])
async def test_before_construction_the_contractor_may_be_unlinked(client, db, world, status):
    """Until construction starts the link is not yet relied on: approved -> constructing checks it then."""
    staff = await world.headers_for(db, "street_staff:in")
    project = await f.project(db, world.a.estate_id, status=ProjectStatus(status))
    link = await f.project_organization(db, project.id, world.a.organization_id, ProjectOrganizationRole.contractor)
    pid, link_id = project.id, link.id
    assert (await client.delete(f"{API}/projects/{pid}/organizations/{link_id}", headers=staff)).status_code == 204
    assert await _links(client, staff, pid) == {}


async def test_another_streets_organisation_cannot_be_linked(client, db, world):
    """Linking B's contractor to A's project would let A's staff reach into B's contractor accounts."""
    staff = await world.headers_for(db, "street_staff:in")
    r = await client.post(f"{API}/projects/{world.a.project_id}/organizations", headers=staff,
                          json={"organization_id": str(world.b.organization_id), "role": "contractor"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "organization_outside_street"
    city_level = await f.organization(db)  # registered by an admin for every street
    r = await client.post(f"{API}/projects/{world.a.project_id}/organizations", headers=staff,
                          json={"organization_id": str(city_level.id), "role": "supervision"})
    assert r.status_code == 201
    # And B's street still alone manages B's contractor accounts.
    target = await f.user(db)
    r = await client.post(f"/api/v1/users/{target.id}/roles", headers=staff,
                          json={"role": "contractor", "scope_id": str(world.b.organization_id)})
    assert r.status_code in (403, 422)
    r = await client.post(f"/api/v1/users/{target.id}/roles", headers=await world.headers_for(db, "street_staff:out"),
                          json={"role": "contractor", "scope_id": str(world.b.organization_id)})
    assert r.status_code == 201
