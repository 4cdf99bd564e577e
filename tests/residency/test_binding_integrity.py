"""Nobody becomes an owner they are not: the attacks that worked, each refused now.

A binding names one person on the unit's record; a person has at most one approved binding per unit;
whoever issued the code, corrected the record or decides is never the one bound, under any of their
accounts; a correction never moves a binding to a new person.
"""

import uuid
from datetime import timedelta

from sqlmodel import select

from app.auth.models import Role
from app.core import clock
from app.core.models import AuditEntry
from app.residency.models import InviteCode, UnitBinding
from tests import factories as f
from tests.auth.conftest import API, accept_notice, bearer, staff_headers, wechat_login


async def _code(client, headers, unit_id, **body):
    r = await client.post(f"{API}/units/{unit_id}/invite-codes", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["code"]


async def _redeem(client, headers, code):
    return await client.post(f"{API}/me/unit-bindings", json={"invite_code": code}, headers=headers)


async def test_a_grid_worker_cannot_redeem_their_own_code(client, db, tree):
    worker = await f.user(db, (Role.grid_worker, tree.grid.id))
    await f.consent(db, worker)
    wh = await f.headers(db, worker)
    await db.commit()
    code = await _code(client, wh, tree.unit.id)
    r = await _redeem(client, wh, code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "binding_self_benefit"
    # The code was not spent: the household it was printed for can still use it.
    resident = await wechat_login(client, "integrity-1")
    assert (await _redeem(client, bearer(resident), code)).json()["status"] == "approved"


async def test_an_account_the_issuer_created_cannot_redeem_their_code_either(client, db, tree):
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    second = (await client.post(f"{API}/users", json={"display_name": "小号", "phone": "13500000301",
                                                       "password": "long enough"}, headers=sh)).json()
    login = (await client.post(f"{API}/auth/login", json={"phone": "13500000301", "password": "long enough"})).json()
    await accept_notice(client, login)
    code = await _code(client, sh, tree.unit.id)
    r = await _redeem(client, bearer(login), code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "binding_self_benefit"
    assert second["id"] == login["user"]["id"]


async def test_two_codes_for_one_person_bind_one_account(client, db, tree):
    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    first, second = await _code(client, wh, tree.unit.id), await _code(client, wh, tree.unit.id)
    a, b = await wechat_login(client, "integrity-2"), await wechat_login(client, "integrity-3")
    assert (await _redeem(client, bearer(a), first)).json()["status"] == "approved"
    # The same account with the second code: already bound.
    again = await _redeem(client, bearer(a), second)
    assert again.status_code == 409 and again.json()["error"]["code"] == "binding_exists"
    # Another account with the second code: the owner on record is already someone's.
    other = await _redeem(client, bearer(b), second)
    assert other.status_code == 409 and other.json()["error"]["code"] == "person_already_bound"
    assert (await db.exec(select(InviteCode.used_at).where(InviteCode.code == second))).one() is None  # not spent
    approved = (await db.exec(select(UnitBinding).where(UnitBinding.unit_id == tree.unit.id,
                                                        UnitBinding.status == "approved"))).all()
    assert [(x.person_id, str(x.user_id)) for x in approved] == [(tree.owner.id, a["user"]["id"])]
    # Codes for the co-owner and the tenant still bind them: one account per person on record.
    for person, login in ((tree.co_owner, "integrity-4"), (tree.tenant, "integrity-5")):
        code = await _code(client, wh, tree.unit.id, person_id=str(person.id))
        r = await _redeem(client, bearer(await wechat_login(client, login)), code)
        assert r.json()["status"] == "approved" and r.json()["relation"] in ("co_owner", "tenant")


async def test_a_code_names_one_person_on_record(client, db, tree):
    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    await f.owner(db, tree.unit, name="第二业主", phone="13800138099")
    await db.commit()
    r = await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={}, headers=wh)  # two owners now
    assert r.status_code == 422 and r.json()["error"]["code"] == "binding_person_required"
    r = await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={"person_id": str(uuid.uuid4())}, headers=wh)
    assert r.status_code == 422 and r.json()["error"]["code"] == "binding_person_not_on_record"
    r = await client.post(f"{API}/units/{tree.unit.id}/invite-codes", json={"person_id": str(tree.owner.id)},
                          headers=wh)
    assert r.status_code == 201 and r.json()["person_id"] == str(tree.owner.id)


async def test_staff_cannot_print_a_code_for_a_person_with_their_own_phone(client, db, tree):
    await f.owner(db, tree.unit_other_grid, name="网格员本人", phone="13900000444")
    worker = await f.user(db, (Role.grid_worker, tree.other_grid.id), phone="13900000444")
    wh = await f.headers(db, worker)
    await db.commit()
    r = await client.post(f"{API}/units/{tree.unit_other_grid.id}/invite-codes", json={"relation": "owner"},
                          headers=wh)
    assert r.status_code == 422  # two owners there: 孙七 and the worker
    mine = next(p for p in (await client.get(f"{API}/units/{tree.unit_other_grid.id}", headers=wh)).json()["occupants"]
                if p["name"] == "网格员本人")
    r = await client.post(f"{API}/units/{tree.unit_other_grid.id}/invite-codes", json={"person_id": mine["person_id"]},
                          headers=wh)
    assert r.status_code == 403 and r.json()["error"]["code"] == "binding_self_benefit"


async def test_community_staff_cannot_approve_a_second_account_of_their_own(client, db, tree):
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    await client.post(f"{API}/users", json={"display_name": "小号", "phone": "13500000302", "password": "long enough"},
                      headers=sh)
    login = (await client.post(f"{API}/auth/login", json={"phone": "13500000302", "password": "long enough"})).json()
    await accept_notice(client, login)
    asked = (await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)},
                               headers=bearer(login))).json()
    r = await client.post(f"{API}/unit-bindings/{asked['id']}/approve", json={"person_id": str(tree.owner.id)},
                          headers=sh)
    assert r.status_code == 403 and r.json()["error"]["code"] == "binding_self_decision"
    # Another decider, who created nothing of theirs, may.
    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    r = await client.post(f"{API}/unit-bindings/{asked['id']}/approve", json={"person_id": str(tree.owner.id)},
                          headers=wh)
    assert r.status_code == 200


