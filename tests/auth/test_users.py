"""Staff accounts and role assignment through the API."""

import uuid

import pytest

from app.auth.roles import Role
from tests import factories as f
from tests.auth.conftest import API, staff_headers
from tests.explain import statements, whole_reads


async def _assign(client, h, user_id, role, scope_id):
    body = {"role": role, "scope_id": str(scope_id) if scope_id else None}
    return await client.post(f"{API}/users/{user_id}/roles", json=body, headers=h)


async def _new_user(client, h, phone):
    r = await client.post(f"{API}/users", json={"display_name": "新同事", "phone": phone, "password": "long enough"}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


async def test_create_user_then_login(client, db, tree):
    h = await staff_headers(db, (Role.community_staff, tree.community.id))
    u = await _new_user(client, h, "13500000001")
    assert u["has_password"] and u["roles"] == [] and "password" not in str(u).replace("has_password", "")
    r = await client.post(f"{API}/auth/login", json={"phone": "13500000001", "password": "long enough"})
    assert r.status_code == 200
    dup = await client.post(f"{API}/users", json={"display_name": "x", "phone": "13500000001", "password": "long enough"}, headers=h)
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "phone_in_use"
    short = await client.post(f"{API}/users", json={"display_name": "x", "phone": "13500000002", "password": "short"}, headers=h)
    assert short.status_code == 422
    gw = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    forbidden = await client.post(f"{API}/users", json={"display_name": "x", "phone": "13500000003", "password": "long enough"}, headers=gw)
    assert forbidden.status_code == 403


@pytest.mark.parametrize(
    "assigner,role,target,status",
    [
        ("admin", "street_staff", "street", 201),
        ("admin", "admin", None, 201),
        ("street", "community_staff", "community", 201),
        ("street", "grid_worker", "grid", 201),
        ("street", "committee_member", "estate", 201),
        ("street", "contractor", "organization", 201),  # registered by this street
        ("street", "contractor", "city_organization", 403),  # city-level: admins' alone
        ("street", "contractor", "other_street_organization", 403),  # another street's
        ("admin", "contractor", "city_organization", 201),
        ("admin", "contractor", "other_street_organization", 201),
        ("street", "supervisor", "project", 201),
        ("community", "supervisor", "project", 201),
        ("community", "supervisor", "other_project", 422),  # another community's project: unseen
        ("street", "community_staff", "other_community", 422),  # outside what they read: as if missing
        ("street", "street_staff", "street", 403),
        ("street", "admin", None, 403),
        ("community", "grid_worker", "grid", 201),
        ("community", "committee_member", "estate", 201),
        ("community", "community_staff", "community", 403),
        ("community", "committee_member", "other_estate", 422),
        ("community", "contractor", "organization", 403),
        ("admin", "supervisor", "estate", 422),  # a supervisor's scope is a project
        ("admin", "resident", "unit", 422),
        ("admin", "grid_worker", "estate", 422),  # an estate is not a grid
        ("admin", "grid_worker", "nothing", 422),
        ("admin", "street_staff", None, 422),
    ],
)
async def test_assignment_matrix(client, db, tree, assigner, role, target, status):
    orgs = {"organization": await f.organization(db, street_id=tree.street.id),
            "city_organization": await f.organization(db),
            "other_street_organization": await f.organization(db, street_id=tree.other_street.id)}
    project = await f.project(db, tree.estate.id)
    other_project = await f.project(db, tree.other_estate.id)
    org = orgs["organization"]
    scopes = {
        "street": tree.street.id, "community": tree.community.id, "other_community": tree.other_community.id,
        "grid": tree.grid.id, "estate": tree.estate.id, "other_estate": tree.other_estate.id,
        "organization": org.id, "city_organization": orgs["city_organization"].id,
        "other_street_organization": orgs["other_street_organization"].id, "project": project.id,
        "other_project": other_project.id, "unit": tree.unit.id, "nothing": uuid.uuid4(), None: None,
    }
    assigner_roles = {
        "admin": (Role.admin, None), "street": (Role.street_staff, tree.street.id),
        "community": (Role.community_staff, tree.community.id),
    }
    h = await staff_headers(db, assigner_roles[assigner])
    target_user = await f.user(db)
    target_id = target_user.id
    await db.commit()
    r = await _assign(client, h, target_id, role, scopes[target])
    assert r.status_code == status, r.text
    if status == 201:
        assert r.json()["role"] == role and r.json()["scope_id"] == (str(scopes[target]) if scopes[target] else None)
        again = await _assign(client, h, target_id, role, scopes[target])
        assert again.status_code == 409 and again.json()["error"]["code"] == "role_exists"
    else:
        code = {403: "role_not_assignable", 422: "role_scope_invalid"}[status]
        assert r.json()["error"]["code"] == code


async def test_supervisor_needs_an_existing_project(client, db, tree):
    h = await staff_headers(db, (Role.admin, None))
    target = (await f.user(db)).id
    await db.commit()
    r = await _assign(client, h, target, "supervisor", uuid.uuid4())
    assert r.status_code == 422 and "project" in r.json()["error"]["details"]["reason"]


async def test_assigned_role_works_and_can_be_revoked(client, db, tree):
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    new = await _new_user(client, sh, "13500000010")
    r = await _assign(client, sh, new["id"], "grid_worker", tree.grid.id)
    assert r.status_code == 201 and r.json()["scope_name"] == tree.grid.name
    login = (await client.post(f"{API}/auth/login", json={"phone": "13500000010", "password": "long enough"})).json()
    assert login["user"]["roles"] == ["grid_worker"]

    user = (await client.get(f"{API}/users/{new['id']}", headers=sh)).json()
    assert [x["role"] for x in user["roles"]] == ["grid_worker"]
    # Staff of another community do not see the user: not found, as if there were no such user.
    other = await staff_headers(db, (Role.community_staff, tree.other_community.id))
    denied = await client.delete(f"{API}/users/{new['id']}/roles/{r.json()['id']}", headers=other)
    assert denied.status_code == 404 and denied.json()["error"]["code"] == "not_found"
    assert (await client.delete(f"{API}/users/{new['id']}/roles/{r.json()['id']}", headers=sh)).status_code == 204
    gone = await client.delete(f"{API}/users/{new['id']}/roles/{r.json()['id']}", headers=sh)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "role_not_found"


async def test_user_visibility(client, db, tree):
    admin_h = await staff_headers(db, (Role.admin, None))
    street_h = await staff_headers(db, (Role.street_staff, tree.street.id))
    comm_h = await staff_headers(db, (Role.community_staff, tree.community.id))
    mine = await f.user(db, (Role.grid_worker, tree.grid.id))
    committee = await f.user(db, (Role.committee_member, tree.estate.id))
    theirs = await f.user(db, (Role.grid_worker, tree.other_grid.id), (Role.community_staff, tree.other_community.id))
    far = await f.user(db, (Role.community_staff, tree.other_community.id))
    resident = await f.user(db)  # no password, no role
    ids = {k: str(v.id) for k, v in dict(mine=mine, committee=committee, theirs=theirs, far=far, resident=resident).items()}
    await db.commit()

    async def listed(h):
        out, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(f"{API}/users", params=params, headers=h)).json()
            out += [u["id"] for u in page["items"]]
            if not (cursor := page["next_cursor"]):
                return out

    admin_sees = await listed(admin_h)
    assert len(admin_sees) == len(set(admin_sees))
    assert {ids["mine"], ids["committee"], ids["theirs"], ids["far"]} <= set(admin_sees)
    assert ids["resident"] not in admin_sees
    comm_sees = set(await listed(comm_h))
    assert {ids["mine"], ids["committee"], ids["theirs"]} <= comm_sees  # other_grid is in the same community
    assert ids["far"] not in comm_sees
    assert ids["far"] not in set(await listed(street_h))
    r = await client.get(f"{API}/users/{ids['far']}", headers=comm_h)
    assert r.status_code == 404
    assert (await client.get(f"{API}/users/{ids['far']}", headers=admin_h)).status_code == 200
    gw_h = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    assert (await client.get(f"{API}/users", headers=gw_h)).status_code == 403


