"""Ballots through the API: the electorate is the ledger (frozen when the ballot opens), owners cast one
vote each through their bindings, turnout while open, results with every figure after close."""

import io
import uuid
from datetime import datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import delete
from sqlmodel import col, select

from app.core import clock
from app.registry.models import Person, UnitOccupant
from app.voting.models import BallotCast
from tests import factories as f
from tests.voting.conftest import API, to_voting
from tests.voting.conftest import ballot as _ballot
from tests.voting.conftest import vote as _vote


async def test_the_electorate_is_the_ledger_frozen_at_opening(client, db, estate):
    ballot = await _ballot(client, estate)
    # 张 (three units) 24650, 李/王 10000, the work unit 10050, 赵 6000, 黄 8650: five owners, 59350.
    assert (ballot["status"], ballot["total_area"], ballot["total_headcount"]) == ("open", "593.50", 5)
    voters = (await client.get(f"{API}/ballots/{ballot['id']}/electorate", headers=estate.staff)).json()["items"]
    by_area = sorted((v["area"], sorted(v["owners"]), len(v["units"])) for v in voters)
    assert by_area == [("100.00", ["李四", "王五"], 1), ("100.50", ["市电力公司"], 2), ("246.50", ["张三"], 3),
                       ("60.00", ["赵六"], 1), ("86.50", ["黄军强"], 1)]
    # A unit added to the ledger afterwards moves nothing.
    late = await f.unit(db, await f.entrance(db, estate.side.building.id), estate.side.estate_id, area_centi=12000)
    await f.owner(db, late, name="新业主", phone="13800000009")
    again = (await client.get(f"{API}/ballots/{ballot['id']}", headers=estate.staff)).json()
    assert (again["total_area"], again["total_headcount"]) == ("593.50", 5)
    # Nor does an owner leaving the ledger: the frozen electorate still names them.
    zhao = (await db.exec(select(Person.id).where(Person.name == "赵六"))).one()
    await db.exec(delete(UnitOccupant).where(col(UnitOccupant.person_id) == zhao))
    voters = (await client.get(f"{API}/ballots/{ballot['id']}/electorate", headers=estate.staff)).json()["items"]
    assert sorted(sorted(v["owners"]) for v in voters) == sorted([["张三"], ["李四", "王五"], ["市电力公司"], ["赵六"], ["黄军强"]])
    assert (await client.get(f"{API}/ballots/{ballot['id']}/electorate", headers=estate.owners["zhang"])).status_code == 403