async def test_a_person_has_at_most_one_approved_binding(client, db, tree):
    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    a, b = await wechat_login(client, "integrity-6"), await wechat_login(client, "integrity-7")
    ids = [(await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)},
                              headers=bearer(t))).json()["id"] for t in (a, b)]
    body = {"person_id": str(tree.owner.id)}
    assert (await client.post(f"{API}/unit-bindings/{ids[0]}/approve", json=body, headers=wh)).status_code == 200
    r = await client.post(f"{API}/unit-bindings/{ids[1]}/approve", json=body, headers=wh)
    assert r.status_code == 409 and r.json()["error"]["code"] == "person_already_bound"


async def test_a_phone_swap_then_wechat_login_binds_nobody(client, db, tree):
    """A grid worker (a WeChat account with a verified phone) puts their phone on the owner's record."""
    owner = await wechat_login(client, "integrity-owner")
    wh_staff = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    owner_binding = (await _redeem(client, bearer(owner), await _code(client, wh_staff, tree.unit.id))).json()
    assert owner_binding["status"] == "approved"

    worker = await wechat_login(client, "integrity-worker")
    assert (await client.post(f"{API}/me/phone", json={"code": "phone:13700000555"},
                              headers=bearer(worker))).status_code == 200
    worker_id = uuid.UUID(worker["user"]["id"])
    from app.auth.models import RoleAssignment
    from app.auth.roles import ROLE_SCOPE

    db.add(RoleAssignment(user_id=worker_id, role=Role.grid_worker, scope_type=ROLE_SCOPE[Role.grid_worker],
                          scope_id=tree.grid.id))
    await db.commit()
    r = await client.patch(f"{API}/units/{tree.unit.id}", headers=bearer(worker), json={"occupants": [
        {"name": "张三", "phone": "13700000555", "relation": "owner"},
        {"name": "王芳", "relation": "co_owner"}, {"name": "赵六", "relation": "tenant"}]})
    assert r.status_code == 200, r.text

    # The real owner's binding was not moved to the "new" owner: it waits to be checked again.
    mine = (await client.get(f"{API}/me/unit-bindings", headers=bearer(owner))).json()
    assert [(b["status"], b["relation"]) for b in mine] == [("pending", "owner")]
    recheck = await db.get(UnitBinding, uuid.UUID(owner_binding["id"]), populate_existing=True)
    assert recheck.person_id == tree.owner.id
    assert any(e.action == "binding.recheck" for e in (await db.exec(
        select(AuditEntry).where(AuditEntry.entity_id == str(recheck.id)))).all())

    # The worker's phone now matches the record, but they put it there: nothing is approved at once...
    asked = await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)}, headers=bearer(worker))
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    # ...they cannot approve it themselves, and nobody else can make them the person they recorded.
    r = await client.post(f"{API}/unit-bindings/{asked.json()['id']}/approve", headers=bearer(worker))
    assert r.status_code == 403 and r.json()["error"]["code"] == "binding_self_decision"
    sh = await staff_headers(db, (Role.community_staff, tree.community.id))
    r = await client.post(f"{API}/unit-bindings/{asked.json()['id']}/approve", headers=sh)
    assert r.status_code == 403 and r.json()["error"]["code"] == "binding_self_benefit"
    # The record's correction is audited with before and after.
    entry = (await db.exec(select(AuditEntry).where(AuditEntry.action == "unit.update",
                                                    AuditEntry.entity_id == str(tree.unit.id))
                           .order_by(AuditEntry.id))).all()[-1]
    assert entry.before["occupants"] != entry.after["occupants"]