async def test_lists_of_staff_read_no_residents_account(client, db, tree):
    """An admin's list (every account with a password or a role) and a community's (the holders of its
    roles) are found from the staff's accounts and roles, through indexes: before migration 0026 they read
    every account in the city, residents' included, to find them."""
    admin_h = await staff_headers(db, (Role.admin, None))
    comm_h = await staff_headers(db, (Role.community_staff, tree.community.id))
    worker = await f.user(db, (Role.grid_worker, tree.grid.id))  # a role, no password
    for _ in range(3):
        await f.user(db)  # residents: neither
    await db.commit()
    hired = await _new_user(client, admin_h, "13500000009")  # a password, no role yet
    with statements(db) as seen:
        admin_sees = (await client.get(f"{API}/users", params={"limit": 100}, headers=admin_h)).json()["items"]
        comm_sees = (await client.get(f"{API}/users", params={"limit": 100}, headers=comm_h)).json()["items"]
    assert {str(worker.id), hired["id"]} <= {u["id"] for u in admin_sees}
    assert all(u["has_password"] or u["roles"] for u in admin_sees)
    assert str(worker.id) in {u["id"] for u in comm_sees} and hired["id"] not in {u["id"] for u in comm_sees}
    assert any("app_user" in s for s, _ in seen)
    assert await whole_reads(db, seen) == {}


