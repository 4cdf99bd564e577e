"""/me, phone binding through WeChat (with the cached access token) and /me/tasks."""

from sqlmodel import delete, select

from app.auth.models import Role, User
from app.residency.models import BindingStatus, UnitBinding
from app.wechat import fake
from app.wechat.models import WechatAccessToken
from tests import factories as f
from tests.auth.conftest import API, bearer, wechat_login


def _calls(path: str) -> int:
    return sum(1 for r in fake.state.requests if r["path"] == path)


TOKEN = "/cgi-bin/token"
PHONE_API = "/wxa/business/getuserphonenumber"


async def test_phone_binding_caches_access_token_and_refreshes_once_when_stale(client, db):
    await db.exec(delete(WechatAccessToken))  # none cached yet, whatever an earlier test left
    await db.commit()
    a, b, c = [await wechat_login(client, name) for name in ("p1", "p2", "p3")]
    r = await client.post(f"{API}/me/phone", json={"code": "phone:13700000001"}, headers=bearer(a))
    assert r.status_code == 200 and r.json()["phone"] == "13700000001"
    r = await client.post(f"{API}/me/phone", json={"code": "phone:13700000002"}, headers=bearer(b))
    assert r.status_code == 200
    assert _calls(TOKEN) == 1 and _calls(PHONE_API) == 2  # the token was cached in the database

    fake.state.expire_access_tokens()
    r = await client.post(f"{API}/me/phone", json={"code": "phone:13700000003"}, headers=bearer(c))
    assert r.status_code == 200 and r.json()["phone"] == "13700000003"
    assert _calls(TOKEN) == 2 and _calls(PHONE_API) == 4  # refused (40001), refreshed, retried


async def test_phone_in_use_is_not_merged(client, db):
    a = await wechat_login(client, "q1")
    b = await wechat_login(client, "q2")
    assert (await client.post(f"{API}/me/phone", json={"code": "phone:13700000011"}, headers=bearer(a))).status_code == 200
    r = await client.post(f"{API}/me/phone", json={"code": "phone:13700000011"}, headers=bearer(b))
    assert r.status_code == 409 and r.json()["error"]["code"] == "phone_in_use"
    me_b = (await client.get(f"{API}/me", headers=bearer(b))).json()
    assert me_b["phone"] is None
    # A staff account's phone is reported as such.
    await f.user(db, phone="13700000012", password="staff-password")
    r = await client.post(f"{API}/me/phone", json={"code": "phone:13700000012"}, headers=bearer(b))
    assert r.status_code == 409 and r.json()["error"]["code"] == "phone_in_use_staff"


async def test_phone_binding_errors(client, db):
    a = await wechat_login(client, "q3")
    r = await client.post(f"{API}/me/phone", json={"code": "invalid"}, headers=bearer(a))
    assert r.status_code == 400 and r.json()["error"]["code"] == "wechat_code_invalid"
    staff = await f.user(db, password="staff-password", phone="13700000099")
    await f.consent(db, staff)
    r = await client.post(f"{API}/me/phone", json={"code": "phone:13700000013"}, headers=await f.headers(db, staff))
    assert r.status_code == 403 and r.json()["error"]["code"] == "wechat_not_logged_in"
    assert (await client.post(f"{API}/me/phone", json={"code": "phone:13700000013"})).status_code == 401


async def test_me_lists_roles_with_scope_names_and_bindings(client, db, tree):
    u = await f.user(db, (Role.grid_worker, tree.grid.id), (Role.committee_member, tree.estate.id), phone="13700000020")
    await f.bind(db, u, tree.unit)
    db.add(UnitBinding(user_id=u.id, unit_id=tree.other_unit.id, relation="tenant", method="request"))
    await db.flush()
    r = await client.get(f"{API}/me", headers=await f.headers(db, u))
    assert r.status_code == 200
    me = r.json()
    assert me["phone"] == "13700000020" and me["has_password"] is False
    roles = {(x["role"], x["scope_id"]): x for x in me["roles"]}
    assert roles[("grid_worker", str(tree.grid.id))]["scope_name"] == tree.grid.name
    assert roles[("committee_member", str(tree.estate.id))]["scope_name"] == tree.estate.name
    resident = roles[("resident", str(tree.unit.id))]
    assert resident["scope_type"] == "unit" and resident["scope_name"] == f"{tree.estate.name}1栋1单元101"
    assert ("resident", str(tree.other_unit.id)) not in roles  # pending: not a resident there
    bindings = {b["unit_id"]: b for b in me["bindings"]}
    assert bindings[str(tree.unit.id)]["unit_label"] == "1栋1单元101"
    assert bindings[str(tree.unit.id)]["estate_name"] == tree.estate.name
    assert bindings[str(tree.unit.id)]["status"] == "approved"
    assert bindings[str(tree.other_unit.id)]["status"] == "pending"


async def test_me_tasks(client, db, tree):
    applicant = await wechat_login(client, "t1")
    r = await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)}, headers=bearer(applicant))
    assert r.status_code == 201 and r.json()["status"] == "pending"
    empty = {"questionnaires": [], "plans": [], "ballots": [], "signatures": [], "rectifications": [], "unit_bindings": []}
    assert (await client.get(f"{API}/me/tasks", headers=bearer(applicant))).json() == empty

    worker = await f.user(db, (Role.grid_worker, tree.grid.id))
    tasks = (await client.get(f"{API}/me/tasks", headers=await f.headers(db, worker))).json()
    assert [b["id"] for b in tasks["unit_bindings"]] == [r.json()["id"]]
    assert tasks["unit_bindings"][0]["applicant"]["id"] == applicant["user"]["id"]
    other_worker = await f.user(db, (Role.grid_worker, tree.other_grid.id))
    assert (await client.get(f"{API}/me/tasks", headers=await f.headers(db, other_worker))).json() == empty


async def test_wechat_user_roles_in_token_include_resident(client, db, tree):
    await wechat_login(client, "r1")
    user = (await db.exec(select(User).where(User.wechat_openid == fake.openid_for("r1")))).one()
    await f.bind(db, user, tree.unit)
    assert (await wechat_login(client, "r1"))["user"]["roles"] == ["resident"]
    assert (await db.exec(select(UnitBinding).where(UnitBinding.status == BindingStatus.approved))).all()


async def test_a_phone_outside_the_mainland_rule_is_not_bound(client):
    a = await wechat_login(client, "q4")
    for number in ("12345678901", "10012345678"):  # the second digit must be 3-9
        r = await client.post(f"{API}/me/phone", json={"code": f"phone:{number}"}, headers=bearer(a))
        assert r.status_code == 400 and r.json()["error"]["code"] == "phone_unsupported"
    assert (await client.get(f"{API}/me", headers=bearer(a))).json()["phone"] is None
