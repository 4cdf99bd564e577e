"""The public notice board (docs/public-board.md) without logging in: what an estate's code opens, plans with
their anonymous replies, announced ballots and their totals, receipt and certificate checks; what never
appears (drafts, hidden opinions, unannounced ballots, a household's vote); the cache headers, 304 and the
per-address limit; unknown codes answering 404 alike."""

import io
import re
import uuid

from pypdf import PdfReader
from sqlmodel import select

from app.core.config import get_settings
from app.registry.models import Estate
from app.voting.models import BallotCast
from tests import factories as f
from tests.voting.conftest import API, announced, to_voting, vote
from tests.voting.conftest import ballot as opened

PHONE = re.compile(r"1[3-9]\d{9}")


async def _code(db, estate_id) -> str:
    return (await db.exec(select(Estate.short_code).where(Estate.id == estate_id))).one()


async def test_an_estate_page_shows_what_was_published_and_nothing_else(client, db, estate, monkeypatch):
    monkeypatch.setattr(get_settings(), "public_cache_seconds", 0)
    plan = await to_voting(db, estate)
    draft_ballot = (await client.post(f"{API}/projects/{estate.side.project_id}/ballots", headers=estate.staff, json={
        "title": "草稿表决", "rule": "simple_majority", "motions": [{"title": "同意"}], "notice_days": 0,
        "opens_at": "2030-01-01T00:00:00+08:00", "closes_at": "2030-01-08T00:00:00+08:00"})).json()
    dropped = (await client.post(f"{API}/projects/{estate.side.project_id}/ballots", headers=estate.staff, json={
        "title": "撤回的草稿", "rule": "simple_majority", "motions": [{"title": "同意"}], "notice_days": 0,
        "opens_at": "2030-01-01T00:00:00+08:00", "closes_at": "2030-01-08T00:00:00+08:00"})).json()
    assert (await client.post(f"{API}/ballots/{dropped['id']}/cancel", headers=estate.staff,
                              json={"reason": "重复创建"})).status_code == 200
    shown = await announced(client, estate, title="加装电梯表决")
    code = await _code(db, estate.side.estate_id)

    r = await client.get(f"{API}/public/estates/{code.lower()}")  # as typed off paper
    assert r.status_code == 200 and "authorization" not in r.request.headers
    page = r.json()
    assert (page["code"], page["name"]) == (code, estate.side.estate.name)
    [project] = page["projects"]
    assert project["stage"] == "居民表决"
    assert [(p["id"], p["status_name"]) for p in project["plans"]] == [(str(plan.id), "公示中")]
    assert [b["title"] for b in project["ballots"]] == ["加装电梯表决"]  # never a draft, even a cancelled one
    for unannounced in (draft_ballot, dropped):
        assert (await client.get(f"{API}/public/ballots/{unannounced['id']}")).status_code == 404
        assert (await client.get(f"/public/ballots/{unannounced['id']}")).status_code == 404
    ballot = (await client.get(f"{API}/public/ballots/{shown['id']}")).json()
    assert (ballot["status_name"], ballot["results"]) == ("已公告，待表决", None)
    assert ballot["ballot"]["created_by"] is None

    html = await client.get(f"/public/estates/{code}")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in html.text and "加装电梯表决" in html.text and "草稿表决" not in html.text


async def test_unknown_codes_and_hashes_answer_404_alike(client, db, estate):
    for path in ("/public/estates/NOPE42", "/public/receipts/0000-0000-0000-0000", f"/public/certificates/{'0' * 64}",
                 f"/public/plans/{uuid.uuid4()}", f"/public/ballots/{uuid.uuid4()}", f"/public/photos/{uuid.uuid4()}"):
        r = await client.get(API + path)
        assert r.status_code == 404 and r.json()["error"] == {"code": "not_found", "message": "资源不存在",
                                                              "details": None}, path
    page = await client.get("/public/estates/NOPE42")
    assert page.status_code == 404 and "没有找到" in page.text