async def test_wrong_codes_are_throttled_per_account_and_audited(client, db, tree):
    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    good = await _code(client, wh, tree.unit.id)
    guesser = await wechat_login(client, "integrity-guesser")
    for _ in range(10):
        r = await _redeem(client, bearer(guesser), "WRONGCDE")
        assert r.status_code == 400 and r.json()["error"]["code"] == "invite_code_invalid"
    blocked = await _redeem(client, bearer(guesser), good)  # even a right code, for the rest of the hour
    assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "invite_code_throttled"
    assert 0 < int(blocked.headers["retry-after"]) <= 3600
    refused = (await db.exec(select(AuditEntry).where(AuditEntry.action == "binding.code_refused",
                                                      AuditEntry.entity_id == guesser["user"]["id"])
                             .order_by(AuditEntry.id))).all()
    assert len(refused) == 11 and refused[-1].after["reason"] == "throttled"
    # Another account is not held back by this one's guesses (its source allows more).
    other = await wechat_login(client, "integrity-other")
    assert (await _redeem(client, bearer(other), "WRONGCDE")).status_code == 400
    with clock.freeze(clock.now() + timedelta(hours=1, seconds=1)):
        guesser = await wechat_login(client, "integrity-guesser")  # the same account, a fresh token
        assert (await _redeem(client, bearer(guesser), good)).json()["status"] == "approved"
    assert (await db.exec(select(InviteCode).where(InviteCode.code == good))).one().used_at is not None


async def test_wrong_codes_from_one_source_are_throttled_across_accounts(client, db, tree):
    from app.residency import service as bindings

    for i in range(bindings.INVITE_FAILURES_PER_SOURCE):
        login = await wechat_login(client, f"integrity-botnet-{i // 5}")
        r = await _redeem(client, bearer(login), "WRONGCDE")
        assert r.status_code == 400, (i, r.text)
    fresh = await wechat_login(client, "integrity-botnet-new")
    r = await _redeem(client, bearer(fresh), "WRONGCDE")
    assert r.status_code == 429 and r.json()["error"]["code"] == "invite_code_throttled"


