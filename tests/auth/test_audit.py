"""Every state change in auth leaves an audit entry; none of them carries a secret."""

import json
import uuid
from datetime import timedelta

from sqlmodel import select

from app.auth.models import Role, User
from app.core import audit, clock
from app.core.config import get_settings
from app.core.models import AuditEntry
from app.wechat import fake
from tests.auth.conftest import API, bearer, staff_headers, wechat_login


async def _entries(db, after_id: int) -> list[AuditEntry]:
    return list((await db.exec(select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id))).all())


async def _head(db) -> int:
    return max([e.id for e in await _entries(db, 0)], default=0)


async def test_auth_state_changes_are_audited_without_secrets(client, db, tree):
    admin_h = await staff_headers(db, (Role.admin, None))
    worker_h = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    start = await _head(db)

    created = (await client.post(f"{API}/users", json={"display_name": "新同事", "phone": "13500000077",
                                                        "password": "long enough"}, headers=admin_h)).json()
    role = (await client.post(f"{API}/users/{created['id']}/roles",
                              json={"role": "committee_member", "scope_id": str(tree.estate.id)}, headers=admin_h)).json()
    assert (await client.delete(f"{API}/users/{created['id']}/roles/{role['id']}", headers=admin_h)).status_code == 204
    staff_login = await client.post(f"{API}/auth/login", json={"phone": "13500000077", "password": "long enough"})
    assert staff_login.status_code == 200

    resident = await wechat_login(client, "audit-1")
    neighbour = await wechat_login(client, "audit-2")
    assert (await client.post(f"{API}/me/phone", json={"code": "phone:13500000078"}, headers=bearer(resident))).status_code == 200
    asked = (await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)}, headers=bearer(resident))).json()
    other = (await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)}, headers=bearer(neighbour))).json()
    assert (await client.post(f"{API}/unit-bindings/{asked['id']}/approve", json={"person_id": str(tree.owner.id)},
                              headers=worker_h)).status_code == 200
    assert (await client.post(f"{API}/unit-bindings/{other['id']}/reject", json={"reason": "查无此人"},
                              headers=worker_h)).status_code == 200
    invite = (await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={}, headers=worker_h)).json()

    rotated = (await client.post(f"{API}/auth/refresh", json={"refresh_token": neighbour["refresh_token"]})).json()
    with clock.freeze(clock.now() + timedelta(seconds=get_settings().refresh_reuse_grace_seconds + 1)):
        reused = await client.post(f"{API}/auth/refresh", json={"refresh_token": neighbour["refresh_token"]})
    assert reused.status_code == 401 and rotated["refresh_token"]
    assert (await client.post(f"{API}/auth/logout", json={"refresh_token": resident["refresh_token"]})).status_code == 204

    entries = await _entries(db, start)
    assert [e.action for e in entries] == [
        "user.create", "role.assign", "role.revoke",  # the successful login itself is not audited
        "privacy.consent", "privacy.consent", "user.phone_bind", "binding.request", "binding.request", "binding.approve", "binding.reject",
        "invite_code.create", "session.revoke_reuse", "logout",
    ]
    by_action = {e.action: e for e in entries}
    assert by_action["user.create"].entity_id == created["id"]
    assert by_action["role.assign"].estate_id == tree.estate.id and by_action["role.revoke"].after is None
    assert by_action["binding.approve"].before["status"] == "pending"
    assert by_action["binding.approve"].after["status"] == "approved"
    assert by_action["binding.approve"].estate_id == tree.estate.id
    assert by_action["user.phone_bind"].after == {"phone": "13500000078"}
    assert by_action["session.revoke_reuse"].actor_id is None
    assert str(by_action["logout"].actor_id) == resident["user"]["id"]

    staff = await db.get(User, uuid.UUID(created["id"]))
    wechat_user = (await db.exec(select(User).where(User.wechat_openid == fake.openid_for("audit-1")))).one()
    logged = json.dumps([[e.before, e.after] for e in entries], ensure_ascii=False)
    for secret in (staff.password_hash, wechat_user.wechat_session_key, invite["code"], resident["refresh_token"]):
        assert secret and secret not in logged
    for key in ("password_hash", "wechat_session_key", "token_hash"):
        assert f'"{key}"' not in logged
    assert (await audit.verify(db)).ok


async def test_a_binding_by_invitation_code_is_audited_with_the_code_id(client, db, tree):
    worker_h = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    invite = (await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={}, headers=worker_h)).json()
    me = await wechat_login(client, "audit-3")
    start = await _head(db)
    r = await client.post(f"{API}/me/unit-bindings", json={"invite_code": invite["code"]}, headers=bearer(me))
    assert r.status_code == 201
    [entry] = await _entries(db, start)
    assert entry.action == "binding.request" and entry.after["method"] == "invite_code" and entry.after["invite_code_id"]
    assert str(entry.actor_id) == me["user"]["id"] and invite["code"] not in json.dumps(entry.after)
