"""Questionnaires through the API: writing and publishing, answering (self and proxy), offline sync,
results, non-respondents, export, tasks and notices."""

import io
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.auth.residence import BindingRelation
from app.auth.roles import Role
from app.core import clock
from app.notifications.models import NotificationOutbox as Outbox
from app.surveys import tasks
from app.surveys.models import Questionnaire, QuestionnaireAnswer, QuestionnaireResponse
from tests import factories as f

API = "/api/v1"

QUESTIONS = [
    {"id": "repair", "type": "multiple_choice", "title": "最需要修什么", "required": True, "max_choices": 2,
     "options": [{"value": "roof", "label": "屋顶"}, {"value": "pipes", "label": "管道"},
                 {"value": "roads", "label": "道路"}]},
    {"id": "elevator", "type": "single_choice", "title": "是否支持加装电梯", "required": True,
     "options": [{"value": "yes", "label": "支持"}, {"value": "no", "label": "不支持"}]},
    {"id": "floor_pay", "type": "number", "title": "愿意出资（元）", "min": 0, "max": 50000, "required": True,
     "show_if": {"question_id": "elevator", "op": "equals", "value": "yes"}},
    {"id": "why_not", "type": "text", "title": "为什么不支持", "max_length": 100,
     "show_if": {"question_id": "elevator", "op": "equals", "value": "no"}},
    {"id": "score", "type": "rating", "title": "对小区现状的评价", "min": 1, "max": 5},
]


@pytest.fixture
async def estate(db, world):
    """World A's estate with two buildings: 1栋 in the grid (rooms 101-103) and 2栋 outside it (201)."""
    a = world.a
    b1 = await f.building(db, a.estate_id, a.grid_id, name="1栋")
    e1 = await f.entrance(db, b1.id, name="1单元")
    b2 = await f.building(db, a.estate_id, None, name="2栋")
    e2 = await f.entrance(db, b2.id, name="1单元")
    units = {room: await f.unit(db, e1, a.estate_id, room_number=room) for room in ("101", "102", "103")}
    units["201"] = await f.unit(db, e2, a.estate_id, room_number="201")
    admin = await f.user(db, (Role.community_staff, a.community_id))
    grid_worker = await f.user(db, (Role.grid_worker, a.grid_id))
    owners = {}
    for room, unit in units.items():
        owners[room] = await f.user(db, display_name=f"业主{room}")
        await f.bind(db, owners[room], unit)
    tenant = await f.user(db, display_name="租户101")
    await f.bind(db, tenant, units["101"], BindingRelation.tenant)
    return SimpleNamespace(
        side=a, buildings=(b1.id, b2.id, a.building.id), units={room: u.id for room, u in units.items()},
        staff=await f.headers(db, admin), grid=await f.headers(db, grid_worker), grid_user_id=grid_worker.id,
        owners={room: await f.headers(db, u) for room, u in owners.items()},
        owner_ids={room: u.id for room, u in owners.items()}, tenant=await f.headers(db, tenant),
        world_unit=a.unit.id)


async def _create(client, estate, **body):
    r = await client.post(f"{API}/projects/{estate.side.project_id}/questionnaires", headers=estate.staff,
                          json={"title": "改造意见征集", "questions": QUESTIONS, **body})
    assert r.status_code == 201, r.text
    return r.json()


async def _published(client, estate, **body):
    q = await _create(client, estate, **body)
    r = await client.post(f"{API}/questionnaires/{q['id']}/publish", headers=estate.staff, json={})
    assert r.status_code == 200, r.text
    return r.json()


def _answers(**values):
    return [{"question_id": k, "value": v} for k, v in values.items()]


async def _answer(client, headers, q, unit_id, channel="self", response_id=None, answered_at=None, **values):
    body = {"response_id": str(response_id or uuid.uuid4()), "unit_id": str(unit_id), "channel": channel,
            "answers": _answers(**values)}
    if answered_at is not None:
        body["answered_at"] = answered_at.isoformat()
    return await client.post(f"{API}/questionnaires/{q['id']}/responses", headers=headers, json=body)


