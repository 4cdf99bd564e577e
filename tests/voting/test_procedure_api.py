"""The procedure around a ballot, through the API (docs/ballot-procedure.md): the announcement and its notice, the
tie to the project's stage and plan, delivery evidence per household, the electorate checked and
corrected before it is frozen, the preliminary result and its objections, the recount, the final result,
and the identity assurance an online vote needs. Every refusal answers in the error shape and changes
nothing."""

import io
import uuid
from datetime import timedelta

from pypdf import PdfReader
from sqlmodel import select

from app.auth.residence import Assurance
from app.core import clock
from app.notifications.models import InboxMessage, NotificationOutbox, OutboxStatus
from app.projects.models import Project
from app.voting.models import Ballot, BallotChoice
from app.voting.objections import finalize_due
from tests import factories as f
from tests.voting.conftest import API, NOTICE, announced, notice_served, to_voting, vote
from tests.voting.conftest import ballot as opened


async def _get(client, estate, ballot):
    return (await client.get(f"{API}/ballots/{ballot['id']}", headers=estate.staff)).json()


async def _users(db, *names):
    from app.auth.models import User

    return {n: (await db.exec(select(User.id).where(User.display_name == n))).one() for n in names}


async def _told(db, template):
    return sorted((await db.exec(select(NotificationOutbox.user_id).where(
        NotificationOutbox.template == template))).all())


def _body(**extra):
    now = clock.now()
    return {"title": "是否同意加装电梯", "rule": "civil_code_major", "motions": [{"title": "同意"}],
            "opens_at": (now + NOTICE).isoformat(), "closes_at": (now + NOTICE + timedelta(days=7)).isoformat(),
            **extra}


# ---- the announcement ------------------------------------------------------------------------------