async def test_casting_turnout_and_results(client, db, estate, world):
    ballot = await _ballot(client, estate)
    r = await _vote(client, estate.owners["zhang"], ballot, "approve")
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt"]
    assert len(receipt) == 19 and receipt.count("-") == 3
    assert (await _vote(client, estate.owners["li"], ballot, "approve")).status_code == 201
    # The co-owner's vote was cast by 李; a tenant and a resident elsewhere have none.
    r = await _vote(client, estate.owners["wang"], ballot, "oppose")
    assert r.status_code == 409 and r.json()["error"]["message"] == "本户已投票，本次表决不允许修改"
    r = await _vote(client, estate.tenant, ballot, "approve")
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_an_owner"
    outsider = await world.headers_for(db, "resident:out")
    assert (await _vote(client, outsider, ballot, "approve")).status_code == 404
    r = await _vote(client, estate.owners["zhao"], ballot, "oppose")
    assert r.status_code == 201
    r = await client.post(f"{API}/ballots/{ballot['id']}/votes", headers=estate.owners["zhao"], json={"choices": []})
    assert r.status_code == 422

    mine = (await client.get(f"{API}/ballots/{ballot['id']}/my-vote", headers=estate.owners["wang"])).json()
    assert [(v["receipt"], v["choices"][0]["choice"]) for v in mine] == [
        ((await _receipt_of(client, estate.owners["li"], ballot)), "approve")]
    turnout = (await client.get(f"{API}/ballots/{ballot['id']}/turnout", headers=estate.tenant)).json()
    assert turnout["participating"] == {"area": "406.50", "headcount": 3}
    assert (turnout["area_percent"], turnout["headcount_percent"]) == ("68.49", "60.00")
    # Residents see results after close; staff follow them while open.
    r = await client.get(f"{API}/ballots/{ballot['id']}/results", headers=estate.owners["zhang"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "ballot_results_not_public"
    assert (await client.get(f"{API}/ballots/{ballot['id']}/results", headers=estate.staff)).json()["final"] is False

    # The door-knocking list: units whose vote is not cast (the work unit's two and 黄's).
    waiting = (await client.get(f"{API}/ballots/{ballot['id']}/non-voters", headers=estate.staff)).json()["items"]
    assert sorted(u["room_number"] for u in waiting) == sorted(["201", "202", estate.side.unit.room_number])
    assert (await client.get(f"{API}/me/tasks", headers=estate.owners["zhao"])).json()["ballots"] == []
    r = await client.get(f"{API}/ballots/{ballot['id']}/receipts", headers=estate.owners["zhang"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "receipts_not_public"

    assert (await client.post(f"{API}/ballots/{ballot['id']}/close", headers=estate.staff)).status_code == 200
    published = (await client.get(f"{API}/ballots/{ballot['id']}/receipts", headers=estate.tenant)).json()["receipts"]
    assert receipt in published and len(published) == 3 and published == sorted(published)
    r = await _vote(client, estate.owners["zhao"], ballot, "approve")
    assert r.status_code == 409 and r.json()["error"]["code"] == "ballot_closed"
    results = (await client.get(f"{API}/ballots/{ballot['id']}/results", headers=estate.owners["zhang"])).json()
    motion = results["motions"][0]
    assert (results["status"], results["final"]) == ("closed", False)  # preliminary until the objection window ends
    assert motion["total"] == {"area": "593.50", "headcount": 5}
    assert motion["approve"] == {"area": "346.50", "headcount": 2}
    assert motion["oppose"] == {"area": "60.00", "headcount": 1}
    assert motion["ratios"]["participation_headcount"] == {"numerator": 3, "denominator": 5, "percent": "60.00"}
    assert motion["thresholds"]["participation_headcount"] == {"fraction": "2/3", "strict": False}
    # Area participation 68.49% >= 2/3, but three of five owners < 2/3: no quorum.
    assert (motion["quorum_met"], motion["outcome"]) == (False, "quorum_not_met")
    # The result notice carries the same figures, in an embedded Chinese font.
    r = await client.get(f"{API}/ballots/{ballot['id']}/results.pdf", headers=estate.owners["zhang"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    for expected in ("业主共同决定事项表决初步结果公告", "同意改造方案第2版", "参与表决未达法定比例，未通过", "593.50",
                     "346.50", "3/5", "60.00%", "不低于2/3", "《民法典》第二百七十八条", "以上为初步结果", "异议"):
        assert expected in text, expected
    fonts = [f.get_object() for f in PdfReader(io.BytesIO(r.content)).pages[0]["/Resources"]["/Font"].values()]
    assert any("WenQuanYiMicroHei" in str(f["/BaseFont"]) and "/FontFile2" in f["/FontDescriptor"] for f in fonts
               if "/FontDescriptor" in f)


async def test_open_ballots_wait_in_the_owners_tasks(client, estate):
    ballot = await _ballot(client, estate)
    tasks = (await client.get(f"{API}/me/tasks", headers=estate.owners["wang"])).json()["ballots"]
    assert [(t["ballot_id"], t["title"]) for t in tasks] == [(ballot["id"], "是否同意实施电力小区综合改造方案")]
    assert (await client.get(f"{API}/me/tasks", headers=estate.tenant)).json()["ballots"] == []
    await _vote(client, estate.owners["li"], ballot, "approve")  # the co-owner's vote is the unit's
    assert (await client.get(f"{API}/me/tasks", headers=estate.owners["wang"])).json()["ballots"] == []


async def _receipt_of(client, headers, ballot):
    return (await client.get(f"{API}/ballots/{ballot['id']}/my-vote", headers=headers)).json()[0]["receipt"]


async def test_an_entrance_decides_its_own_elevator(client, estate):
    ballot = await _ballot(client, estate, scope={"entrance_ids": [str(estate.entrances[1])]}, rule="civil_code_ordinary")
    assert (ballot["total_area"], ballot["total_headcount"]) == ("160.50", 2)
    r = await _vote(client, estate.owners["zhang"], ballot, "approve")
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_in_electorate"
    assert (await _vote(client, estate.owners["zhao"], ballot, "approve")).status_code == 201


async def test_a_vote_may_be_changed_before_close_when_the_ballot_says_so(client, db, estate):
    ballot = await _ballot(client, estate, allow_change=True, results_visibility="live")
    first = (await _vote(client, estate.owners["li"], ballot, "oppose")).json()
    second = await _vote(client, estate.owners["wang"], ballot, "approve")  # the co-owner changes the unit's vote
    assert second.status_code == 201 and second.json()["receipt"] != first["receipt"]
    results = (await client.get(f"{API}/ballots/{ballot['id']}/results", headers=estate.owners["zhao"])).json()
    assert results["motions"][0]["approve"]["headcount"] == 1 and results["motions"][0]["oppose"]["headcount"] == 0
    casts = (await db.exec(select(BallotCast).where(BallotCast.ballot_id == uuid.UUID(ballot["id"])))).all()
    assert sorted(c.is_current for c in casts) == [False, True]  # the first kept as history


async def test_a_ballot_must_be_coherent(client, estate, world):
    now = clock.now()
    url = f"{API}/projects/{estate.side.project_id}/ballots"
    base = {"title": "t", "rule": "custom", "motions": [{"title": "m"}], "opens_at": now.isoformat(),
            "closes_at": (now - timedelta(hours=1)).isoformat()}
    r = await client.post(url, headers=estate.staff, json=base)
    assert r.status_code == 422 and r.json()["error"]["code"] == "ballot_invalid"
    assert len(r.json()["error"]["details"]["problems"]) == 3
    r = await client.post(url, headers=estate.staff, json={**base, "rule": "simple_majority",
                                                           "closes_at": (now + timedelta(days=1)).isoformat(),
                                                           "scope": {"building_ids": [str(world.b.building.id)]}})
    assert r.json()["error"]["code"] == "scope_not_in_estate"


async def _project_status(client, estate):
    return (await client.get(f"{API}/projects/{estate.side.project_id}", headers=estate.staff)).json()["status"]




async def test_a_deciding_ballot_moves_the_project_when_it_closes(client, db, estate):
    await to_voting(db, estate)
    ballot = await _ballot(client, estate, rule="simple_majority", decides_project=True)
    # Staff cannot decide in the ballot's stead.
    r = await client.post(f"{API}/projects/{estate.side.project_id}/transitions", headers=estate.staff,
                          json={"to": "approved"})
    assert r.status_code == 409
    assert r.json()["error"]["details"]["unmet_guards"] == [{"name": "ballot_passed", "message": "项目的决定性表决尚未结束"}]
    await _vote(client, estate.owners["zhang"], ballot, "approve")
    await _vote(client, estate.owners["zhao"], ballot, "oppose")
    await _vote(client, estate.owners["li"], ballot, "approve")
    closed = (await client.post(f"{API}/ballots/{ballot['id']}/close", headers=estate.staff)).json()
    # A preliminary result decides nothing: the objection window comes first.
    assert await _project_status(client, estate) == "voting"
    r = await client.post(f"{API}/projects/{estate.side.project_id}/transitions", headers=estate.staff,
                          json={"to": "approved"})
    assert r.json()["error"]["details"]["unmet_guards"][0]["message"].startswith("表决结果为初步结果，异议期至")
    await _finalized(db, closed)
    assert await _project_status(client, estate) == "approved"
    timeline = (await client.get(f"{API}/projects/{estate.side.project_id}/timeline", headers=estate.tenant)).json()
    assert timeline["items"][-1]["note"] == "表决「是否同意实施电力小区综合改造方案」通过"


async def _finalized(db, ballot) -> None:
    """The worker's run once the objection window has passed."""
    from app.voting import objections

    with clock.freeze(datetime.fromisoformat(ballot["objections_until"])):
        await objections.finalize_due(db)


async def test_the_worker_closes_on_time_and_a_rejection_sends_the_plan_back(client, db, estate):
    from app.voting import tasks

    await to_voting(db, estate)
    ballot = await _ballot(client, estate, decides_project=True)  # civil_code_major: nobody votes, no quorum
    closes = clock.now().fromisoformat(ballot["closes_at"])
    with clock.freeze(closes - timedelta(seconds=1)):
        await tasks.close_due(db)
    assert (await client.get(f"{API}/ballots/{ballot['id']}", headers=estate.staff)).json()["status"] == "open"
    with clock.freeze(closes):
        await tasks.close_due(db)
    closed = (await client.get(f"{API}/ballots/{ballot['id']}", headers=estate.staff)).json()
    assert closed["status"] == "closed" and await _project_status(client, estate) == "voting"
    await _finalized(db, closed)
    assert (await client.get(f"{API}/ballots/{ballot['id']}", headers=estate.staff)).json()["status"] == "final"
    assert await _project_status(client, estate) == "rejected"
    r = await client.post(f"{API}/projects/{estate.side.project_id}/transitions", headers=estate.staff,
                          json={"to": "designing"})
    assert r.status_code == 200  # a new plan, and later a new ballot, which alone decides the next round


async def test_the_worker_opens_an_announced_ballot_at_its_time(client, db, estate):
    from app.voting import tasks

    now = clock.now()
    r = await client.post(f"{API}/projects/{estate.side.project_id}/ballots", headers=estate.staff, json={
        "title": "加装电梯", "rule": "civil_code_major", "motions": [{"title": "同意加装"}],
        "opens_at": (now + timedelta(days=16)).isoformat(), "closes_at": (now + timedelta(days=23)).isoformat()})
    ballot = r.json()
    with clock.freeze(now + timedelta(days=16)):
        await tasks.open_due(db)  # a draft never opens: it was not announced
    assert (await client.get(f"{API}/ballots/{ballot['id']}", headers=estate.staff)).json()["status"] == "draft"
    assert (await client.post(f"{API}/ballots/{ballot['id']}/announce", headers=estate.staff)).status_code == 200
    await tasks.open_due(db)
    assert (await client.get(f"{API}/ballots/{ballot['id']}", headers=estate.staff)).json()["status"] == "announced"
    with clock.freeze(now + timedelta(days=16)):
        await tasks.open_due(db)
    opened = (await client.get(f"{API}/ballots/{ballot['id']}", headers=estate.staff)).json()
    assert (opened["status"], opened["total_headcount"]) == ("open", 5)