async def test_a_plan_shows_its_replies_without_authors_and_never_hidden_ones(client, db, estate, world):
    plan = await to_voting(db, estate)
    from app.plans.models import OpinionStatus, PlanOpinion

    resident = await world.user_for(db, "resident:in")
    for content, hidden in (("楼道灯请改成声控，联系我13912345678", False), ("骂人的话", True)):
        db.add(PlanOpinion(plan_id=plan.id, project_id=plan.project_id, unit_id=world.a.unit.id,
                           building_id=world.a.building.id, author_id=resident.id, recorded_by=resident.id,
                           channel="self", content=content, status=OpinionStatus.adopted, reply="已采纳",
                           hidden=hidden, hidden_reason="不文明" if hidden else None))
    await db.flush()
    r = await client.get(f"{API}/public/plans/{plan.id}")
    assert r.status_code == 200
    replies = r.json()["replies"]
    assert [x["content"] for x in replies] == ["楼道灯请改成声控，联系我[电话已隐去]"]  # the phone hidden
    assert replies[0]["status_name"] == "采纳" and "author" not in replies[0]
    assert not PHONE.search(r.text) and str(resident.id) not in r.text
    page = await client.get(f"/public/plans/{plan.id}")
    assert "骂人的话" not in page.text and "楼道灯请改成声控" in page.text
    pdf = await client.get(f"{API}/public/plans/{plan.id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().replace("\n", "")
    assert f"/public/plans/{plan.id}" in text  # its QR code's address, printed beside it


async def test_counted_ballots_show_totals_and_receipts_never_a_choice(client, db, estate, monkeypatch):
    monkeypatch.setattr(get_settings(), "public_cache_seconds", 0)
    ballot = await opened(client, estate, rule="simple_majority")
    receipt = (await vote(client, estate.owners["zhang"], ballot, "oppose")).json()["receipt"]
    await vote(client, estate.owners["zhao"], ballot, "approve")
    r = await client.get(f"{API}/public/receipts/{receipt}")
    assert r.status_code == 404  # receipts are published when the ballot closes
    await client.post(f"{API}/ballots/{ballot['id']}/close", headers=estate.staff)

    page = (await client.get(f"{API}/public/ballots/{ballot['id']}")).json()
    motion = page["results"]["motions"][0]
    assert (page["results"]["final"], motion["approve"]["headcount"], motion["oppose"]["headcount"]) == (False, 1, 1)
    assert page["results"]["buildings"] == []  # totals only: a building of two would show who voted how
    r = await client.get(f"{API}/public/receipts/{receipt.lower()}")
    assert r.status_code == 200
    assert r.json()["counted"] is True and r.json()["ballot_id"] == ballot["id"]
    assert "oppose" not in r.text and "choice" not in r.text
    html = await client.get(f"/public/receipts?code={receipt}", follow_redirects=True)
    assert html.status_code == 200 and "已计入" in html.text
    casts = (await db.exec(select(BallotCast).where(BallotCast.ballot_id == uuid.UUID(ballot["id"])))).all()
    assert all(c.receipt not in page.__repr__() for c in casts)  # the board lists no receipts itself
    notice = await client.get(f"{API}/public/ballots/{ballot['id']}/results.pdf")
    text = PdfReader(io.BytesIO(notice.content)).pages[0].extract_text().replace("\n", "")
    assert "表决初步结果公告" in text and f"/public/ballots/{ballot['id']}" in text


async def test_answers_carry_etag_and_cache_control_and_304(client, db, estate):
    code = await _code(db, estate.side.estate_id)
    first = await client.get(f"{API}/public/estates/{code}")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=30" and etag.startswith('"')
    again = await client.get(f"{API}/public/estates/{code}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and again.content == b""
    page = await client.get(f"/public/estates/{code}")
    assert page.headers["etag"] != etag and "public" in page.headers["cache-control"]
    missing = await client.get(f"{API}/public/estates/NOPE42")
    assert "etag" in missing.headers and "cache-control" in missing.headers
    # Within the cache's time, a change shows only once the copy is stale: the board is a notice, not a feed.
    await f.project(db, estate.side.estate_id, name="二期改造")
    assert (await client.get(f"{API}/public/estates/{code}")).headers["etag"] == etag


async def test_too_many_requests_from_one_address(client, db, estate, monkeypatch):
    monkeypatch.setattr(get_settings(), "public_rate_per_minute", 5)
    code = await _code(db, estate.side.estate_id)
    answers = [await client.get(f"{API}/public/estates/{code}") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    limited = answers[-1]
    assert limited.json()["error"]["code"] == "public_rate_limited" and int(limited.headers["retry-after"]) >= 1
    # The rest of the API is not limited by the board's counter.
    assert (await client.get(f"{API}/me", headers=estate.staff)).status_code == 200


async def test_progress_photos_are_public_other_files_are_not(client, db, estate, world):
    from app.projects.models import Project, ProjectItem, ProjectStatus
    from tests.files.conftest import PNG

    project = (await db.exec(select(Project).where(Project.id == estate.side.project_id))).one()
    project.status = ProjectStatus.constructing
    db.add(project)
    item = await f.project_item(db, project.id)
    await db.flush()
    contractor = await world.headers_for(db, "contractor:in")
    photo = (await client.post(f"{API}/files", headers=contractor, files={"file": ("p.png", PNG, "image/png")})).json()
    other = (await client.post(f"{API}/files", headers=contractor, files={"file": ("q.png", PNG, "image/png")})).json()
    r = await client.post(f"{API}/projects/{project.id}/items/{item.id}/progress", headers=contractor,
                          json={"percent": 40, "note": "管网开挖", "file_ids": [photo["id"]]})
    assert r.status_code == 201, r.text
    page = (await client.get(f"{API}/public/estates/{await _code(db, estate.side.estate_id)}")).json()
    [reported] = next(i for i in page["projects"][0]["items"] if i["code"] == item.item_code)["reports"]
    assert reported["photos"] == [f"/api/v1/public/photos/{photo['id']}"]
    thumb = await client.get(reported["photos"][0])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert (await client.get(f"{API}/public/photos/{other['id']}")).status_code == 404
    assert (await db.get(ProjectItem, item.id)).progress_percent == 40


async def test_a_certificate_by_its_hash_says_whether_its_signatures_still_match(client, db, world, monkeypatch):
    from app.acceptance.models import AcceptanceSignature
    from tests.acceptance.conftest import decide, open_round, ready, sign

    monkeypatch.setattr(get_settings(), "public_cache_seconds", 0)
    await ready(db, world)
    staff = await world.headers_for(db, "community_staff:in")
    a = await decide(client, staff, await open_round(client, staff, world))
    street = await world.user_for(db, "street_staff:in")
    assert (await sign(client, await f.headers(db, street), a, "street")).status_code == 201
    r = await client.get(f"{API}/public/certificates/{a['content_hash']}")
    assert r.status_code == 200
    assert r.json()["check"]["valid"] is True and r.json()["check"]["record_intact"] is True
    assert street.display_name not in r.text and all("signer" not in s for s in r.json()["acceptance"]["signatures"])
    page = await client.get(f"/public/certificates/{a['content_hash']}")
    assert "核验通过" in page.text and street.display_name not in page.text
    pdf = await client.get(f"{API}/public/certificates/{a['content_hash']}/pdf")
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    assert "已签字" in text and street.display_name not in text and f"/public/certificates/{a['content_hash']}" in text
    assert sum(len(p.images) for p in reader.pages) == 0  # no handwritten signature on the public print

    # A signature altered in the database no longer matches the record: the board says so.
    row = (await db.exec(select(AcceptanceSignature).where(AcceptanceSignature.acceptance_id == uuid.UUID(a["id"])))).one()
    row.content_hash = "0" * 64
    db.add(row)
    await db.flush()
    tampered = (await client.get(f"{API}/public/certificates/{a['content_hash']}")).json()
    assert tampered["check"]["valid"] is False
    assert "核验未通过" in (await client.get(f"/public/certificates/{a['content_hash']}")).text
