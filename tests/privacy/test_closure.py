"""Closing an account (注销, PIPL art. 47; docs/personal-information.md): logins end and the account is emptied; the ledger's
owner record stays; the vote stays with the person (§7a); answers, opinions and complaints stay without a
link to anyone; the audit chain still verifies. Only one's own account, and once."""

import uuid

from sqlmodel import select

from app.auth.models import AuthSession, User
from app.core import audit
from app.files.models import StoredFile
from app.notifications.models import InboxMessage
from app.plans.models import PlanOpinion
from app.privacy.holders import Subject
from app.registry.models import Person
from app.residency import rights
from app.residency.models import BindingStatus, IdentityCheck, UnitBinding
from app.supervision.models import Feedback, Inspection
from app.surveys.models import QuestionnaireResponse
from app.voting.models import BallotCast
from tests import factories as f
from tests.auth.conftest import bearer, wechat_login
from tests.privacy.activity import take_part
from tests.voting.conftest import API
from tests.worlds import principal_of


async def test_closing_empties_the_account_and_keeps_what_the_law_keeps(client, db, estate):
    done = await take_part(client, db, estate)
    wang = await db.get(User, done.wang_id)
    wang.phone, wang.wechat_openid, wang.wechat_unionid = "13800000003", "openid-wang", "unionid-wang"
    db.add(wang)
    binding = (await db.exec(select(UnitBinding).where(UnitBinding.user_id == done.wang_id))).one()
    db.add(IdentityCheck(binding_id=binding.id, assurance=binding.assurance))
    await db.flush()

    r = await client.post(f"{API}/me/deletion", headers=done.wang)
    assert r.status_code == 200, r.text
    assert {"account", "residency", "questionnaire_answers", "plan_opinions", "files"} <= set(r.json()["released"])
    assert r.json()["closed_at"]

    await db.refresh(wang)
    assert (wang.phone, wang.wechat_openid, wang.wechat_unionid, wang.display_name) == (None, None, None, "")
    assert wang.is_active is False and wang.closed_at is not None
    assert (await db.exec(select(AuthSession).where(AuthSession.user_id == done.wang_id))).all() == []
    # The ledger's record of the owner stays; the binding is closed, kept with its identity check.
    person = (await db.exec(select(Person).where(Person.name == "王五"))).one()
    assert person.phone == "13800000003"
    await db.refresh(binding)
    assert binding.status == BindingStatus.closed and binding.person_id == person.id
    assert (await db.exec(select(IdentityCheck).where(IdentityCheck.binding_id == binding.id))).all()
    # The vote stays with the person's voter, receipt and all.
    cast = (await db.exec(select(BallotCast).where(BallotCast.receipt == done.receipt))).one()
    assert cast.is_current and cast.cast_by == done.wang_id
    # The answer stays, counted, without a link to anyone; its per-person key no longer names the account.
    answer = (await db.exec(select(QuestionnaireResponse).where(
        QuestionnaireResponse.questionnaire_id == uuid.UUID(done.questionnaire_id),
        QuestionnaireResponse.unit_id == estate.units["104"]))).one()
    assert (answer.user_id, answer.recorded_by) == (None, None) and answer.answers == {"score": 4}
    assert str(done.wang_id) not in answer.respondent_key and answer.is_current
    opinion = await db.get(PlanOpinion, uuid.UUID(done.opinion_id))
    assert (opinion.author_id, opinion.recorded_by, opinion.content) == (None, None, "王五：屋面防水请一起做")
    complaint = await db.get(Feedback, uuid.UUID(done.feedback_id))
    assert complaint.author_id is None
    # The opinion's photo stays with it, without its uploader; the loose upload is gone; so is the inbox.
    photo = await db.get(StoredFile, uuid.UUID(done.photo_id))
    assert photo is not None and photo.uploaded_by is None
    assert await db.get(StoredFile, uuid.UUID(done.loose_id)) is None
    assert (await db.exec(select(InboxMessage).where(InboxMessage.user_id == done.wang_id))).all() == []
    # Nothing of 张三's changed.
    theirs = (await db.exec(select(QuestionnaireResponse).where(QuestionnaireResponse.user_id == done.zhang_id))).one()
    assert theirs.recorded_by == done.zhang_id
    # The chain holds ids only: nothing had to be erased from it, and it verifies.
    await audit.chain(db)
    assert (await audit.verify(db)).ok
    closed = (await db.exec(select(audit.AuditEntry).where(audit.AuditEntry.action == "user.close"))).one()
    assert closed.entity_id == str(done.wang_id) and set(closed.after) == {"logins_ended", "roles_removed"}


