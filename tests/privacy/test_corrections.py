"""A resident asks for their own entry on a unit's record to be corrected (PIPL art. 46); staff who may
correct the unit answer, and an accepted request corrects the entry where it stands, through the
registry's audited path."""

import uuid

from sqlmodel import select

from app.auth.residence import BindingRelation
from app.auth.roles import Role
from app.core import audit
from app.notifications.models import NotificationOutbox
from app.privacy.models import DataAccess
from app.registry.models import OccupantRelation, Person
from app.residency.models import BindingStatus, UnitBinding
from tests import factories as f
from tests.auth.conftest import staff_headers
from tests.voting.conftest import API


async def _ask(client, headers, unit_id, **body):
    return await client.post(f"{API}/me/correction-requests", headers=headers,
                             json={"unit_id": str(unit_id), **body})


async def test_a_correction_is_asked_answered_and_applied(client, db, estate):
    wang = estate.owners["wang"]
    r = await _ask(client, wang, estate.units["104"], name="王 五", phone="139-0000-0005", note="改了手机号")
    assert r.status_code == 201, r.text
    asked = r.json()
    assert (asked["name"], asked["phone"], asked["status"]) == ("王 五", "13900000005", "pending")
    assert asked["unit_label"].endswith("104")
    mine = (await client.get(f"{API}/me/correction-requests", headers=wang)).json()
    assert [c["id"] for c in mine["items"]] == [asked["id"]]

    # The community staff see it, with the entry as it stands; so does nobody outside the estate.
    listed = (await client.get(f"{API}/correction-requests", headers=estate.staff)).json()["items"]
    assert [(c["id"], c["name_on_record"], c["phone_on_record"]) for c in listed] == [
        (asked["id"], "王五", "13800000003")]
    outsider = await staff_headers(db, (Role.community_staff, (await _other_community(db))))
    assert (await client.get(f"{API}/correction-requests", headers=outsider)).json()["items"] == []
    assert (await client.post(f"{API}/correction-requests/{asked['id']}/accept", headers=outsider)).status_code == 404

    r = await client.post(f"{API}/correction-requests/{asked['id']}/accept", headers=estate.staff,
                          json={"reply": "已核对房产证"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["name_on_record"], r.json()["phone_on_record"]) == (
        "accepted", "王 五", "13900000005")
    person = (await db.exec(select(Person).where(Person.phone == "13900000005"))).one()
    assert person.name == "王 五"
    # The same person: the binding stays approved to it.
    binding = (await db.exec(select(UnitBinding).where(UnitBinding.person_id == person.id))).one()
    assert binding.status == BindingStatus.approved
    # Audited as a correction of the person, fields named, values not.
    await audit.chain(db)
    entry = (await db.exec(select(audit.AuditEntry).where(audit.AuditEntry.action == "person.correct"))).one()
    assert entry.after == {"unit_id": str(estate.units["104"]), "fields": ["name", "phone"]}
    assert "13900000005" not in str(entry.after) and "王 五" not in str(entry.after)
    told = (await db.exec(select(NotificationOutbox).where(
        NotificationOutbox.template == "record_correction_answered"))).one()
    wang_id = (await client.get(f"{API}/me", headers=wang)).json()["id"]
    assert str(told.user_id) == wang_id and told.data["phrase2"] == "已更正" and told.data["thing3"] == "已核对房产证"
    # Answered once; the staff member was recorded as shown the entry.
    again = await client.post(f"{API}/correction-requests/{asked['id']}/reject", headers=estate.staff,
                              json={"reply": "x"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "record_correction_decided"
    assert (await db.exec(select(DataAccess).where(DataAccess.subject_id == person.id))).all()


async def test_what_cannot_be_asked_or_answered(client, db, estate, world):
    wang = estate.owners["wang"]
    # A unit not one's own (bound elsewhere, another estate's, one that does not exist): not found.
    for unit_id in (estate.units["101"], world.b.unit.id, uuid.uuid4()):
        r = await _ask(client, wang, unit_id, name="王五")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await _ask(client, wang, estate.units["104"], note="没写改什么")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["msg"] == "请填写更正后的姓名或手机号"
    r = await _ask(client, wang, estate.units["104"], phone="12345")
    assert r.status_code == 422
    # A rejection says why; nobody answers their own request.
    asked = (await _ask(client, wang, estate.units["104"], name="王伍")).json()
    r = await client.post(f"{API}/correction-requests/{asked['id']}/reject", headers=estate.staff, json={})
    assert r.status_code == 422
    assert (await client.post(f"{API}/correction-requests/{asked['id']}/reject", headers=estate.staff,
                              json={"reply": "与房产证不符"})).json()["status"] == "rejected"
    staff_user = await f.user(db, (Role.community_staff, estate.side.community_id))
    tenant = await f.owner(db, estate.units_obj["202"], name="钱七", phone="13800000007",
                           relation=OccupantRelation.tenant)
    await f.bind(db, staff_user, estate.units_obj["202"], BindingRelation.tenant, person=tenant)
    own_headers = await f.headers(db, staff_user)
    own = (await _ask(client, own_headers, estate.units["202"], name="钱柒")).json()
    r = await client.post(f"{API}/correction-requests/{own['id']}/accept", headers=own_headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "record_correction_self"


async def _other_community(db):
    street = await f.street(db)
    return (await f.community(db, street.id)).id