async def test_failed_logins_and_the_lockout_are_audited(client, db, tree):
    from app.core.config import get_settings

    staff = await f.user(db, (Role.grid_worker, tree.grid.id), password="right password", phone="13500000303")
    await db.commit()
    for _ in range(get_settings().login_max_failures):
        await client.post(f"{API}/auth/login", json={"phone": "13500000303", "password": "wrong"})
    entries = (await db.exec(select(AuditEntry).where(AuditEntry.entity_id == str(staff.id))
                             .order_by(AuditEntry.id))).all()
    assert [e.action for e in entries] == ["login.failed"] * (get_settings().login_max_failures - 1) + ["login.locked"]
    assert entries[-1].after["locked_until"] and entries[0].after == {"failed_logins": 1, "locked_until": None}


async def test_a_ledger_import_that_replaces_the_owner_puts_the_binding_back_to_pending(client, db, tree):
    from app.registry.importer import import_ledger

    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    owner = await wechat_login(client, "integrity-import")
    assert (await _redeem(client, bearer(owner), await _code(client, wh, tree.unit.id))).json()["status"] == "approved"
    ledger = "楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名,联系电话\n1栋,1单元,1,101,86.50,李新业主,13900001111\n"
    report = await import_ledger(db, tree.estate.id, "new-owner.csv", ledger.encode())
    assert report.updated == 1
    mine = (await client.get(f"{API}/me/unit-bindings", headers=bearer(owner))).json()
    assert [b["status"] for b in mine] == ["pending"]  # not moved to 李新业主, not kept as owner either


async def test_a_bound_owner_invites_a_tenant_who_is_bound_as_tenant(client, db, tree):
    wh = await staff_headers(db, (Role.grid_worker, tree.grid.id))
    owner = await wechat_login(client, "family-owner")
    mine = (await _redeem(client, bearer(owner), await _code(client, wh, tree.unit.id))).json()
    url = f"{API}/me/unit-bindings/{mine['id']}/invitations"

    r = await client.post(url, json={"relation": "tenant", "name": "新租客", "phone": "139 0000 7777"},
                          headers=bearer(owner))
    assert r.status_code == 201 and r.json()["relation"] == "tenant"
    tenant = await wechat_login(client, "family-tenant")
    bound = (await _redeem(client, bearer(tenant), r.json()["code"])).json()
    assert (bound["status"], bound["relation"]) == ("approved", "tenant")

    # The tenant, bound as tenant, invites nobody; co-owners come from the ledger, not from owners.
    r = await client.post(f"{API}/me/unit-bindings/{bound['id']}/invitations",
                          json={"relation": "tenant", "name": "转租"}, headers=bearer(tenant))
    assert r.status_code == 403 and r.json()["error"]["code"] == "family_invite_not_allowed"
    r = await client.post(url, json={"relation": "co_owner", "name": "不在台账的人"}, headers=bearer(owner))
    assert r.status_code == 422 and r.json()["error"]["code"] == "binding_person_required"
    # The co-owner on record can be invited; another account's binding is not found.
    r = await client.post(url, json={"relation": "co_owner", "person_id": str(tree.co_owner.id)}, headers=bearer(owner))
    assert r.status_code == 201 and r.json()["person_id"] == str(tree.co_owner.id)
    assert (await client.post(url, json={"relation": "tenant", "name": "x"}, headers=bearer(tenant))).status_code == 404


async def test_a_family_invitation_with_no_phone_or_an_unknown_binding_is_not_a_500(client, db, tree):
    """Schemathesis: a null phone met the phone pattern and answered 500."""
    import uuid as _uuid

    me = await wechat_login(client, "family-nobody")
    r = await client.post(f"{API}/me/unit-bindings/{_uuid.uuid4()}/invitations",
                          json={"relation": "co_owner", "person_id": str(_uuid.uuid4()), "phone": None},
                          headers=bearer(me))
    assert r.status_code == 404
    r = await client.post(f"{API}/me/unit-bindings/{_uuid.uuid4()}/invitations",
                          json={"relation": "tenant", "name": "x", "phone": "12345"}, headers=bearer(me))
    assert r.status_code == 422
