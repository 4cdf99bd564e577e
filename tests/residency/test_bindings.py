"""Unit bindings: requests and decisions in scope, invitation codes, phone match, duplicates."""

import uuid
from datetime import timedelta

from sqlmodel import select

from app.auth.models import Role
from app.core import clock
from app.registry.models import OccupantRelation
from app.residency.models import InviteCode
from app.residency.service import INVITE_ALPHABET
from tests import factories as f
from tests.auth.conftest import API, bearer, staff_headers, wechat_login


async def _request(client, tokens, **body):
    body = {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in body.items()}
    return await client.post(f"{API}/me/unit-bindings", json=body, headers=bearer(tokens))


async def test_request_then_approve_by_grid_worker(client, db, tree):
    me = await wechat_login(client, "b1")
    r = await _request(client, me, unit_id=tree.unit.id, relation="tenant", note="3楼租户")
    assert r.status_code == 201
    binding = r.json()
    assert binding["status"] == "pending" and binding["method"] == "request" and binding["relation"] == "tenant"
    assert binding["assurance"] is None  # nobody has verified anyone yet
    assert binding["unit_label"] == "1栋1单元101" and binding["estate_id"] == str(tree.estate.id)

    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    listed = (await client.get(f"{API}/unit-bindings", headers=wh)).json()
    assert [b["id"] for b in listed["items"]] == [binding["id"]] and listed["items"][0]["note"] == "3楼租户"

    # Not a resident yet: /me has no resident role.
    assert all(r["role"] != "resident" for r in (await client.get(f"{API}/me", headers=bearer(me))).json()["roles"])
    r = await client.post(f"{API}/unit-bindings/{binding['id']}/approve", headers=wh)
    assert r.status_code == 422 and r.json()["error"]["code"] == "binding_person_required"
    # The grid worker, who knows the household, names the person on record the applicant is.
    r = await client.post(f"{API}/unit-bindings/{binding['id']}/approve", headers=wh,
                          json={"person_id": str(tree.tenant.id), "document": "id_card"})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["relation"] == "tenant"
    assert r.json()["person_id"] == str(tree.tenant.id)
    assert r.json()["assurance"] == "in_person"  # the decider checked the person in front of them
    from app.residency.models import IdentityCheck

    check = (await db.exec(select(IdentityCheck).where(IdentityCheck.binding_id == uuid.UUID(binding["id"])))).one()
    assert (check.assurance, check.document, str(check.checked_by)) == ("in_person", "id_card", wh_user_id(wh))
    roles = (await client.get(f"{API}/me", headers=bearer(me))).json()["roles"]
    assert {"role": "resident", "scope_type": "unit", "scope_id": str(tree.unit.id)}.items() <= roles[0].items()

    again = await client.post(f"{API}/unit-bindings/{binding['id']}/reject", json={"reason": "x"}, headers=wh)
    assert again.status_code == 409 and again.json()["error"]["code"] == "binding_already_decided"
    assert (await client.get(f"{API}/unit-bindings", headers=wh)).json()["items"] == []  # pending only
    decided = (await client.get(f"{API}/unit-bindings", params={"status": "approved"}, headers=wh)).json()
    assert [b["id"] for b in decided["items"]] == [binding["id"]]


async def test_out_of_scope_deciders_get_404(client, db, tree):
    me = await wechat_login(client, "b2")
    binding = (await _request(client, me, unit_id=tree.unit.id)).json()
    outsiders = [
        await f.user(db, (Role.grid_worker, tree.other_grid.id)),
        await f.user(db, (Role.community_staff, tree.other_community.id)),
        await f.user(db, (Role.committee_member, tree.estate.id)),  # may read, not decide
    ]
    all_headers = [await f.headers(db, u) for u in outsiders]
    await db.commit()  # an error answer rolls back the request's savepoint, with unsaved test data in it
    for h in all_headers:
        r = await client.post(f"{API}/unit-bindings/{binding['id']}/approve", headers=h)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        listed = await client.get(f"{API}/unit-bindings", headers=h)
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"] == []
    # The applicant cannot approve themselves either.
    assert (await client.post(f"{API}/unit-bindings/{binding['id']}/approve", headers=bearer(me))).status_code == 404


