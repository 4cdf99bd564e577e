"""The whole publication cycle through the API, with the residents' view checked at each step: draft,
publish, opinions, replies, hiding, read receipts, revise to v2 naming the opinions it answers, publish v2."""

import io
from datetime import timedelta

from pypdf import PdfReader
from sqlmodel import select

from app.core import clock
from app.core.models import AuditEntry
from app.notifications.models import NotificationOutbox as Outbox
from tests.files.conftest import PNG
from tests.plans.conftest import API, ROADS, ROOF, draft, headers_now, opinion, published


def _pdf(pages: int) -> bytes:
    """A real PDF of ``pages`` blank pages."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def _upload(client, headers, data, name, content_type):
    r = await client.post(f"{API}/files", headers=headers, files={"file": (name, data, content_type)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _tasks(client, headers):
    return (await client.get(f"{API}/me/tasks", headers=headers)).json()["plans"]


async def _opinions(client, headers, plan, **params):
    r = await client.get(f"{API}/plans/{plan['id']}/opinions", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_the_whole_publication_cycle(client, db, estate):
    owner101, owner102, owner201 = (estate.owners[r] for r in ("101", "102", "201"))
    plans_url = f"{API}/projects/{estate.project_id}/plans"

    # Draft v1: the project's items at their estimates, then attachments and a scope for one item.
    v1 = await draft(client, estate)
    assert (v1["status"], v1["version"]) == ("draft", 1)
    assert [(i["item_code"], i["estimated_cost_fen"]) for i in v1["items"]] == [(ROADS, 1_200_000_00), (ROOF, 345_678_90)]
    assert v1["total_cost_fen"] == 1_545_678_90
    drawing = await _upload(client, estate.staff, _pdf(2), "总平面图.pdf", "application/pdf")
    render = await _upload(client, estate.staff, PNG, "效果图.png", "image/png")
    r = await client.patch(f"{API}/plans/{v1['id']}", headers=estate.staff, json={
        "attachment_file_ids": [drawing, render],
        "items": [{"item_code": ROADS, "scope": "小区主干道 1,800㎡"}, {"item_code": ROOF, "scope": "1栋、2栋屋面"}]})
    assert r.status_code == 200, r.text
    assert [a["filename"] for a in r.json()["attachments"]] == ["总平面图.pdf", "效果图.png"]
    assert r.json()["items"][0]["scope"] == "小区主干道 1,800㎡"
    # Residents see nothing of a draft, not even its attachments.
    assert (await client.get(f"{API}/plans/{v1['id']}", headers=owner101)).status_code == 404
    assert (await client.get(plans_url, headers=owner101)).json() == []
    assert (await client.get(f"{API}/files/{drawing}", headers=owner101)).status_code == 404
    assert await _tasks(client, owner101) == []

    # Publish: a week of notice by default, its end in Beijing time.
    r = await client.post(f"{API}/plans/{v1['id']}/publish", headers=estate.staff, json={})
    assert r.status_code == 200, r.text
    v1 = r.json()
    ends = clock.now() + timedelta(days=7)
    assert v1["status"] == "published" and v1["in_notice_period"]
    assert abs(clock.now().fromisoformat(v1["notice_ends_at"]) - ends) < timedelta(minutes=1)
    assert v1["notice_ends_display"] == clock.shanghai_text(clock.now().fromisoformat(v1["notice_ends_at"]))
    seen = (await client.get(f"{API}/plans/{v1['id']}", headers=owner101)).json()
    assert seen["items"][1]["scope"] == "1栋、2栋屋面" and seen["published_by"]["display_name"] == "社区王主任"
    assert (await client.get(f"{API}/files/{render}", headers=owner101)).content == PNG
    assert [(t["plan_id"], t["version"]) for t in await _tasks(client, owner101)] == [(v1["id"], 1)]
    # A published version never changes.
    r = await client.patch(f"{API}/plans/{v1['id']}", headers=estate.staff, json={"title": "改"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "plan_not_draft"
    assert r.json()["error"]["message"] == "方案已发布，不能修改；请在其上修订出新版本"

    # Opinions: residents for their units, a grid worker for a household of their grid.
    photo = await _upload(client, owner101, PNG, "路面.png", "image/png")
    r = await opinion(client, owner101, v1, "主干道请一并加装路灯", item_code=ROADS, photo_file_ids=[photo])
    assert r.status_code == 201, r.text
    lights = r.json()
    assert (lights["who"], lights["mine"], lights["status"]) == ("1栋1单元101", True, "pending")
    assert (await opinion(client, owner201, v1, "2栋屋面漏水最严重，请优先", item_code=ROOF)).status_code == 201
    r = await opinion(client, estate.grid, v1, "老人行动不便，希望施工期间保留通道", channel="proxy",
                      unit_id=str(estate.units["103"]))
    assert r.status_code == 201 and r.json()["channel"] == "proxy"
    rude = (await opinion(client, owner102, v1, "某某是骗子，电话138xxxx")).json()

    # Every resident of the estate reads every opinion, the household shown by building only.
    listed = await _opinions(client, owner102, v1)
    assert [o["content"] for o in listed] == ["主干道请一并加装路灯", "2栋屋面漏水最严重，请优先",
                                              "老人行动不便，希望施工期间保留通道", "某某是骗子，电话138xxxx"]
    assert [o["who"] for o in listed] == ["1栋住户", "2栋住户", "1栋住户", "1栋1单元102"]
    assert [o["mine"] for o in listed] == [False, False, False, True]
    assert all(o["author"] is None for o in listed)
    assert (await client.get(f"{API}/files/{photo}", headers=owner102)).status_code == 200
    staff_view = await _opinions(client, estate.staff, v1)
    assert [o["who"] for o in staff_view][:2] == ["1栋1单元101", "2栋1单元201"]
    assert staff_view[0]["author"]["display_name"] == "业主101"
    assert [o["content"] for o in await _opinions(client, owner101, v1, item_code=ROADS)] == ["主干道请一并加装路灯"]

    # Replies: residents read them, and the author is told.
    r = await client.post(f"{API}/opinions/{lights['id']}/reply", headers=estate.staff,
                          json={"status": "adopted", "reply": "已纳入方案，主干道增设路灯12盏"})
    assert r.status_code == 200 and r.json()["status"] == "adopted"
    roof = listed[1]
    await client.post(f"{API}/opinions/{roof['id']}/reply", headers=estate.staff,
                      json={"status": "partially_adopted", "reply": "2栋先行施工，1栋随后"})
    await client.post(f"{API}/opinions/{listed[2]['id']}/reply", headers=estate.staff,
                      json={"status": "noted", "reply": "施工时保留无障碍通道"})
    r = await client.post(f"{API}/opinions/{rude['id']}/reply", headers=estate.staff, json={"status": "pending", "reply": "x"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "reply_status_invalid"
    replied = await _opinions(client, owner201, v1)
    assert [(o["status"], o["reply"]) for o in replied[:2]] == [
        ("adopted", "已纳入方案，主干道增设路灯12盏"), ("partially_adopted", "2栋先行施工，1栋随后")]
    told = (await db.exec(select(Outbox).where(Outbox.template == "opinion_replied"))).all()
    assert [(n.user_id, n.data["phrase2"]) for n in told] == [(estate.owner_ids["101"], "采纳"),
                                                              (estate.owner_ids["201"], "部分采纳")]

    # Hiding: gone for residents (but its author), kept with the reason for staff and in the audit log.
    r = await client.post(f"{API}/opinions/{rude['id']}/hide", headers=estate.staff, json={"reason": "含有他人个人信息"})
    assert r.status_code == 200 and r.json()["hidden"] is True
    assert rude["id"] not in [o["id"] for o in await _opinions(client, owner101, v1)]
    own = [o for o in await _opinions(client, owner102, v1) if o["id"] == rude["id"]]
    assert own[0]["hidden"] and own[0]["hidden_reason"] == "含有他人个人信息"
    kept = [o for o in await _opinions(client, estate.staff, v1) if o["id"] == rude["id"]][0]
    assert (kept["content"], kept["hidden_reason"]) == ("某某是骗子，电话138xxxx", "含有他人个人信息")
    entry = (await db.exec(select(AuditEntry).where(AuditEntry.action == "plan.opinion.hide"))).one()
    assert entry.before["content"] == "某某是骗子，电话138xxxx" and entry.after["hidden"] is True

    # The summary counts visible opinions (the hidden one only for staff).
    summary = (await client.get(f"{API}/plans/{v1['id']}/opinions/summary", headers=owner101)).json()
    counts = {s["status"]: s["count"] for s in summary["by_status"]}
    assert (summary["total"], summary["hidden"]) == (3, 0)
    assert counts == {"pending": 0, "adopted": 1, "partially_adopted": 1, "not_adopted": 0, "noted": 1}
    assert summary["adoption"] == {"adopted": 1, "partially_adopted": 1, "decided": 2, "percent": "100.0"}
    assert [(i["item_code"], i["total"]) for i in summary["by_item"]] == [(None, 1), (ROADS, 1), (ROOF, 1)]
    assert (await client.get(f"{API}/plans/{v1['id']}/opinions/summary", headers=estate.staff)).json()["hidden"] == 1

    # Read receipts: the unit has read it (tenant and owner alike); the rest are on the door-knocking list.
    r = await client.post(f"{API}/plans/{v1['id']}/views", headers=estate.tenant)
    assert r.json() == {"unit_ids": [str(estate.units["101"])]}
    await client.post(f"{API}/plans/{v1['id']}/views", headers=owner101)
    assert await _tasks(client, owner101) == [] and len(await _tasks(client, owner102)) == 1
    everyone = {u["label"] for u in (await client.get(f"{API}/plans/{v1['id']}/non-viewers",
                                                      headers=estate.staff)).json()["items"]}
    assert {"1栋1单元102", "1栋1单元103", "2栋1单元201"} <= everyone and "1栋1单元101" not in everyone
    grid = {u["label"] for u in (await client.get(f"{API}/plans/{v1['id']}/non-viewers",
                                                  headers=estate.grid)).json()["items"]}
    assert {"1栋1单元102", "1栋1单元103"} <= grid and "2栋1单元201" not in grid

    # Revise: v2 answers two opinions; residents keep reading v1 until v2 is published.
    r = await client.post(f"{API}/plans/{v1['id']}/revise", headers=estate.staff, json={
        "change_notes": "主干道增设路灯；2栋屋面先行施工", "answers_opinion_ids": [lights["id"], roof["id"]]})
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert (v2["status"], v2["version"], v2["change_notes"]) == ("draft", 2, "主干道增设路灯；2栋屋面先行施工")
    assert [a["filename"] for a in v2["attachments"]] == ["总平面图.pdf", "效果图.png"]
    assert [o["content"] for o in v2["answers_opinions"]] == ["主干道请一并加装路灯", "2栋屋面漏水最严重，请优先"]
    r = await client.post(f"{API}/plans/{v1['id']}/revise", headers=estate.staff, json={"change_notes": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "plan_draft_exists"
    r = await client.patch(f"{API}/plans/{v2['id']}", headers=estate.staff, json={
        "summary": "道路修缮（含路灯12盏）与屋面防水。", "attachment_file_ids": [drawing]})
    assert r.status_code == 200 and len(r.json()["attachments"]) == 1
    assert [p["version"] for p in (await client.get(plans_url, headers=owner101)).json()] == [1]
    assert (await client.get(f"{API}/plans/{v2['id']}", headers=owner101)).status_code == 404

    # Publish v2: v1 is superseded, residents read v2 with the answered opinions and their replies.
    r = await client.post(f"{API}/plans/{v2['id']}/publish", headers=estate.staff, json={})
    assert r.status_code == 200, r.text
    listed = (await client.get(plans_url, headers=owner101)).json()
    assert [(p["version"], p["status"]) for p in listed] == [(1, "superseded"), (2, "published")]
    v2 = listed[1]
    assert v2["summary"] == "道路修缮（含路灯12盏）与屋面防水。"
    assert [(o["version"], o["status"], o["reply"]) for o in v2["answers_opinions"]] == [
        (1, "adopted", "已纳入方案，主干道增设路灯12盏"), (1, "partially_adopted", "2栋先行施工，1栋随后")]
    assert (await client.get(f"{API}/files/{render}", headers=owner101)).status_code == 200  # still v1's
    r = await opinion(client, owner101, listed[0], "对第1版的意见")
    assert r.status_code == 409 and r.json()["error"]["code"] == "plan_superseded"
    assert [(t["plan_id"], t["version"]) for t in await _tasks(client, owner101)] == [(v2["id"], 2)]
    assert (await opinion(client, owner101, v2, "同意第2版")).status_code == 201


async def test_an_opinion_after_the_notice_period_is_refused_in_chinese(client, db, estate):
    plan = await published(client, estate)
    ends = clock.now().fromisoformat(plan["notice_ends_at"])
    owner = estate.owner_ids["101"]
    with clock.freeze(ends - timedelta(seconds=1)):
        assert (await opinion(client, await headers_now(db, owner), plan)).status_code == 201
    with clock.freeze(ends):
        r = await opinion(client, await headers_now(db, owner), plan)
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "notice_period_over"
    assert error["message"] == f"公示期已于{clock.shanghai_text(ends)}（北京时间）结束，不再受理意见"
    assert error["details"]["notice_ends_at"] == ends.isoformat()
    with clock.freeze(ends + timedelta(days=3)):
        r = await client.post(f"{API}/plans/{plan['id']}/opinions",
                              headers=await headers_now(db, owner) | {"Accept-Language": "en"}, json={"content": "late"})
    assert r.json()["error"]["message"] == (f"The notice period ended on {clock.shanghai_text(ends)} (Beijing time); "
                                            "opinions are no longer taken")


async def test_the_notice_period_is_at_least_the_configured_days(client, estate):
    plan = await draft(client, estate)
    now = clock.now()
    r = await client.post(f"{API}/plans/{plan['id']}/publish", headers=estate.staff,
                          json={"notice_ends_at": (now + timedelta(days=6, hours=23)).isoformat()})
    assert r.status_code == 422 and r.json()["error"]["message"] == "公示期不得少于7天"
    r = await client.post(f"{API}/plans/{plan['id']}/publish", headers=estate.staff,
                          json={"notice_starts_at": (now - timedelta(days=1)).isoformat()})
    assert r.json()["error"]["code"] == "notice_start_invalid"
    r = await client.post(f"{API}/plans/{plan['id']}/publish", headers=estate.staff,
                          json={"notice_starts_at": "9999-12-31T23:00:00+00:00"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "notice_start_invalid"
    r = await client.post(f"{API}/plans/{plan['id']}/publish", headers=estate.staff,
                          json={"notice_ends_at": "9999-12-31T23:00:00+00:00"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "notice_period_too_long"
    later = now + timedelta(days=2)
    r = await client.post(f"{API}/plans/{plan['id']}/publish", headers=estate.staff,
                          json={"notice_starts_at": later.isoformat(), "notice_ends_at": (later + timedelta(days=10)).isoformat()})
    assert r.status_code == 200
    # Not open for opinions before it starts; the message says when it does.
    r = await opinion(client, estate.owners["101"], r.json())
    assert r.status_code == 409 and r.json()["error"]["message"] == (
        f"公示期于{clock.shanghai_text(later)}（北京时间）开始，届时可以提出意见")


async def test_what_a_draft_must_be(client, db, estate, world):
    url = f"{API}/projects/{estate.project_id}/plans"
    r = await client.post(url, headers=estate.staff, json={"title": "x", "items": [{"item_code": "upgrade.elderly_care"}]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "plan_item_not_selected"
    empty = await draft(client, estate, summary="")
    r = await opinion(client, estate.staff, empty, channel="proxy", unit_id=str(estate.units["101"]))
    assert r.status_code == 409 and r.json()["error"]["code"] == "plan_not_published"
    r = await client.post(f"{API}/plans/{empty['id']}/publish", headers=estate.staff)
    assert r.status_code == 422 and r.json()["error"]["code"] == "plan_incomplete"
    r = await client.post(url, headers=estate.staff, json={"title": "第二份"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "plan_draft_exists"
    # Someone else's upload cannot be attached.
    theirs = await _upload(client, estate.owners["101"], PNG, "x.png", "image/png")
    r = await client.patch(f"{API}/plans/{empty['id']}", headers=estate.staff, json={"attachment_file_ids": [theirs]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "file_not_usable"
    # Answered opinions must be opinions on an earlier version of this plan.
    r = await client.patch(f"{API}/plans/{empty['id']}", headers=estate.staff,
                           json={"answers_opinion_ids": [str(world.a.project_id)]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "opinion_ids_unknown"


async def test_who_may_give_an_opinion(client, estate, world, db):
    plan = await published(client, estate)
    # A resident with no unit in the estate, staff in their own name, and a proxy outside the grid.
    r = await opinion(client, estate.staff, plan)
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_a_resident_here"
    r = await opinion(client, estate.owners["101"], plan, channel="proxy", unit_id=str(estate.units["102"]))
    assert r.status_code == 403 and r.json()["error"]["code"] == "plan_proxy_not_allowed"
    r = await opinion(client, estate.grid, plan, channel="proxy", unit_id=str(estate.units["201"]))
    assert r.status_code == 404  # 2栋 is not in the grid worker's grid
    r = await opinion(client, estate.grid, plan, channel="proxy")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["body", "unit_id"]
    r = await opinion(client, estate.owners["101"], plan, unit_id=str(estate.units["102"]))
    assert r.status_code == 404  # not their unit
    r = await opinion(client, estate.owners["101"], plan, item_code="upgrade.elderly_care")
    assert r.status_code == 422 and r.json()["error"]["code"] == "opinion_item_unknown"
    r = await opinion(client, estate.staff, plan, channel="proxy", unit_id=str(estate.units["201"]))
    assert r.status_code == 201 and r.json()["who"] == "2栋1单元201"


async def test_the_plan_as_one_pdf(client, estate):
    drawing = await _upload(client, estate.staff, _pdf(2), "总平面图.pdf", "application/pdf")
    render = await _upload(client, estate.staff, PNG, "效果图.png", "image/png")
    plan = await published(client, estate, attachment_file_ids=[drawing, render],
                           items=[{"item_code": ROADS, "scope": "主干道<1,800㎡>"}, {"item_code": ROOF}])
    r = await client.get(f"{API}/plans/{plan['id']}/pdf", headers=estate.owners["201"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "plan-v1.pdf" in r.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == 1 + 2 + 1  # the summary page, the drawing's two pages, the rendering
    first = reader.pages[0].extract_text()
    for expected in ("电力小区综合改造方案（第1版）", "道路修缮与屋面防水。", "主干道<1,800㎡>", "1,200,000.00",
                     "345,678.90", "1,545,678.90", "总平面图.pdf", "公示期",
                     # who issues it (the street and community of the registry); an item without a scope: all of it
                     f"公示单位：{estate.side.street.name}{estate.side.community.name}", "全小区"):
        assert expected in first.replace("\n", ""), expected
    # The Chinese font travels with the document (embedded as a subset), so any phone renders it.
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    ours = [f for f in fonts if "WenQuanYiMicroHei" in str(f["/BaseFont"])]
    assert ours and all("/FontFile2" in f["/FontDescriptor"] for f in ours)
