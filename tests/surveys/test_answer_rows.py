"""The rows an answer is counted by: one per chosen option, and exactly one of each answer marked first,
so that the results count the responses that answered a question without a DISTINCT."""

import uuid
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from app.surveys import logic, service

QUESTIONNAIRE = uuid.uuid4()
OPTIONS = ["roof", "pipes", "roads", "lift", "lights"]
QUESTIONS = [{"id": "repair", "type": "multiple_choice", "title": "修什么", "max_choices": 5,
              "options": [{"value": v, "label": v} for v in OPTIONS]},
             {"id": "order", "type": "ranking", "title": "先后", "options": [{"value": v, "label": v} for v in OPTIONS]},
             {"id": "why", "type": "text", "title": "为什么", "max_length": 50},
             {"id": "score", "type": "rating", "title": "评价", "min": 1, "max": 5}]


@given(st.lists(st.sampled_from(OPTIONS), min_size=1, unique=True), st.permutations(OPTIONS),
       st.booleans(), st.integers(min_value=1, max_value=5))
def test_each_answered_question_has_one_first_row(repair, order, with_text, score):
    questions = service.questions_of(SimpleNamespace(id=QUESTIONNAIRE, updated_at=None, questions=QUESTIONS))
    given_answers = {"repair": repair, "order": order, "score": score} | ({"why": "漏水"} if with_text else {})
    normal, problems = logic.check_answers(questions, [{"question_id": k, "value": v} for k, v in given_answers.items()])
    assert not problems
    response = SimpleNamespace(id=uuid.uuid4(), questionnaire_id=uuid.uuid4(), building_id=uuid.uuid4(), answers=normal)
    rows = service._answer_rows(response, questions)
    firsts = [r["question_id"] for r in rows if r["first_row"]]
    assert sorted(firsts) == sorted(given_answers)  # one per answered question, whatever its rows
    assert len([r for r in rows if r["question_id"] == "repair"]) == len(repair)
    assert [r["choice"] for r in rows if r["question_id"] == "order" and r["first_row"]] == [order[0]]