async def test_scope_outside_the_assigners_view_answers_as_missing(client, db, tree):
    h = await staff_headers(db, (Role.community_staff, tree.community.id))
    target = (await f.user(db)).id
    await db.commit()
    for role, hidden in (("committee_member", tree.other_estate.id), ("grid_worker", uuid.uuid4())):
        unseen = await _assign(client, h, target, role, hidden)
        missing = await _assign(client, h, target, role, uuid.uuid4())
        assert unseen.status_code == missing.status_code == 422
        assert unseen.json() == missing.json()


async def test_users_outside_the_assigners_view_are_not_found(client, db, tree):
    h = await staff_headers(db, (Role.community_staff, tree.community.id))
    # Holds a role in another street's community: outside this community staff member's view.
    elsewhere = await f.user(db, (Role.community_staff, tree.other_community.id))
    peer = await f.user(db, (Role.community_staff, tree.community.id))
    elsewhere_id, peer_id = elsewhere.id, peer.id
    await db.commit()
    for user_id in (elsewhere_id, uuid.uuid4()):
        r = await _assign(client, h, user_id, "grid_worker", tree.grid.id)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    # A visible peer whose role the caller may not take away: a plain refusal.
    listed = (await client.get(f"{API}/users/{peer_id}", headers=h)).json()
    r = await client.delete(f"{API}/users/{peer_id}/roles/{listed['roles'][0]['id']}", headers=h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_not_assignable"


@pytest.mark.parametrize("holder, role, scope", [
    ((Role.admin, None), "supervisor", "project"),
    ((Role.admin, None), "admin", None),
    ((Role.community_staff, "community"), "committee_member", "estate"),
    ((Role.community_staff, "community"), "grid_worker", "grid"),
    ((Role.street_staff, "street"), "contractor", "organization"),
])
async def test_nobody_assigns_a_role_to_themselves(client, db, tree, holder, role, scope):
    """Oversight and contractor roles above all: the assignee is never the assigner."""
    organization = await f.organization(db, street_id=tree.street.id)
    project = await f.project(db, tree.estate.id)
    ids = {"community": tree.community.id, "street": tree.street.id, "estate": tree.estate.id, "grid": tree.grid.id,
           "project": project.id, "organization": organization.id, None: None}
    me = await f.user(db, (holder[0], ids[holder[1]]))
    h = await f.headers(db, me)
    await db.commit()
    r = await _assign(client, h, me.id, role, ids[scope])
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_self_assignment"
    # The same assignment to someone else goes through: only the self-assignment was refused.
    other = await f.user(db)
    await db.commit()
    assert (await _assign(client, h, other.id, role, ids[scope])).status_code == 201


async def test_street_staff_see_their_streets_contractors_and_only_the_roles_in_their_scope(client, db, tree):
    """Street staff listing /users saw every street's contractor accounts, and a user's roles everywhere."""
    street_h = await staff_headers(db, (Role.street_staff, tree.street.id))
    ours = await f.organization(db, street_id=tree.street.id)
    theirs = await f.organization(db, street_id=tree.other_street.id)
    our_contractor = await f.user(db, (Role.contractor, ours.id))
    their_contractor = await f.user(db, (Role.contractor, theirs.id))
    # A grid worker here who is also community staff in another street.
    both = await f.user(db, (Role.grid_worker, tree.grid.id), (Role.community_staff, tree.other_community.id))
    ids = {k: str(v.id) for k, v in dict(ours=our_contractor, theirs=their_contractor, both=both).items()}
    await db.commit()
    listed = {u["id"]: u for u in (await client.get(f"{API}/users", params={"limit": 100}, headers=street_h)).json()["items"]}
    assert ids["ours"] in listed and ids["theirs"] not in listed
    assert (await client.get(f"{API}/users/{ids['theirs']}", headers=street_h)).status_code == 404
    detail = (await client.get(f"{API}/users/{ids['both']}", headers=street_h)).json()
    assert [(r["role"], r["scope_id"]) for r in detail["roles"]] == [("grid_worker", str(tree.grid.id))]
    assert [r["role"] for r in listed[ids["both"]]["roles"]] == ["grid_worker"]
    admin_h = await staff_headers(db, (Role.admin, None))
    assert len((await client.get(f"{API}/users/{ids['both']}", headers=admin_h)).json()["roles"]) == 2