async def test_community_and_street_staff_decide_with_estate_filter(client, db, tree):
    a = await wechat_login(client, "b3")
    b = await wechat_login(client, "b4")
    mine = (await _request(client, a, unit_id=tree.unit.id)).json()
    elsewhere = (await _request(client, b, unit_id=tree.other_unit.id)).json()
    h = await staff_headers(db, (Role.street_staff, tree.street.id))
    assert [x["id"] for x in (await client.get(f"{API}/unit-bindings", headers=h)).json()["items"]] == [mine["id"]]
    ah = await staff_headers(db, (Role.admin, None))
    assert len((await client.get(f"{API}/unit-bindings", headers=ah)).json()["items"]) == 2
    only = (await client.get(f"{API}/unit-bindings", params={"estate_id": str(tree.other_estate.id)}, headers=ah)).json()
    assert [x["id"] for x in only["items"]] == [elsewhere["id"]]
    paged = (await client.get(f"{API}/unit-bindings", params={"limit": 1}, headers=ah)).json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    rest = (await client.get(f"{API}/unit-bindings", params={"limit": 1, "cursor": paged["next_cursor"]}, headers=ah)).json()
    assert len(rest["items"]) == 1 and rest["items"][0]["id"] != paged["items"][0]["id"]

    staff_h = await staff_headers(db, (Role.community_staff, tree.community.id))
    r = await client.post(f"{API}/unit-bindings/{mine['id']}/reject", json={"reason": "查无此人"}, headers=staff_h)
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    listed = (await client.get(f"{API}/me/unit-bindings", headers=bearer(a))).json()
    assert listed[0]["status"] == "rejected" and listed[0]["reject_reason"] == "查无此人"


async def test_duplicates_and_reopening(client, db, tree):
    me = await wechat_login(client, "b5")
    first = (await _request(client, me, unit_id=tree.unit.id)).json()
    dup = await _request(client, me, unit_id=tree.unit.id)
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "binding_exists"
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    await client.post(f"{API}/unit-bindings/{first['id']}/reject", json={"reason": "资料不符"}, headers=sh)
    reopened = await _request(client, me, unit_id=tree.unit.id, relation="family")
    assert reopened.status_code == 201
    assert reopened.json()["id"] == first["id"] and reopened.json()["status"] == "pending"
    assert reopened.json()["relation"] == "family" and reopened.json()["reject_reason"] is None
    r = await client.post(f"{API}/unit-bindings/{first['id']}/approve", json={"person_id": str(tree.co_owner.id)},
                          headers=sh)
    assert r.json()["relation"] == "co_owner"  # the record, not the claim ("family")
    assert (await _request(client, me, unit_id=tree.unit.id)).status_code == 409


async def test_target_validation(client, tree):
    me = await wechat_login(client, "b6")
    for body in ({}, {"unit_id": tree.unit.id, "invite_code": "ABCDEFGH"}):
        r = await _request(client, me, **body)
        assert r.status_code == 422 and r.json()["error"]["code"] == "binding_target_required"
    r = await _request(client, me, unit_id=uuid.uuid4())
    assert r.status_code == 404
    assert (await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)})).status_code == 401


async def test_invite_code_flow(client, db, tree):
    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    r = await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={"relation": "co_owner", "valid_days": 7}, headers=wh)
    assert r.status_code == 201
    invite = r.json()
    assert len(invite["code"]) == 8 and set(invite["code"]) <= set(INVITE_ALPHABET)
    assert invite["unit_id"] == str(tree.unit.id)
    # Outside the worker's grid, and for residents, the unit is not found.
    assert (await client.post(f"{API}/units/{tree.unit_other_grid.id}/invite-codes", json={}, headers=wh)).status_code == 404

    a = await wechat_login(client, "b7")
    r = await _request(client, a, invite_code=invite["code"].lower())  # typed in lower case
    assert r.status_code == 201
    assert r.json()["status"] == "approved" and r.json()["method"] == "invite_code" and r.json()["relation"] == "co_owner"
    assert r.json()["assurance"] == "invite_code"
    row = (await db.exec(select(InviteCode).where(InviteCode.code == invite["code"]))).one()
    assert row.used_at is not None and str(row.used_by) == a["user"]["id"]
    resident_h = bearer(a)
    assert (await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={}, headers=resident_h)).status_code == 404

    b = await wechat_login(client, "b8")
    used = await _request(client, b, invite_code=invite["code"])
    assert used.status_code == 400 and used.json()["error"]["code"] == "invite_code_invalid"
    assert (await _request(client, b, invite_code="ZZZZZZZZ")).json()["error"]["code"] == "invite_code_invalid"


async def test_invite_code_expiry_and_pending_request_settled(client, db, tree):
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    r = await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={"valid_days": 1}, headers=sh)
    stale = r.json()["code"]
    assert r.json()["expires_at"].startswith((clock.now() + timedelta(days=1)).date().isoformat())
    row = (await db.exec(select(InviteCode).where(InviteCode.code == stale))).one()
    row.expires_at = clock.now() - timedelta(seconds=1)
    await db.commit()
    fresh = (await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={"valid_days": 1}, headers=sh)).json()["code"]
    me = await wechat_login(client, "b9")
    pending = (await _request(client, me, unit_id=tree.unit.id)).json()
    r = await _request(client, me, invite_code=stale)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invite_code_invalid"
    r = await _request(client, me, invite_code=fresh)
    assert r.status_code == 201 and r.json()["id"] == pending["id"] and r.json()["status"] == "approved"


