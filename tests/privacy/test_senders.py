"""Whose an answer or an opinion is (docs/personal-information.md): one a resident sent themselves names them
as its user, and is in their data; one a grid worker recorded door to door is the unit's, kept in the
worker's name and not their personal information. The database holds the first - a self answer's or
opinion's sender is its user, or no one once they closed their account - which is what lets a person's data
be found by their user alone, through its index."""

import uuid

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.auth.models import Role
from app.plans.models import PlanOpinion
from app.surveys.models import QuestionnaireResponse
from tests import factories as f
from tests.privacy.activity import take_part
from tests.voting.conftest import API


async def _refused(db, row, **changes) -> None:
    """The change to ``row`` is refused by the database, and the row stays as it was."""
    before = {name: getattr(row, name) for name in changes}
    with pytest.raises(IntegrityError, match="self_sent_by"):
        async with db.begin_nested():
            for name, value in changes.items():
                setattr(row, name, value)
            db.add(row)
            await db.flush()
    await db.refresh(row)
    assert {name: getattr(row, name) for name in changes} == before


async def test_a_self_answer_or_opinion_names_its_sender_as_its_user(client, db, estate):
    done = await take_part(client, db, estate)
    answer = (await db.exec(select(QuestionnaireResponse).where(QuestionnaireResponse.user_id == done.wang_id))).one()
    assert (answer.user_id, answer.recorded_by, answer.channel) == (done.wang_id, done.wang_id, "self")
    await _refused(db, answer, user_id=None)  # sent by 王五, answered by no one
    await _refused(db, answer, user_id=done.zhang_id)  # sent by 王五, answered by 张三
    await _refused(db, answer, recorded_by=done.zhang_id)
    opinion = await db.get(PlanOpinion, uuid.UUID(done.opinion_id))
    assert (opinion.author_id, opinion.recorded_by, opinion.channel) == (done.wang_id, done.wang_id, "self")
    await _refused(db, opinion, author_id=None)
    await _refused(db, opinion, recorded_by=done.zhang_id)
    # Closing the account unlinks both at once, which the check allows.
    answer.user_id = answer.recorded_by = opinion.author_id = opinion.recorded_by = None
    db.add_all([answer, opinion])
    await db.flush()


async def test_a_grid_workers_door_to_door_records_are_not_their_personal_data(client, db, estate):
    done = await take_part(client, db, estate)
    worker = await f.user(db, (Role.grid_worker, estate.side.grid_id))
    grid = await f.headers(db, worker)
    r = await client.post(f"{API}/questionnaires/{done.questionnaire_id}/responses", headers=grid, json={
        "response_id": str(uuid.uuid4()), "unit_id": str(estate.units["102"]), "channel": "proxy",
        "answers": [{"question_id": "score", "value": 3}]})
    assert r.status_code == 201, r.text
    proxy_answer = await db.get(QuestionnaireResponse, uuid.UUID(r.json()["response_id"]))
    assert (proxy_answer.user_id, proxy_answer.recorded_by) == (None, worker.id)
    opinion = await db.get(PlanOpinion, uuid.UUID(done.opinion_id))
    r = await client.post(f"{API}/plans/{opinion.plan_id}/opinions", headers=grid,
                          json={"content": "代填：老人希望保留通道", "channel": "proxy", "unit_id": str(estate.units["102"])})
    assert r.status_code == 201, r.text
    proxy_opinion = await db.get(PlanOpinion, uuid.UUID(r.json()["id"]))
    assert (proxy_opinion.author_id, proxy_opinion.recorded_by) == (None, worker.id)

    r = await client.get(f"{API}/me/data", headers=grid)
    assert r.status_code == 200, r.text
    sections = r.json()["sections"]
    assert sections["questionnaire_answers"] == [] and sections["plan_opinions"] == []
    # 王五's data holds his own answer and opinion, not the unit next door's.
    sections = (await client.get(f"{API}/me/data", headers=done.wang)).json()["sections"]
    mine = (await db.exec(select(QuestionnaireResponse).where(QuestionnaireResponse.user_id == done.wang_id))).one()
    assert [a["id"] for a in sections["questionnaire_answers"]] == [str(mine.id)]
    assert [o["id"] for o in sections["plan_opinions"]] == [done.opinion_id]