async def test_an_announcement_owes_the_owners_fifteen_days(client, db, estate):
    url = f"{API}/projects/{estate.side.project_id}/ballots"
    r = await client.post(url, headers=estate.staff, json=_body(notice_days=14))
    assert r.status_code == 422 and r.json()["error"]["code"] == "ballot_invalid"
    assert "notice_days must be between 15 and 90 under this rule" in r.json()["error"]["details"]["problems"]

    draft = (await client.post(url, headers=estate.staff, json=_body())).json()
    soon = clock.now() + timedelta(days=10)
    r = await client.post(f"{API}/ballots/{draft['id']}/announce", headers=estate.staff,
                          json={"opens_at": soon.isoformat()})
    assert r.status_code == 422 and r.json()["error"]["code"] == "announcement_invalid"
    assert (await _get(client, estate, draft))["status"] == "draft"  # nothing changed
    assert await _told(db, "ballot_announced") == []
    r = await client.post(f"{API}/ballots/{draft['id']}/open", headers=estate.staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "ballot_not_announced"

    r = await client.post(f"{API}/ballots/{draft['id']}/announce", headers=estate.staff)
    assert r.status_code == 200 and r.json()["status"] == "announced" and r.json()["announced_at"]
    owners = await _users(db, "zhang", "li", "wang", "zhao")
    assert await _told(db, "ballot_announced") == sorted(owners.values())  # the owners; not the tenant
    refs = set((await db.exec(select(NotificationOutbox.ref).where(
        NotificationOutbox.template == "ballot_announced"))).all())
    assert refs == {f"ballot:{draft['id']}:announced"}
    r = await client.post(f"{API}/ballots/{draft['id']}/open", headers=estate.staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "ballot_not_due"  # not a day early
    r = await client.post(f"{API}/ballots/{draft['id']}/announce", headers=estate.staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "ballot_not_draft"


async def test_the_announcement_as_a_pdf(client, estate):
    ballot = await announced(client, estate)
    r = await client.get(f"{API}/ballots/{ballot['id']}/announcement.pdf", headers=estate.tenant)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    for expected in ("业主共同决定事项表决公告", "同意改造方案第2版", "网上表决", "书面表决", "选民名册核对", "异议",
                     "《物业管理条例》第十四条", "手机号核验",
                     f"发布单位：{estate.side.street.name}{estate.side.community.name}"):
        assert expected in text.replace("\n", ""), expected


async def test_cancelling_tells_those_who_were_told(client, db, estate):
    ballot = await announced(client, estate)
    r = await client.post(f"{API}/ballots/{ballot['id']}/cancel", headers=estate.staff, json={"reason": "开会时间冲突"})
    assert (r.status_code, r.json()["status"], r.json()["cancel_reason"]) == (200, "cancelled", "开会时间冲突")
    assert await _told(db, "ballot_cancelled") == await _told(db, "ballot_announced")
    r = await client.post(f"{API}/ballots/{ballot['id']}/cancel", headers=estate.staff, json={"reason": "再取消"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "ballot_not_cancellable"


# ---- tied to the project's stage and plan ------------------------------------------------------------


async def test_a_deciding_ballot_waits_for_the_voting_stage_and_the_current_plan(client, db, estate):
    url = f"{API}/projects/{estate.side.project_id}/ballots"
    draft = (await client.post(url, headers=estate.staff, json=_body(decides_project=True))).json()
    r = await client.post(f"{API}/ballots/{draft['id']}/announce", headers=estate.staff)  # still surveying
    assert r.status_code == 409 and r.json()["error"]["code"] == "procedure_not_met"
    assert "the project is not in the voting stage" in r.json()["error"]["details"]["problems"]
    plan = await to_voting(db, estate)
    r = await client.post(f"{API}/ballots/{draft['id']}/announce", headers=estate.staff)
    assert r.status_code == 200 and r.json()["plan_version_id"] == str(plan.id)

    # A motion naming a version that is no longer the published one is refused.
    old = await f.published_plan(db, estate.side.project_id, estate.side.estate_id, version=0)
    stale = (await client.post(url, headers=estate.staff, json=_body(
        motions=[{"title": "采纳旧方案", "plan_id": str(old.id)}]))).json()
    r = await client.post(f"{API}/ballots/{stale['id']}/announce", headers=estate.staff)
    assert r.status_code == 409 and r.json()["error"]["details"]["problems"] == [
        "a motion names a plan version that is not the one currently published"]


async def test_revising_the_plan_cancels_the_ballot_held_on_it(client, db, estate):
    plan = await to_voting(db, estate)
    tied = await announced(client, estate, decides_project=True)
    untied = await announced(client, estate, title="停车收费标准")  # a consultation not tied to the plan
    r = await client.post(f"{API}/plans/{plan.id}/revise", headers=estate.staff, json={"change_notes": "增加电梯"})
    assert r.status_code == 201, r.text
    after = await _get(client, estate, tied)
    assert (after["status"], after["cancel_reason"]) == ("cancelled", "设计方案已修改（第2版），须重新公示后再表决")
    assert (await _get(client, estate, untied))["status"] == "announced"
    assert len(await _told(db, "ballot_cancelled")) == 4


async def test_withdrawing_the_plan_from_the_vote_cancels_its_open_ballot(client, db, estate):
    await to_voting(db, estate)
    ballot = await opened(client, estate, decides_project=True)
    r = await client.post(f"{API}/projects/{estate.side.project_id}/transitions", headers=estate.staff,
                          json={"to": "designing", "note": "业主意见较多，方案退回修改"})
    assert r.status_code == 200
    assert (await _get(client, estate, ballot))["status"] == "cancelled"
    r = await vote(client, estate.owners["zhang"], ballot, "approve")
    assert r.status_code == 409 and r.json()["error"]["code"] == "ballot_closed"


async def test_a_ballot_opened_outside_the_voting_stage_never_decides(client, db, estate):
    """The guard accepts only a final result held on the plan version still published."""
    plan = await to_voting(db, estate)
    ballot = await opened(client, estate, rule="simple_majority", decides_project=True)
    await vote(client, estate.owners["zhang"], ballot, "approve")
    closed = (await client.post(f"{API}/ballots/{ballot['id']}/close", headers=estate.staff)).json()
    # The plan gets a newer published version behind the ballot's back (as a data fix would).
    plan.status = "superseded"
    db.add(plan)
    await f.published_plan(db, estate.side.project_id, estate.side.estate_id, version=2)
    await _finalized(db, closed)
    project = (await db.exec(select(Project).where(Project.id == estate.side.project_id))).one()
    assert project.status == "voting"
    r = await client.post(f"{API}/projects/{estate.side.project_id}/transitions", headers=estate.staff,
                          json={"to": "approved"})
    assert r.json()["error"]["details"]["unmet_guards"][0]["message"] == "表决所依据的方案版本已不是现行公示版本"


# ---- reaching every household --------------------------------------------------------------------------


async def test_coverage_counts_households_reached_by_any_channel(client, db, estate, world):
    ballot = await announced(client, estate)
    cover = (await client.get(f"{API}/ballots/{ballot['id']}/notice-coverage", headers=estate.staff)).json()
    assert (cover["households"], cover["reached"]) == (8, 0)  # 黄's unit and the seven of the fixture
    owners = await _users(db, "zhang", "li")
    rows = (await db.exec(select(NotificationOutbox).where(NotificationOutbox.template == "ballot_announced"))).all()
    for row in rows:
        if row.user_id == owners["zhang"]:  # WeChat delivered it
            row.status, row.wechat_result, row.sent_at = OutboxStatus.sent, "sent", clock.now()
        elif row.user_id == owners["li"]:  # read in the app
            db.add(InboxMessage(user_id=row.user_id, outbox_id=row.id, title=row.title, body=row.body,
                                read_at=clock.now()))
        else:  # WeChat refused: proves nothing
            row.status, row.wechat_result = OutboxStatus.failed, "refused"
        db.add(row)
    await db.flush()
    worker = await world.headers_for(db, "grid_worker:in")
    photo = await _upload(client, worker)
    r = await client.post(f"{API}/ballots/{ballot['id']}/notice-deliveries", headers=worker,
                          json={"unit_id": str(estate.units["201"]), "channel": "posted"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "delivery_photo_required"
    r = await client.post(f"{API}/ballots/{ballot['id']}/notice-deliveries", headers=worker,
                          json={"unit_id": str(estate.units["201"]), "channel": "posted", "file_ids": [photo]})
    assert r.status_code == 201
    r = await client.post(f"{API}/ballots/{ballot['id']}/notice-deliveries", headers=worker,
                          json={"unit_id": str(world.b.unit.id), "channel": "handed"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unit_not_in_ballot"
    cover = (await client.get(f"{API}/ballots/{ballot['id']}/notice-coverage?grid_id={world.a.grid_id}",
                              headers=worker)).json()
    # zhang's three units by WeChat, li's (co-owned with wang) in the app, 201 on paper.
    assert (cover["households"], cover["reached"], cover["percent"]) == (8, 5, "62.5")
    assert cover["by_channel"] == {"wechat": 3, "inbox": 1, "handed": 0, "posted": 1}
    assert sorted(h["room_number"] for h in cover["unreached"]) == sorted(
        ["202", "203", world.a.unit.room_number])


async def _upload(client, headers):
    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (8, 8), (200, 30, 30)).save(png, format="PNG")
    r = await client.post(f"{API}/files", headers=headers, files={"file": ("公告.png", png.getvalue(), "image/png")})
    return r.json()["id"]


# ---- the electorate checked before it is frozen ----------------------------------------------------------


async def test_owners_check_the_electorate_and_staff_correct_it_before_it_opens(client, db, estate, world):
    ballot = await announced(client, estate)
    preview = await client.get(f"{API}/ballots/{ballot['id']}/electorate-preview", headers=estate.tenant)
    assert preview.status_code == 200
    body = preview.json()
    assert (body["voters"], body["total_area"]) == (5, "593.50")
    assert "张三" not in preview.text and "张*" in preview.text  # names masked
    r = await client.get(f"{API}/ballots/{ballot['id']}/electorate-preview", headers=await world.headers_for(
        db, "resident:out"))
    assert r.status_code == 404

    r = await client.post(f"{API}/ballots/{ballot['id']}/corrections", headers=estate.owners["zhao"], json={
        "unit_id": str(estate.units["203"]), "kind": "area_wrong", "note": "产权证面积为62.50平方米"})
    assert r.status_code == 201
    correction = r.json()
    await notice_served(db, ballot["id"])
    r = await client.post(f"{API}/ballots/{ballot['id']}/open", headers=estate.staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "corrections_unanswered"
    assert r.json()["error"]["details"]["correction_ids"] == [correction["id"]]
    assert "1件" in r.json()["error"]["message"]

    r = await client.post(f"{API}/corrections/{correction['id']}/answer", headers=estate.staff, json={
        "accepted": True, "reply": "已按产权证更正", "unit": {"area": "62.50"}})
    assert r.status_code == 200 and r.json()["accepted"] is True
    r = await client.post(f"{API}/corrections/{correction['id']}/answer", headers=estate.staff, json={
        "accepted": False, "reply": "再答一次"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "correction_already_answered"
    told = (await db.exec(select(NotificationOutbox).where(
        NotificationOutbox.template == "ballot_request_answered"))).all()  # once, to the one who asked
    assert [(n.user_id, n.data["phrase2"]) for n in told] == [((await _users(db, "zhao"))["zhao"], "已采纳")]
    assert "已按产权证更正" in told[0].body
    opened_ballot = (await client.post(f"{API}/ballots/{ballot['id']}/open", headers=estate.staff)).json()
    assert opened_ballot["total_area"] == "596.00"  # 赵's 60.00 became 62.50 before the freeze
    r = await client.post(f"{API}/ballots/{ballot['id']}/corrections", headers=estate.owners["zhao"], json={
        "unit_id": str(estate.units["203"]), "kind": "transferred", "note": "晚了"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "corrections_closed"
    mine = (await client.get(f"{API}/ballots/{ballot['id']}/corrections", headers=estate.owners["zhao"])).json()
    assert [c["id"] for c in mine["items"]] == [correction["id"]]
    theirs = await client.get(f"{API}/ballots/{ballot['id']}/corrections", headers=estate.owners["li"])
    assert theirs.json() == {"items": [], "next_cursor": None}


# ---- after the close --------------------------------------------------------------------------------------


async def _finalized(db, ballot) -> None:
    await window_passed(db, ballot)
    await finalize_due(db)


async def window_passed(db, ballot) -> None:
    """As if the objection window had passed: the ballot closed ``objection_days`` ago."""
    row = await db.get(Ballot, uuid.UUID(ballot["id"]))
    row.closed_at = clock.now() - timedelta(days=row.objection_days)
    db.add(row)
    await db.flush()


async def test_objections_hold_the_result_until_answered(client, db, estate):
    ballot = await opened(client, estate, rule="simple_majority")
    await vote(client, estate.owners["zhang"], ballot, "approve")
    closed = (await client.post(f"{API}/ballots/{ballot['id']}/close", headers=estate.staff)).json()
    assert closed["status"] == "closed"
    owners = await _users(db, "zhang", "li", "wang", "zhao")
    assert sorted((await db.exec(select(NotificationOutbox.user_id).where(
        NotificationOutbox.template == "ballot_result"))).all()) == sorted(owners.values())
    r = await client.post(f"{API}/ballots/{ballot['id']}/objections", headers=estate.tenant,
                          json={"kind": "ineligible_voter", "note": "有人无权投票"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_in_electorate"
    r = await client.post(f"{API}/ballots/{ballot['id']}/objections", headers=estate.owners["zhao"],
                          json={"kind": "vote_missing", "note": "我投了票但回执不在公布名单中"})
    assert r.status_code == 201
    objection = r.json()

    r = await client.post(f"{API}/ballots/{ballot['id']}/finalize", headers=estate.staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "ballot_not_yet_final"
    assert r.json()["error"]["details"]["unanswered"] == 1
    await window_passed(db, ballot)
    await finalize_due(db)
    assert (await _get(client, estate, ballot))["status"] == "closed"  # an objection is unanswered
    r = await client.post(f"{API}/ballots/{ballot['id']}/objections", headers=estate.owners["li"],
                          json={"kind": "counted_wrong", "note": "太晚了"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "objections_closed"
    r = await client.post(f"{API}/objections/{objection['id']}/answer", headers=estate.staff,
                          json={"reply": "经核对，您未提交表决票"})
    assert r.status_code == 200 and r.json()["reply"] == "经核对，您未提交表决票"
    r = await client.post(f"{API}/objections/{objection['id']}/answer", headers=estate.staff, json={"reply": "再答"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "objection_already_answered"
    assert await _told(db, "ballot_request_answered") == [owners["zhao"]]
    r = await client.post(f"{API}/ballots/{ballot['id']}/finalize", headers=estate.staff)  # staff need not wait
    assert r.status_code == 200
    final = await _get(client, estate, ballot)
    assert final["status"] == "final" and final["finalized_at"]
    results = (await client.get(f"{API}/ballots/{ballot['id']}/results", headers=estate.tenant)).json()
    assert (results["status"], results["final"]) == ("final", True)
    pdf = await client.get(f"{API}/ballots/{ballot['id']}/results.pdf", headers=estate.tenant)
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "业主共同决定事项表决结果公告" in text and "生效" in text
    assert f"发布单位：{estate.side.street.name}{estate.side.community.name}" in text.replace("\n", "")


async def test_objections_are_listed_in_pages_staff_all_an_owner_theirs(client, db, estate):
    ballot = await opened(client, estate, rule="simple_majority")
    await vote(client, estate.owners["zhang"], ballot, "approve")
    await client.post(f"{API}/ballots/{ballot['id']}/close", headers=estate.staff)
    filed = [(await client.post(f"{API}/ballots/{ballot['id']}/objections", headers=estate.owners[who],
                                json={"kind": "vote_missing", "note": f"{who}的异议"})).json()["id"]
             for who in ("zhao", "li", "zhao")]
    url = f"{API}/ballots/{ballot['id']}/objections"
    seen, cursor = [], None
    while True:
        page = (await client.get(url, headers=estate.staff, params={"limit": 2, **({"cursor": cursor} if cursor else {})})).json()
        seen += [o["id"] for o in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == filed  # oldest first, each once, over two pages
    mine = (await client.get(url, headers=estate.owners["zhao"])).json()
    assert [o["id"] for o in mine["items"]] == [filed[0], filed[2]] and mine["next_cursor"] is None
    assert (await client.get(url, headers=estate.staff, params={"cursor": "garbage"})).status_code == 400


async def test_a_recount_reports_any_difference(client, db, estate):
    ballot = await opened(client, estate, rule="simple_majority")
    r = await client.post(f"{API}/ballots/{ballot['id']}/recount", headers=estate.staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "recount_not_closed"
    await vote(client, estate.owners["zhang"], ballot, "approve")
    await vote(client, estate.owners["zhao"], ballot, "oppose")
    await client.post(f"{API}/ballots/{ballot['id']}/close", headers=estate.staff)
    r = await client.post(f"{API}/ballots/{ballot['id']}/recount", headers=estate.staff)
    assert (r.status_code, r.json()["matches"], r.json()["differences"]) == (200, True, [])
    # A stored choice altered behind the application's back: the recount finds it.
    choice = (await db.exec(select(BallotChoice).where(BallotChoice.ballot_id == uuid.UUID(ballot["id"]),
                                                       BallotChoice.choice == "oppose"))).one()
    choice.choice = "approve"
    db.add(choice)
    await db.flush()
    report = (await client.post(f"{API}/ballots/{ballot['id']}/recount", headers=estate.staff)).json()
    assert report["matches"] is False
    assert {(d["figure"], d["stored"], d["recounted"]) for d in report["differences"]} == {
        ("approve.area", "246.50", "306.50"), ("approve.headcount", "1", "2"),
        ("oppose.area", "60.00", "0.00"), ("oppose.headcount", "1", "0"), ("outcome", "rejected", "passed")}


async def test_households_show_who_voted_never_how(client, db, estate, world):
    ballot = await opened(client, estate)
    await vote(client, estate.owners["zhang"], ballot, "oppose")
    r = await client.get(f"{API}/ballots/{ballot['id']}/households", headers=estate.owners["li"])
    assert r.status_code == 200
    voted = {h["label"]: h["voted"] for h in r.json()["items"]}
    assert sum(voted.values()) == 3 and len(voted) == 8  # 张's three units, one vote
    assert "oppose" not in r.text and "choice" not in r.text
    r = await client.get(f"{API}/ballots/{ballot['id']}/households", headers=estate.tenant)
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_an_owner"


# ---- identity assurance -----------------------------------------------------------------------------


async def test_an_online_vote_needs_the_ballots_assurance_and_paper_is_always_open(client, db, estate, world):
    owner = await f.user(db, display_name="邀请码业主")
    person = (await f.owner(db, estate.units_obj["201"], name="孙七", phone=None))
    binding = await f.bind(db, owner, estate.units_obj["201"], person=person, assurance=Assurance.invite_code)
    headers = await f.headers(db, owner)
    ballot = await opened(client, estate)  # civil_code_major: phone_match at least
    assert ballot["min_assurance"] == "phone_match"
    r = await vote(client, headers, ballot, "approve")
    assert r.status_code == 403 and r.json()["error"]["code"] == "assurance_too_low"
    assert r.json()["error"]["details"] == {"required": "phone_match", "held": "invite_code",
                                            "raise_by": ["bind_phone", "in_person_check", "real_name", "paper_vote"]}
    assert "书面表决票" in r.json()["error"]["message"]

    # A grid worker of another street does not find the binding; the estate's checks the owner's ID card at
    # the door: in person, and now the vote goes through.
    r = await client.post(f"{API}/unit-bindings/{binding.id}/identity-checks",
                          headers=await world.headers_for(db, "grid_worker:out"), json={"document": "id_card"})
    assert r.status_code == 404
    r = await client.post(f"{API}/unit-bindings/{binding.id}/identity-checks", headers=headers,
                          json={"document": "id_card"})
    assert r.status_code == 404  # a resident decides nobody's binding, their own included
    worker = await world.headers_for(db, "grid_worker:in")
    r = await client.post(f"{API}/unit-bindings/{binding.id}/identity-checks", headers=worker,
                          json={"document": "id_card", "file_id": await _upload(client, worker)})
    assert r.status_code == 200 and r.json()["assurance"] == "in_person"
    assert (await vote(client, headers, ballot, "approve")).status_code == 201


async def test_a_consultation_may_ask_less(client, db, estate):
    owner = await f.user(db, display_name="邀请码业主")
    person = await f.owner(db, estate.units_obj["201"], name="孙七", phone=None)
    await f.bind(db, owner, estate.units_obj["201"], person=person, assurance=Assurance.invite_code)
    ballot = await opened(client, estate, rule="simple_majority", notice_days=3)
    assert (ballot["min_assurance"], ballot["notice_days"]) == ("invite_code", 3)
    assert (await vote(client, await f.headers(db, owner), ballot, "approve")).status_code == 201


async def test_the_real_name_check_raises_assurance_when_the_name_is_the_records(client, db, estate):
    owner = await f.user(db)
    person = await f.owner(db, estate.units_obj["201"], name="孙七", phone=None)
    binding = await f.bind(db, owner, estate.units_obj["201"], person=person, assurance=Assurance.invite_code)
    headers = await f.headers(db, owner)
    url = f"{API}/me/unit-bindings/{binding.id}/real-name"
    for token, status, code in (("fail", 422, "realname_failed"), ("pass:孙八", 422, "realname_mismatch"),
                                ("timeout", 503, "realname_unavailable")):
        r = await client.post(url, headers=headers, json={"token": token})
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), token
    r = await client.post(url, headers=headers, json={"token": "pass:孙七"})
    assert r.status_code == 200 and r.json()["assurance"] == "provider"
    other = await f.headers(db, await f.user(db))
    assert (await client.post(url, headers=other, json={"token": "pass:孙七"})).status_code == 404


async def test_nobody_checks_their_own_identity(client, db, estate, world):
    worker_user = await world.user_for(db, "grid_worker:in")
    person = await f.owner(db, estate.units_obj["202"], name="网格员本人", phone=None)
    binding = await f.bind(db, worker_user, estate.units_obj["202"], person=person, assurance=Assurance.invite_code)
    r = await client.post(f"{API}/unit-bindings/{binding.id}/identity-checks",
                          headers=await f.headers(db, worker_user), json={"document": "id_card"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "identity_check_self"
    row = await db.get(type(binding), binding.id)
    assert row.assurance == Assurance.invite_code


async def test_the_worker_does_not_open_a_ballot_with_an_unanswered_correction(client, db, estate):
    from app.voting import tasks

    ballot = await announced(client, estate)
    await client.post(f"{API}/ballots/{ballot['id']}/corrections", headers=estate.owners["zhao"], json={
        "unit_id": str(estate.units["203"]), "kind": "not_registered", "note": "共有人未登记"})
    await notice_served(db, ballot["id"])
    await tasks.open_due(db)
    assert (await db.get(Ballot, uuid.UUID(ballot["id"]))).status == "announced"
    r = await client.post(f"{API}/ballots/{ballot['id']}/open", headers=estate.staff)  # staff see why
    assert r.status_code == 409 and r.json()["error"]["code"] == "corrections_unanswered"
