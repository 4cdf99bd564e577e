"""A resident's /me/tasks: the questionnaires, plans and ballots waiting for them are read in one statement
(``app.residency.todo``: each source's statement a part of one ``UNION ALL``), and each list is what its
source's statement gives alone - the same rows, values, types and order."""

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import bindparam
from sqlmodel import col, select

from app.auth.models import User
from app.auth.principal import Binding, Principal
from app.auth.residence import BindingRelation
from app.core import clock
from app.core import db as core_db
from app.registry.models import Person
from app.residency import todo
from app.residency.models import UnitBinding
from tests import factories as f
from tests.registry.test_roster_queries import counted
from tests.voting.conftest import API, ballot, to_voting

QUESTION = [{"id": "score", "type": "rating", "title": "对小区现状的评价", "min": 1, "max": 5}]


async def _questionnaire(client, estate, closes_in: timedelta) -> dict:
    r = await client.post(f"{API}/projects/{estate.side.project_id}/questionnaires", headers=estate.staff,
                          json={"title": f"意见征集{closes_in}", "questions": QUESTION,
                                "closes_at": (clock.now() + closes_in).isoformat()})
    assert r.status_code == 201, r.text
    r = await client.post(f"{API}/questionnaires/{r.json()['id']}/publish", headers=estate.staff, json={})
    assert r.status_code == 200, r.text
    return r.json()


async def _zhang(db, estate) -> Principal:
    """张三 bound to 101 (as the world's estate binds him) and to 102, which he owns too."""
    user = (await db.exec(select(User).where(User.display_name == "zhang"))).one()
    person = await db.get(Person, (await db.exec(select(UnitBinding.person_id).where(UnitBinding.user_id == user.id))).one())
    await f.bind(db, user, estate.units_obj["102"], BindingRelation.owner, person=person)
    bindings = (await db.exec(select(UnitBinding).where(UnitBinding.user_id == user.id))).all()
    return Principal(user=user, unit_ids=frozenset(b.unit_id for b in bindings),
                     bindings=tuple(Binding(b.unit_id, b.person_id, b.relation, b.assurance) for b in bindings))


@pytest.fixture
async def waiting(client, db, estate):
    """Two questionnaires (the later one closing first), two published plans, an open ballot."""
    later = await _questionnaire(client, estate, timedelta(days=3))
    sooner = await _questionnaire(client, estate, timedelta(days=1))
    plan = await to_voting(db, estate)
    other = await f.published_plan(db, (await f.project(db, estate.side.estate_id)).id, estate.side.estate_id,
                                   published_at=plan.published_at - timedelta(days=1))
    opened = await ballot(client, estate)
    return {"questionnaires": [sooner["id"], later["id"]], "plans": [str(other.id), str(plan.id)],
            "ballots": [opened["id"]]}


async def test_the_lists_read_together_are_each_source_read_alone(db, engine, estate, waiting):
    p = await _zhang(db, estate)
    queries = {kind: s.query(p) for kind, s in todo._SOURCES.items() if s.query is not None}
    assert set(queries) == {"questionnaires", "plans", "ballots"} and all(queries.values())
    raw = {kind: dataclasses.replace(q, build=list) for kind, q in queries.items() if q is not None}
    with counted(engine) as sent:
        together = await todo._read_together(db, raw)
    assert len(sent) == 1
    for kind, q in raw.items():
        alone = [tuple(row) for row in await core_db.rows(db, q.statement.order_by(*q.order_by), q.params)]
        assert together[kind] == alone, kind
        assert [tuple(map(type, row)) for row in together[kind]] == [tuple(map(type, row)) for row in alone]
    # Not vacuous: each unit's rows of each questionnaire and plan (two units), the one voter's ballot.
    assert [len(together[kind]) for kind in ("questionnaires", "plans", "ballots")] == [4, 4, 1]


async def test_a_residents_tasks_come_each_in_its_lists_order(client, db, estate, waiting):
    await _zhang(db, estate)
    body = (await client.get(f"{API}/me/tasks", headers=estate.owners["zhang"])).json()
    assert [(t["questionnaire_id"], t["unit_label"][-3:]) for t in body["questionnaires"]] == [
        (q, room) for q in waiting["questionnaires"] for room in ("101", "102")]
    assert [(t["plan_id"], t["unit_label"][-3:]) for t in body["plans"]] == [
        (plan, room) for plan in waiting["plans"] for room in ("101", "102")]
    assert [t["ballot_id"] for t in body["ballots"]] == waiting["ballots"]
    # A tenant with no owner's binding has units (questionnaires and plans asked) but no persons (no ballot).
    tenant = (await client.get(f"{API}/me/tasks", headers=estate.tenant)).json()
    assert tenant["ballots"] == [] and {t["plan_id"] for t in tenant["plans"]} == set(waiting["plans"])


async def test_a_voter_two_of_the_callers_persons_own_is_one_task(client, db, estate, waiting):
    """李 and 王 co-own 104 (one voter): a caller bound as both is asked for that vote once."""
    li = (await db.exec(select(User).where(User.display_name == "li"))).one()
    persons = {p.name: p.id for p in (await db.exec(select(Person).where(col(Person.name).in_(["李四", "王五"])))).all()}
    unit = estate.units["104"]
    p = Principal(user=li, unit_ids=frozenset([unit]), bindings=(
        Binding(unit, persons["李四"], BindingRelation.owner, None),
        Binding(unit, persons["王五"], BindingRelation.co_owner, None)))
    tasks = (await todo.collect(db, p))["ballots"]
    assert [(str(t.ballot_id), t.voter_id) for t in tasks] == [(waiting["ballots"][0], tasks[0].voter_id)]


def test_a_source_is_a_query_or_a_function_not_both_nor_neither():
    async def source(_session, _p):
        return []

    with pytest.raises(ValueError):
        todo.TaskSource("plans")
    with pytest.raises(ValueError):
        todo.TaskSource("plans", source=source, query=lambda _p: None)
    assert todo.TaskSource("plans", source=source).query is None


async def test_two_sources_binding_one_name_to_two_values_are_refused(db):
    statement = select(User.id).where(User.id == bindparam("who"))
    one = todo.TaskQuery(statement, (User.id,), {"who": None}, list)
    other = dataclasses.replace(one, params={"who": 1})
    with pytest.raises(ValueError, match="who"):
        await todo._read_together(db, {"plans": one, "ballots": other})