async def test_draft_publish_new_version(client, estate):
    q = await _create(client, estate, building_ids=[str(estate.buildings[0])])
    assert (q["status"], q["version"], q["series_id"]) == ("draft", 1, q["id"])
    assert q["questions"][2]["show_if"] == {"question_id": "elevator", "op": "equals", "value": "yes", "values": None}
    # Residents see no draft.
    assert (await client.get(f"{API}/questionnaires/{q['id']}", headers=estate.owners["101"])).status_code == 404
    r = await client.patch(f"{API}/questionnaires/{q['id']}", headers=estate.staff, json={"title": "需求调查"})
    assert r.json()["title"] == "需求调查"
    published = (await client.post(f"{API}/questionnaires/{q['id']}/publish", headers=estate.staff)).json()
    assert published["status"] == "published" and published["published_at"]
    r = await client.patch(f"{API}/questionnaires/{q['id']}", headers=estate.staff, json={"title": "x"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "questionnaire_not_draft"
    v2 = (await client.post(f"{API}/questionnaires/{q['id']}/versions", headers=estate.staff)).json()
    assert (v2["status"], v2["version"], v2["series_id"]) == ("draft", 2, q["id"])
    await client.post(f"{API}/questionnaires/{v2['id']}/publish", headers=estate.staff)
    listed = (await client.get(f"{API}/projects/{estate.side.project_id}/questionnaires", headers=estate.staff)).json()
    assert [(x["version"], x["status"]) for x in listed] == [(1, "closed"), (2, "published")]


async def test_definitions_are_checked(client, estate, world):
    url = f"{API}/projects/{estate.side.project_id}/questionnaires"
    bad = [QUESTIONS[1], {**QUESTIONS[2], "show_if": {"question_id": "elevator", "op": "equals", "value": "maybe"}}]
    r = await client.post(url, headers=estate.staff, json={"title": "x", "questions": bad})
    assert r.status_code == 422 and r.json()["error"]["code"] == "questionnaire_invalid"
    assert "'maybe' is not a possible answer" in r.json()["error"]["details"]["problems"][0]
    menu = [{"id": "m", "type": "renovation_items", "title": "菜单", "options": [{"value": "basic.teleport", "label": "?"}]}]
    r = await client.post(url, headers=estate.staff, json={"title": "x", "questions": menu})
    assert r.json()["error"]["code"] == "menu_item_unknown"
    r = await client.post(url, headers=estate.staff, json={"title": "x", "questions": QUESTIONS,
                                                           "building_ids": [str(world.b.building.id)]})
    assert r.json()["error"]["code"] == "building_not_in_estate"
    r = await client.post(url, headers=estate.staff, json={"title": "x", "questions": QUESTIONS,
                                                           "closes_at": (clock.now() - timedelta(hours=1)).isoformat()})
    assert r.json()["error"]["code"] == "questionnaire_closes_in_past"
    r = await client.post(url, headers=estate.staff, json={"questions": QUESTIONS})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["body", "title"]


async def test_templates_copy_from_the_menu(client, estate):
    templates = (await client.get(f"{API}/questionnaire-templates", headers=estate.staff)).json()
    needs = next(t for t in templates if t["key"] == "renovation_needs")
    items = next(q for q in needs["questions"] if q["type"] == "renovation_items")
    assert len(items["options"]) == 24 and items["options"][0] == {"value": "basic.water_supply", "label": "供水设施改造"}
    r = await client.post(f"{API}/projects/{estate.side.project_id}/questionnaires", headers=estate.staff,
                          json={"template": "satisfaction"})
    assert r.status_code == 201 and r.json()["title"] == "老旧小区改造满意度调查" and r.json()["template"] == "satisfaction"


async def test_who_may_manage(client, db, estate, world):
    q = await _create(client, estate)
    for variant in ("grid_worker:in", "resident:in", "community_staff:out", "contractor:in", "supervisor:in"):
        headers = await world.headers_for(db, variant)
        r = await client.post(f"{API}/projects/{estate.side.project_id}/questionnaires", headers=headers,
                              json={"title": "x", "questions": QUESTIONS})
        assert r.status_code in (403, 404), variant
        r = await client.post(f"{API}/questionnaires/{q['id']}/publish", headers=headers)
        assert r.status_code in (403, 404), variant
        assert (await client.get(f"{API}/questionnaires/{q['id']}", headers=headers)).status_code == 404, variant


async def test_answering_rules(client, estate, world, db):
    q = await _published(client, estate, building_ids=[str(estate.buildings[0])])
    good = {"repair": ["pipes", "roof"], "elevator": "no", "why_not": "住一楼"}
    r = await _answer(client, estate.owners["101"], q, estate.units["101"], **good)
    assert r.status_code == 201 and r.json()["status"] == "created"
    assert r.json()["response"]["answers"] == {"repair": ["roof", "pipes"], "elevator": "no", "why_not": "住一楼"}
    # Another unit of the estate, a unit of another estate: not the resident's to answer for.
    for unit in (estate.units["102"], world.b.unit.id):
        r = await _answer(client, estate.owners["101"], q, unit, **good)
        assert r.status_code == 404
    # 201 is outside the questionnaire's buildings.
    r = await _answer(client, estate.owners["201"], q, estate.units["201"], **good)
    assert r.json()["error"]["code"] == "unit_outside_questionnaire"
    # Hidden question answered, required visible question missing.
    r = await _answer(client, estate.owners["102"], q, estate.units["102"], repair=["roof"], elevator="no", floor_pay=10)
    assert r.status_code == 422 and r.json()["error"]["code"] == "answers_invalid"
    assert r.json()["error"]["details"]["problems"] == [
        {"question_id": "floor_pay", "code": "hidden_question_answered", "message": "根据前面的回答，这道题不需要回答"}]
    r = await _answer(client, estate.owners["102"], q, estate.units["102"], repair=["roof"], elevator="yes")
    assert r.json()["error"]["details"]["problems"][0]["code"] == "required"
    # A resident cannot proxy.
    r = await _answer(client, estate.owners["102"], q, estate.units["102"], channel="proxy", **good)
    assert r.status_code == 403 and r.json()["error"]["code"] == "proxy_not_allowed"
    # The grid worker answers door to door within the grid only.
    r = await _answer(client, estate.grid, q, estate.units["103"], channel="proxy", **good)
    assert r.status_code == 201
    outsider = await world.headers_for(db, "grid_worker:out")
    r = await _answer(client, outsider, q, estate.units["102"], channel="proxy", **good)
    assert r.status_code == 404


async def test_owners_only_questionnaires_refuse_tenants(client, estate):
    q = await _published(client, estate, audience="owners")
    good = {"repair": ["roof"], "elevator": "no"}
    r = await _answer(client, estate.tenant, q, estate.units["101"], **good)
    assert r.status_code == 403 and r.json()["error"]["code"] == "questionnaire_owners_only"
    assert (await _answer(client, estate.owners["101"], q, estate.units["101"], **good)).status_code == 201


async def test_editing_keeps_history_and_the_latest_answer_counts(client, estate):
    q = await _published(client, estate)
    now = clock.now()
    first = await _answer(client, estate.owners["101"], q, estate.units["101"], repair=["roof"], elevator="no")
    # A paper form the grid worker took before the resident answered syncs later: it is kept, but the
    # resident's answer, given after it, counts.
    older = await _answer(client, estate.grid, q, estate.units["101"], channel="proxy",
                          answered_at=now - timedelta(minutes=2), repair=["roads"], elevator="no")
    assert older.status_code == 201, older.text
    assert older.json()["response"]["is_current"] is False
    changed = await _answer(client, estate.tenant, q, estate.units["101"], repair=["pipes"], elevator="no")
    assert changed.json()["response"]["is_current"] is True
    history = (await client.get(f"{API}/questionnaires/{q['id']}/units/{estate.units['101']}/responses",
                                headers=estate.grid)).json()
    assert [h["answers"]["repair"] for h in history] == [["pipes"], ["roof"], ["roads"]]
    assert [h["is_current"] for h in history] == [True, False, False]
    mine = (await client.get(f"{API}/questionnaires/{q['id']}/my-responses", headers=estate.owners["101"])).json()
    assert [m["id"] for m in mine] == [changed.json()["response_id"]] and first.status_code == 201
    # Residents do not read the history of a unit.
    r = await client.get(f"{API}/questionnaires/{q['id']}/units/{estate.units['101']}/responses",
                         headers=estate.owners["101"])
    assert r.status_code == 403


async def test_the_same_response_twice_is_a_duplicate_and_other_content_a_conflict(client, estate):
    q = await _published(client, estate)
    response_id = uuid.uuid4()
    body = {"repair": ["roof", "pipes"], "elevator": "no"}
    first = await _answer(client, estate.owners["101"], q, estate.units["101"], response_id=response_id, **body)
    again = await _answer(client, estate.owners["101"], q, estate.units["101"], response_id=response_id,
                          repair=["pipes", "roof"], elevator="no")  # the same, in another order
    assert (first.status_code, again.status_code, again.json()["status"]) == (201, 200, "duplicate")
    assert again.json()["response"] == first.json()["response"]
    other = await _answer(client, estate.owners["101"], q, estate.units["101"], response_id=response_id,
                          repair=["roads"], elevator="no")
    assert other.status_code == 409 and other.json()["error"]["code"] == "response_conflict"


async def test_a_sync_batch_answers_each_item_and_stores_only_the_good(client, db, estate):
    q = await _published(client, estate)
    ok = lambda room, **extra: {"questionnaire_id": q["id"], "response_id": str(uuid.uuid4()),  # noqa: E731
                                "unit_id": str(estate.units[room]), "channel": "proxy",
                                "answers": _answers(repair=["roof"], elevator="no"), **extra}
    sent_before = ok("101")
    assert (await client.post(f"{API}/sync/questionnaire-responses", headers=estate.grid,
                              json={"items": [sent_before]})).json()["results"][0]["status"] == "created"
    items = [
        ok("102"),
        sent_before,  # duplicate
        {**sent_before, "answers": _answers(repair=["roads"], elevator="no")},  # conflict
        ok("103", answers=_answers(repair=["roof"], elevator="maybe")),  # rejected: invalid option
        ok("201"),  # rejected: 2栋 is outside the grid worker's grid
        {"questionnaire_id": q["id"], "response_id": "not-a-uuid"},  # rejected: malformed
        "not even an object",  # rejected: malformed
        ok("103", questionnaire_id=str(uuid.uuid4())),  # rejected: no such questionnaire
    ]
    r = await client.post(f"{API}/sync/questionnaire-responses", headers=estate.grid, json={"items": items})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created", "duplicate", "conflict", "rejected", "rejected", "rejected",
                                              "rejected", "rejected"]
    assert [x["error"]["code"] for x in results[2:]] == ["response_conflict", "answers_invalid", "not_found",
                                                        "validation_error", "validation_error", "not_found"]
    assert results[5]["response_id"] is None
    stored = (await db.exec(select(QuestionnaireResponse.unit_id).where(
        QuestionnaireResponse.questionnaire_id == uuid.UUID(q["id"])))).all()
    assert sorted(stored) == sorted([estate.units["101"], estate.units["102"]])
    # The same batch again changes nothing.
    again = (await client.post(f"{API}/sync/questionnaire-responses", headers=estate.grid, json={"items": items})).json()
    assert [x["status"] for x in again["results"]] == ["duplicate", "duplicate", "conflict", "rejected", "rejected",
                                                       "rejected", "rejected", "rejected"]
    assert len((await db.exec(select(QuestionnaireResponse.id).where(
        QuestionnaireResponse.questionnaire_id == uuid.UUID(q["id"])))).all()) == 2
    r = await client.post(f"{API}/sync/questionnaire-responses", headers=estate.grid, json={"items": [{}] * 501})
    assert r.status_code == 422


async def test_results_counts_percentages_and_rate_by_hand(client, db, estate):
    """Four units in scope. 101 answers itself then the grid worker's later proxy replaces it; 102 and 103
    answer; 201 does not. Current answers:
      101 (proxy): repair roof+pipes, elevator yes, pay 1000, score 4
      102 (self):  repair roof,       elevator no (why_not),    score 2
      103 (self):  repair roads+roof, elevator yes, pay 3000
    """
    q = await _published(client, estate)
    await _answer(client, estate.owners["101"], q, estate.units["101"], repair=["roads"], elevator="no", score=1)
    await _answer(client, estate.grid, q, estate.units["101"], channel="proxy", repair=["pipes", "roof"],
                  elevator="yes", floor_pay=1000, score=4)
    await _answer(client, estate.owners["102"], q, estate.units["102"], repair=["roof"], elevator="no",
                  why_not="一楼", score=2)
    await _answer(client, estate.owners["103"], q, estate.units["103"], repair=["roads", "roof"], elevator="yes",
                  floor_pay=3000)
    r = (await client.get(f"{API}/questionnaires/{q['id']}/results", headers=estate.staff)).json()
    assert r["responses"] == 3
    # Units in scope: the estate's four plus world A's own unit.
    assert r["rate"] == {"responded": 3, "units": 5, "percent": "60.0"}
    by_id = {x["question_id"]: x for x in r["questions"]}
    repair = by_id["repair"]
    assert repair["answered"] == 3
    assert [(o["value"], o["count"], o["percent"]) for o in repair["options"]] == [
        ("roof", 3, "100.0"), ("pipes", 1, "33.3"), ("roads", 1, "33.3")]
    assert [(o["value"], o["count"], o["percent"]) for o in by_id["elevator"]["options"]] == [
        ("yes", 2, "66.7"), ("no", 1, "33.3")]
    assert by_id["floor_pay"]["answered"] == 2
    assert by_id["floor_pay"]["numbers"] == {"count": 2, "min": "1000", "max": "3000", "average": "2000.00"}
    assert by_id["why_not"]["answered"] == 1 and by_id["why_not"]["options"] is None
    assert by_id["score"]["answered"] == 2
    assert [(o["value"], o["count"]) for o in by_id["score"]["options"]] == [("1", 0), ("2", 1), ("3", 0), ("4", 1),
                                                                              ("5", 0)]
    assert by_id["score"]["numbers"]["average"] == "3.00"
    b1 = next(b for b in r["buildings"] if b["building_name"] == "1栋")
    assert b1["rate"] == {"responded": 3, "units": 3, "percent": "100.0"}
    b2 = next(b for b in r["buildings"] if b["building_name"] == "2栋")
    assert b2["rate"] == {"responded": 0, "units": 1, "percent": "0.0"}
    # Only the current answers have answer rows.
    rows = (await db.exec(select(QuestionnaireAnswer).where(QuestionnaireAnswer.questionnaire_id == uuid.UUID(q["id"])))).all()
    assert sum(1 for a in rows if a.question_id == "repair") == 5

    # Residents: not while open; totals (no buildings) after close.
    r = await client.get(f"{API}/questionnaires/{q['id']}/results", headers=estate.owners["101"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "results_not_public"
    await client.post(f"{API}/questionnaires/{q['id']}/close", headers=estate.staff)
    r = (await client.get(f"{API}/questionnaires/{q['id']}/results", headers=estate.owners["101"])).json()
    assert r["responses"] == 3 and r["buildings"] == []
    r = await _answer(client, estate.owners["201"], q, estate.units["201"], repair=["roof"], elevator="no")
    assert r.status_code == 409 and r.json()["error"]["code"] == "questionnaire_not_open"


async def test_ranking_results(client, estate):
    ranking = {"id": "rank", "type": "ranking", "title": "排序", "options": [
        {"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}, {"value": "c", "label": "丙"}]}
    q = await _published(client, estate, questions=[ranking])
    await _answer(client, estate.owners["101"], q, estate.units["101"], rank=["a", "b", "c"])
    await _answer(client, estate.owners["102"], q, estate.units["102"], rank=["b", "a"])
    r = (await client.get(f"{API}/questionnaires/{q['id']}/results", headers=estate.staff)).json()
    [rank] = r["questions"]
    assert [(x["value"], x["ranked"], x["first"], x["average_rank"]) for x in rank["ranking"]] == [
        ("a", 2, 1, "1.50"), ("b", 2, 1, "1.50"), ("c", 1, 0, "3.00")]


async def test_non_respondents_per_grid(client, db, estate, world):
    q = await _published(client, estate)
    await _answer(client, estate.owners["102"], q, estate.units["102"], repair=["roof"], elevator="no")
    url = f"{API}/questionnaires/{q['id']}/non-respondents"
    staff = (await client.get(url, headers=estate.staff)).json()["items"]
    assert {u["room_number"] for u in staff} == {"101", "103", "201", world.a.unit.room_number}
    grid = (await client.get(url, headers=estate.grid)).json()["items"]
    assert {u["room_number"] for u in grid} == {"101", "103", world.a.unit.room_number}
    only_grid = (await client.get(url, headers=estate.staff, params={"grid_id": str(world.a.grid_id)})).json()["items"]
    assert "201" not in {u["room_number"] for u in only_grid}
    assert (await client.get(url, headers=estate.owners["101"])).status_code == 403
    assert (await client.get(url, headers=await world.headers_for(db, "grid_worker:out"))).status_code == 404


async def test_export_xlsx_and_csv(client, estate):
    q = await _published(client, estate)
    await _answer(client, estate.owners["101"], q, estate.units["101"], repair=["pipes", "roof"], elevator="yes",
                  floor_pay=1000)
    await _answer(client, estate.grid, q, estate.units["102"], channel="proxy", repair=["roads"], elevator="no",
                  why_not="=SUM(A1)")
    r = await client.get(f"{API}/questionnaires/{q['id']}/export", headers=estate.staff)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(r.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[0] == ("楼栋", "单元", "房号", "填写方式", "填写时间", "1. 最需要修什么", "2. 是否支持加装电梯",
                       "3. 愿意出资（元）", "4. 为什么不支持", "5. 对小区现状的评价")
    body = sorted(rows[1:], key=lambda row: row[2])
    assert [row[:4] for row in body] == [("1栋", "1单元", "101", "本人填写"), ("1栋", "1单元", "102", "网格员代填")]
    assert body[0][5:8] == ("屋顶、管道", "支持", 1000) and body[1][8] == "'=SUM(A1)"
    csv = await client.get(f"{API}/questionnaires/{q['id']}/export", headers=estate.staff, params={"format": "csv"})
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("楼栋,单元,房号") and len(text.splitlines()) == 3
    assert (await client.get(f"{API}/questionnaires/{q['id']}/export", headers=estate.grid)).status_code == 403


async def test_tasks_notices_reminder_and_closing(client, db, estate):
    q = await _published(client, estate, audience="owners",
                         closes_at=(clock.now() + timedelta(hours=12)).isoformat())
    notices = (await db.exec(select(Outbox).where(Outbox.template == "questionnaire_published"))).all()
    assert {n.user_id for n in notices} == set(estate.owner_ids.values())  # owners only: the tenant is not told
    tasks_101 = (await client.get(f"{API}/me/tasks", headers=estate.owners["101"])).json()["questionnaires"]
    assert [(t["questionnaire_id"], t["unit_label"]) for t in tasks_101] == [(q["id"], "1栋1单元101")]
    assert (await client.get(f"{API}/me/tasks", headers=estate.tenant)).json()["questionnaires"] == []
    await _answer(client, estate.owners["101"], q, estate.units["101"], repair=["roof"], elevator="no")
    assert (await client.get(f"{API}/me/tasks", headers=estate.owners["101"])).json()["questionnaires"] == []

    await tasks.remind_non_respondents(db)
    reminded = (await db.exec(select(Outbox.user_id).where(Outbox.template == "questionnaire_closing"))).all()
    assert set(reminded) == {estate.owner_ids[r] for r in ("102", "103", "201")}
    await tasks.remind_non_respondents(db)  # once only
    assert len((await db.exec(select(Outbox.id).where(Outbox.template == "questionnaire_closing"))).all()) == 3

    await tasks.close_due(db)  # not yet due
    assert (await db.get(Questionnaire, uuid.UUID(q["id"]))).status == "published"
    with clock.freeze(clock.now() + timedelta(hours=13)):
        await tasks.close_due(db)
    closed = await db.get(Questionnaire, uuid.UUID(q["id"]))
    await db.refresh(closed)
    assert closed.status == "closed" and closed.closed_at is not None
    r = await _answer(client, estate.owners["102"], q, estate.units["102"], repair=["roof"], elevator="no")
    assert r.json()["error"]["code"] == "questionnaire_not_open"


async def test_a_sync_item_whose_files_cannot_be_attached_leaves_nothing_behind(client, db, estate):
    q = await _published(client, estate)
    good = {"questionnaire_id": q["id"], "response_id": str(uuid.uuid4()), "unit_id": str(estate.units["102"]),
            "channel": "proxy", "answers": _answers(repair=["roof"], elevator="no")}
    someone_elses = {**good, "response_id": str(uuid.uuid4()), "unit_id": str(estate.units["101"]),
                     "evidence_file_ids": [str(uuid.uuid4())]}
    r = (await client.post(f"{API}/sync/questionnaire-responses", headers=estate.grid,
                           json={"items": [someone_elses, good]})).json()
    assert [(x["status"], (x["error"] or {}).get("code")) for x in r["results"]] == [
        ("rejected", "file_not_usable"), ("created", None)]
    stored = (await db.exec(select(QuestionnaireResponse.unit_id).where(
        QuestionnaireResponse.questionnaire_id == uuid.UUID(q["id"])))).all()
    assert stored == [estate.units["102"]]
    rows = (await db.exec(select(QuestionnaireAnswer.response_id).where(
        QuestionnaireAnswer.questionnaire_id == uuid.UUID(q["id"])))).all()
    assert set(rows) == {uuid.UUID(good["response_id"])}


async def test_photo_answers_attach_the_residents_uploads(client, db, estate):
    photo = {"id": "photo", "type": "photo", "title": "问题照片", "max_photos": 2}
    q = await _published(client, estate, questions=[photo])
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, "PNG")
    upload = await client.post(f"{API}/files", headers=estate.owners["101"],
                               files={"file": ("leak.png", png.getvalue(), "image/png")})
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["id"]
    r = await _answer(client, estate.owners["101"], q, estate.units["101"], photo=[file_id])
    assert r.status_code == 201 and r.json()["response"]["answers"] == {"photo": [file_id]}
    # The staff of the estate see the photo; another resident does not.
    assert (await client.get(f"{API}/files/{file_id}", headers=estate.staff)).status_code == 200
    assert (await client.get(f"{API}/files/{file_id}", headers=estate.owners["102"])).status_code == 404
    # Someone else's upload cannot be an answer.
    r = await _answer(client, estate.owners["102"], q, estate.units["102"], photo=[file_id])
    assert r.status_code == 422 and r.json()["error"]["code"] == "file_not_usable"


async def test_per_person_questionnaires_take_one_answer_from_each_resident(client, estate):
    q = await _published(client, estate, response_unit="person")
    for n, headers in enumerate((estate.owners["101"], estate.tenant, estate.owners["101"])):  # the owner answers twice
        r = await _answer(client, headers, q, estate.units["101"], repair=["roof"], elevator="no")
        assert r.status_code == 201
        if n == 0:  # the owner's answer is theirs alone: the tenant of the same unit is still asked
            waiting = (await client.get(f"{API}/me/tasks", headers=estate.tenant)).json()["questionnaires"]
            assert [t["questionnaire_id"] for t in waiting] == [q["id"]]
            assert (await client.get(f"{API}/me/tasks", headers=estate.owners["101"])).json()["questionnaires"] == []
    r = (await client.get(f"{API}/questionnaires/{q['id']}/results", headers=estate.staff)).json()
    assert r["responses"] == 2 and r["rate"]["responded"] == 1  # two people, one unit
    assert (await client.get(f"{API}/me/tasks", headers=estate.tenant)).json()["questionnaires"] == []
    mine = (await client.get(f"{API}/questionnaires/{q['id']}/my-responses", headers=estate.tenant)).json()
    assert len(mine) == 1 and mine[0]["recorded_by"]["display_name"] == "租户101"


OUTSIDERS = ("community_staff:out", "street_staff:out", "grid_worker:out", "resident:out", "committee_member:out",
             "contractor:out", "supervisor:out")


@pytest.mark.parametrize("variant", OUTSIDERS)
async def test_every_endpoint_answers_404_outside_the_scope(client, db, estate, world, variant):
    """Every questionnaire route, called by someone of world B: nothing of A exists for them."""
    q = await _published(client, estate)
    await _answer(client, estate.owners["101"], q, estate.units["101"], repair=["roof"], elevator="no")
    headers = await world.headers_for(db, variant)
    qid, unit = q["id"], estate.units["101"]
    body = {"response_id": str(uuid.uuid4()), "unit_id": str(unit), "answers": _answers(repair=["roof"], elevator="no")}
    calls = [
        ("GET", f"/projects/{estate.side.project_id}/questionnaires", None),
        ("POST", f"/projects/{estate.side.project_id}/questionnaires", {"template": "satisfaction"}),
        ("GET", f"/questionnaires/{qid}", None),
        ("PATCH", f"/questionnaires/{qid}", {"title": "x"}),
        ("POST", f"/questionnaires/{qid}/publish", {}),
        ("POST", f"/questionnaires/{qid}/close", None),
        ("POST", f"/questionnaires/{qid}/versions", None),
        ("POST", f"/questionnaires/{qid}/responses", body),
        ("POST", f"/questionnaires/{qid}/responses", {**body, "channel": "proxy"}),
        ("GET", f"/questionnaires/{qid}/my-responses", None),
        ("GET", f"/questionnaires/{qid}/units/{unit}/responses", None),
        ("GET", f"/questionnaires/{qid}/results", None),
        ("GET", f"/questionnaires/{qid}/non-respondents", None),
        ("GET", f"/questionnaires/{qid}/export", None),
    ]
    for method, path, json in calls:
        r = await client.request(method, f"{API}{path}", headers=headers, json=json)
        assert r.status_code == 404, (variant, method, path, r.status_code)
        assert r.json()["error"]["code"] == "not_found"
    r = await client.post(f"{API}/sync/questionnaire-responses", headers=headers,
                          json={"items": [{**body, "questionnaire_id": qid, "channel": "proxy"}]})
    assert r.json()["results"][0]["error"]["code"] == "not_found"
    assert (await client.get(f"{API}/me/tasks", headers=headers)).json()["questionnaires"] == []


async def test_results_over_several_buildings_and_groups_by_hand(client, estate):
    """The results are counted in one pass grouped by building, question and choice: a question's numbers
    come from several groups (two buildings; a rating's values are choices too) and must add up as one.
    101 and 102 in 1栋, 201 in 2栋:
      101: parts roof+pipes, money 10.25, rating 5
      102: parts pipes,      money 3,     rating 4
      201: parts roof+pipes, money 0.5,   rating 4
    (the lowest and the highest amount in different buildings, the rating's in different groups)
    """
    questions = [
        {"id": "parts", "type": "multiple_choice", "title": "修什么", "max_choices": 2,
         "options": [{"value": "roof", "label": "屋顶"}, {"value": "pipes", "label": "管道"}]},
        {"id": "money", "type": "number", "title": "出资", "min": 0, "max": 1000, "decimals": 2},
        {"id": "rating", "type": "rating", "title": "评价", "min": 1, "max": 5},
    ]
    q = await _published(client, estate, questions=questions)
    for room, parts, money, rating in (("101", ["roof", "pipes"], 10.25, 5), ("102", ["pipes"], 3, 4),
                                       ("201", ["roof", "pipes"], 0.5, 4)):
        r = await _answer(client, estate.owners[room], q, estate.units[room], parts=parts, money=money, rating=rating)
        assert r.status_code == 201, r.text
    r = (await client.get(f"{API}/questionnaires/{q['id']}/results", headers=estate.staff)).json()
    by_id = {x["question_id"]: x for x in r["questions"]}
    assert by_id["parts"]["answered"] == 3  # three answers, five rows
    assert [(o["value"], o["count"]) for o in by_id["parts"]["options"]] == [("roof", 2), ("pipes", 3)]
    # 13.75 / 3 = 4.583...; 13 / 3 = 4.333...
    assert by_id["money"]["numbers"] == {"count": 3, "min": "0.5", "max": "10.25", "average": "4.58"}
    assert by_id["rating"]["numbers"] == {"count": 3, "min": "4", "max": "5", "average": "4.33"}
    assert [(o["value"], o["count"]) for o in by_id["rating"]["options"]] == [("1", 0), ("2", 0), ("3", 0), ("4", 2),
                                                                               ("5", 1)]
    buildings = {b["building_name"]: {x["question_id"]: x for x in b["questions"]} for b in r["buildings"]}
    assert buildings["1栋"]["parts"]["answered"] == 2 and buildings["2栋"]["parts"]["answered"] == 1
    assert [(o["value"], o["count"]) for o in buildings["1栋"]["parts"]["options"]] == [("roof", 1), ("pipes", 2)]
    assert [(o["value"], o["count"]) for o in buildings["2栋"]["rating"]["options"]][3:] == [("4", 1), ("5", 0)]
