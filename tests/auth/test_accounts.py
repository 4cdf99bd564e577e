"""Staff disable, enable and reset the accounts they manage; audited, scoped, never their own."""

import json

from sqlmodel import select

from app.auth.models import Role
from app.core.models import AuditEntry
from tests import factories as f
from tests.auth.conftest import API, bearer, staff_headers, wechat_login


async def _staff_account(client, h, phone, role_scope=None):
    created = (await client.post(f"{API}/users", json={"display_name": "网格员", "phone": phone,
                                                        "password": "first password"}, headers=h)).json()
    if role_scope:
        role, scope = role_scope
        r = await client.post(f"{API}/users/{created['id']}/roles", json={"role": role, "scope_id": str(scope)},
                              headers=h)
        assert r.status_code == 201, r.text
    return created


async def _login(client, phone, password):
    return await client.post(f"{API}/auth/login", json={"phone": phone, "password": password})


async def test_disable_ends_every_login_and_enable_restores(client, db, tree):
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    worker = await _staff_account(client, sh, "13500000401", ("grid_worker", tree.grid.id))
    tokens = (await _login(client, "13500000401", "first password")).json()
    assert (await client.get(f"{API}/me", headers=bearer(tokens))).status_code == 200

    r = await client.post(f"{API}/users/{worker['id']}/disable", headers=sh)
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert (await client.get(f"{API}/me", headers=bearer(tokens))).status_code == 401  # its login ended
    refused = await _login(client, "13500000401", "first password")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_disabled"

    r = await client.post(f"{API}/users/{worker['id']}/enable", headers=sh)
    assert r.status_code == 200 and r.json()["is_active"] is True
    assert (await _login(client, "13500000401", "first password")).status_code == 200
    actions = [e.action for e in (await db.exec(select(AuditEntry).where(AuditEntry.entity_id == worker["id"])
                                                .order_by(AuditEntry.id))).all()]
    assert actions[-2:] == ["user.disable", "user.enable"]


async def test_out_of_scope_and_self_are_refused(client, db, tree):
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    worker = await _staff_account(client, sh, "13500000402", ("grid_worker", tree.grid.id))
    other_community = await staff_headers(db, (Role.community_staff, tree.other_community.id))
    for action in ("disable", "enable"):
        r = await client.post(f"{API}/users/{worker['id']}/{action}", headers=other_community)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    me = await f.user(db, (Role.street_staff, tree.street.id), password="street password", phone="13500000403")
    mine = await f.headers(db, me)
    await db.commit()
    r = await client.post(f"{API}/users/{me.id}/disable", headers=mine)
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_self_change"
    # A resident's WeChat account is no one's to disable through /users.
    resident = await wechat_login(client, "accounts-resident")
    r = await client.post(f"{API}/users/{resident['user']['id']}/disable", headers=sh)
    assert r.status_code == 404


async def test_password_reset(client, db, tree):
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    worker = await _staff_account(client, sh, "13500000404", ("grid_worker", tree.grid.id))
    old = (await _login(client, "13500000404", "first password")).json()
    for _ in range(5):
        await _login(client, "13500000404", "a wrong guess")
    assert (await _login(client, "13500000404", "first password")).status_code == 429  # locked

    r = await client.post(f"{API}/users/{worker['id']}/password", json={"password": "handed over in person"},
                          headers=sh)
    assert r.status_code == 204
    assert (await client.get(f"{API}/me", headers=bearer(old))).status_code == 401
    assert (await _login(client, "13500000404", "first password")).status_code == 401
    assert (await _login(client, "13500000404", "handed over in person")).status_code == 200  # lock lifted
    [entry] = (await db.exec(select(AuditEntry).where(AuditEntry.entity_id == worker["id"],
                                                      AuditEntry.action == "user.password_reset"))).all()
    assert "handed over" not in json.dumps(entry.after) and "argon2" not in json.dumps(entry.after)
    assert entry.after["logins_ended"] >= 1

    short = await client.post(f"{API}/users/{worker['id']}/password", json={"password": "short"}, headers=sh)
    assert short.status_code == 422


async def test_a_wechat_account_with_a_role_has_no_password_to_reset(client, db, tree):
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    resident = await wechat_login(client, "accounts-volunteer")
    r = await client.post(f"{API}/users/{resident['user']['id']}/roles",
                          json={"role": "committee_member", "scope_id": str(tree.estate.id)}, headers=sh)
    assert r.status_code == 201
    r = await client.post(f"{API}/users/{resident['user']['id']}/password", json={"password": "long enough"},
                          headers=sh)
    assert r.status_code == 409 and r.json()["error"]["code"] == "account_not_staff"