async def test_phone_match_approves_owner_at_once(client, db, tree):
    person = await f.owner(db, tree.unit, phone="13600000001", relation=OccupantRelation.co_owner)
    await f.owner(db, tree.unit_other_grid, name="李四", phone="13600000002", relation=OccupantRelation.tenant)
    me = await wechat_login(client, "b10")
    await client.post(f"{API}/me/phone", json={"code": "phone:13600000001"}, headers=bearer(me))
    r = await _request(client, me, unit_id=tree.unit.id, relation="tenant")
    assert r.status_code == 201
    assert r.json()["status"] == "approved" and r.json()["method"] == "phone_match"
    assert r.json()["relation"] == "co_owner"  # from the record, not the claim
    assert r.json()["assurance"] == "phone_match"
    from app.residency.models import UnitBinding

    assert (await db.get(UnitBinding, uuid.UUID(r.json()["id"]))).person_id == person.id

    # A tenant's phone on record is not proof of ownership.
    other = await wechat_login(client, "b11")
    await client.post(f"{API}/me/phone", json={"code": "phone:13600000002"}, headers=bearer(other))
    r = await _request(client, other, unit_id=tree.unit_other_grid.id)
    assert r.json()["status"] == "pending" and r.json()["method"] == "request"


async def test_phone_match_needs_a_wechat_verified_phone(client, db, tree):
    await f.owner(db, tree.unit, phone="13600000003")
    # A staff account whose phone was typed in by whoever created it proves nothing.
    staff = await f.user(db, password="staff-password", phone="13600000003")
    await f.consent(db, staff)
    r = await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)}, headers=await f.headers(db, staff))
    assert r.status_code == 201 and r.json()["status"] == "pending"


async def test_deciders_never_decide_their_own_request(client, db, tree):
    # A grid worker who lives in their own grid asks to bind their home.
    worker = await f.user(db, (Role.grid_worker, tree.grid.id))
    await f.consent(db, worker)
    wh = await f.headers(db, worker)
    other = await wechat_login(client, "b12")
    await db.commit()
    mine = await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)}, headers=wh)
    assert mine.status_code == 201 and mine.json()["status"] == "pending"
    theirs = (await _request(client, other, unit_id=tree.unit.id)).json()

    # Their own request is not offered to them, neither in the list nor in their tasks...
    listed = (await client.get(f"{API}/unit-bindings", headers=wh)).json()
    assert [b["id"] for b in listed["items"]] == [theirs["id"]]
    tasks = (await client.get(f"{API}/me/tasks", headers=wh)).json()
    assert [b["id"] for b in tasks["unit_bindings"]] == [theirs["id"]]
    # ...and deciding it is refused.
    for action, body in (("approve", None), ("reject", {"reason": "x"})):
        r = await client.post(f"{API}/unit-bindings/{mine.json()['id']}/{action}", json=body, headers=wh)
        assert r.status_code == 403 and r.json()["error"]["code"] == "binding_self_decision"
    # Someone else above the unit decides it.
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    assert [b["id"] for b in (await client.get(f"{API}/unit-bindings", headers=sh)).json()["items"]] == [
        mine.json()["id"], theirs["id"]
    ]
    r = await client.post(f"{API}/unit-bindings/{mine.json()['id']}/approve", json={"person_id": str(tree.owner.id)},
                          headers=sh)
    assert r.status_code == 200 and r.json()["status"] == "approved"


async def test_invite_code_collisions_are_retried_then_refused(client, db, tree, monkeypatch):
    from app.residency import service as bindings

    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    taken = (await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={}, headers=wh)).json()["code"]
    fresh = iter([taken, taken, "FRESH234"])
    monkeypatch.setattr(bindings, "new_invite_code", lambda: next(fresh))
    r = await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={}, headers=wh)
    assert r.status_code == 201 and r.json()["code"] == "FRESH234"

    monkeypatch.setattr(bindings, "new_invite_code", lambda: taken)  # the code space is, say, exhausted
    r = await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={}, headers=wh)
    assert r.status_code == 503 and r.json()["error"]["code"] == "invite_code_unavailable"
    assert len((await db.exec(select(InviteCode).where(InviteCode.unit_id == tree.unit.id))).all()) == 2


async def test_a_pending_binding_shows_the_decider_what_to_check(client, db, tree):
    me = await wechat_login(client, "b-check")
    await client.post(f"{API}/me/phone", json={"code": "phone:13611112222"}, headers=bearer(me))
    asked = (await _request(client, me, unit_id=tree.unit.id)).json()
    assert asked["status"] == "pending"  # the phone is on no record of this unit
    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    [pending] = (await client.get(f"{API}/me/tasks", headers=wh)).json()["unit_bindings"]
    assert pending["applicant"]["phone"] == "*******2222" and pending["applicant"]["display_name"]
    assert pending["created_at"] == asked["created_at"]
    assert {(p["name"], p["relation"], p["phone_last4"]) for p in pending["on_record"]} == {
        ("张三", "owner", "8000"), ("王芳", "co_owner", None), ("赵六", "tenant", None)}


def wh_user_id(headers: dict[str, str]) -> str:
    """The user id a bearer token is for."""
    from app.core.security import decode_access_token

    claims = decode_access_token(headers["Authorization"].removeprefix("Bearer "))
    assert claims is not None
    return str(claims.user_id)