async def test_a_closed_account_can_do_nothing_and_the_person_may_bind_again(client, db, estate, tree):
    me = await wechat_login(client, "closing-1")
    r = await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)}, headers=bearer(me))
    assert r.status_code == 201
    assert (await client.post(f"{API}/me/deletion", headers=bearer(me))).status_code == 200
    # The same token, twice: the login is gone (401 in the error shape); so is its refresh token.
    for path in ("/me/deletion", "/me", "/me/data"):
        r = await client.request("POST" if path == "/me/deletion" else "GET", f"{API}{path}", headers=bearer(me))
        assert r.status_code == 401 and r.json()["error"]["code"] == "token_invalid", path
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": me["refresh_token"]})
    assert r.status_code == 401
    # WeChat again: a new, empty account.
    again = await wechat_login(client, "closing-1")
    assert again["user"]["id"] != me["user"]["id"]
    assert (await client.get(f"{API}/me", headers=bearer(again))).json()["bindings"] == []


async def test_an_owner_who_closed_may_bind_a_new_account_to_their_record(client, db, tree):
    first = await f.user(db, display_name="业主")
    await f.bind(db, first, tree.unit, person=tree.owner)
    await rights.close_account(db, await principal_of(db, first))
    second = await f.user(db, display_name="业主新号")
    await f.bind(db, second, tree.unit, person=tree.owner)  # the approved-person index is free again
    await db.flush()


async def test_closing_is_idempotent_and_only_ever_ones_own(client, db, estate):
    done = await take_part(client, db, estate)
    principal = await principal_of(db, await db.get(User, done.wang_id))
    first = await rights.close_account(db, principal)
    assert "account" in first
    snapshot = (await db.exec(select(User).where(User.id == done.wang_id))).one().closed_at
    await rights.close_account(db, principal)  # again: nothing changes, no second entry
    assert (await db.exec(select(User).where(User.id == done.wang_id))).one().closed_at == snapshot
    await audit.chain(db)
    entries = (await db.exec(select(audit.AuditEntry).where(audit.AuditEntry.action == "user.close"))).all()
    assert len(entries) == 1
    # 张三, still logged in, is untouched: his account, binding and vote.
    zhang = await db.get(User, done.zhang_id)
    assert zhang.closed_at is None and zhang.is_active
    assert (await client.get(f"{API}/me", headers=done.zhang)).json()["bindings"][0]["status"] == "approved"


async def test_a_supervisors_positions_leave_with_the_account(client, db, world):
    from app.auth.roles import Role
    from app.privacy.models import Purpose

    supervisor = await f.user(db, (Role.supervisor, world.a.project_id))
    await f.consent(db, supervisor, Purpose.location)
    headers = await f.headers(db, supervisor)
    report = {"inspection_id": str(uuid.uuid4()), "category": "safety", "occurred_at": "2026-12-01T08:00:00+08:00",
              "summary": "巡查", "checklist": [{"text": "围挡封闭", "result": "pass"}],
              "location": {"lat": 31.2304, "lng": 121.4737}}
    assert (await client.post(f"{API}/projects/{world.a.project_id}/inspections", headers=headers,
                              json=report)).status_code == 201
    data = (await client.get(f"{API}/me/data", headers=headers)).json()["sections"]["supervision"]
    assert data["inspections"][0]["latitude"] == 31.2304
    assert (await client.post(f"{API}/me/deletion", headers=headers)).status_code == 200
    kept = await db.get(Inspection, uuid.UUID(report["inspection_id"]))
    await db.refresh(kept)
    assert (kept.latitude, kept.longitude, kept.summary) == (None, None, "巡查")


async def test_the_subject_is_the_persons_of_approved_bindings_only(db, tree):
    u = await f.user(db)
    await f.bind(db, u, tree.unit, person=tree.owner)
    pending = UnitBinding(user_id=u.id, unit_id=tree.other_unit.id, relation="owner", status=BindingStatus.pending,
                          method="request", person_id=None)
    db.add(pending)
    await db.flush()
    assert await rights.subject_of(db, u.id) == Subject(u.id, frozenset({tree.owner.id}))
