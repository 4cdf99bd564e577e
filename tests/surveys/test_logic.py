"""The questionnaire rules (app/surveys/logic.py): every question type, every condition, visibility,
normal forms; property-based where the rule is general."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from app.surveys import logic
from app.surveys.logic import Questions, check_answers, content_hash, visible_questions
from app.surveys.templates import TEMPLATES

QUESTIONS = TypeAdapter(list[logic.Question])


def qs(*questions: dict):
    return QUESTIONS.validate_python(list(questions))


def opts(*values: str) -> list[dict]:
    return [{"value": v, "label": v.upper()} for v in values]


SINGLE = {"id": "single", "type": "single_choice", "title": "S", "options": opts("a", "b", "c")}
MULTI = {"id": "multi", "type": "multiple_choice", "title": "M", "options": opts("a", "b", "c", "d"),
         "min_choices": 2, "max_choices": 3}
TEXT = {"id": "text", "type": "text", "title": "T", "max_length": 5}
NUMBER = {"id": "number", "type": "number", "title": "N", "min": 0, "max": 20, "unit": "人"}
MONEY = {"id": "money", "type": "number", "title": "N2", "min": 0, "max": 1000, "decimals": 2}
RATING = {"id": "rating", "type": "rating", "title": "R", "min": 1, "max": 5}
RANKING = {"id": "ranking", "type": "ranking", "title": "K", "options": opts("x", "y", "z"), "max_ranked": 2}
MENU = {"id": "menu", "type": "renovation_items", "title": "I",
        "options": [{"value": "basic.roads", "label": "道路"}, {"value": "improvement.elevator", "label": "电梯"}],
        "max_choices": 1}
PHOTO = {"id": "photo", "type": "photo", "title": "P", "max_photos": 2}
ALL = qs(SINGLE, MULTI, TEXT, NUMBER, MONEY, RATING, RANKING, MENU, PHOTO)
F1, F2, F3 = (str(uuid.uuid4()) for _ in range(3))


def check(questions, **answers):
    return check_answers(questions, [{"question_id": k, "value": v} for k, v in answers.items()])


def codes(problems) -> list[tuple]:
    return [(p.question_id, p.code) for p in problems]


def test_every_type_takes_its_valid_answer_in_normal_form():
    normal, problems = check(ALL, single="b", multi=["c", "a"], text="  门口  ", number=3, money="12.5", rating=4,
                             ranking=["y", "x"], menu=["improvement.elevator"], photo=[F1.upper()])
    assert problems == []
    assert normal == {"single": "b", "multi": ["a", "c"], "text": "门口", "number": 3, "money": "12.50", "rating": 4,
                      "ranking": ["y", "x"], "menu": ["improvement.elevator"], "photo": [F1]}
    assert list(normal) == [q.id for q in ALL]  # question order


@pytest.mark.parametrize("question, value, code", [
    ("single", "z", "invalid_option"),
    ("single", ["a"], "invalid_type"),
    ("multi", ["a"], "too_few"),
    ("multi", ["a", "b", "c", "d"], "too_many"),
    ("multi", ["a", "a"], "duplicate_option"),
    ("multi", ["a", "q"], "invalid_option"),
    ("multi", "a", "invalid_type"),
    ("text", "123456", "too_long"),
    ("text", 5, "invalid_type"),
    ("number", 21, "out_of_range"),
    ("number", -1, "out_of_range"),
    ("number", 2.5, "precision"),
    ("number", "many", "invalid_type"),
    ("number", True, "invalid_type"),
    ("number", "1e400", "out_of_range"),
    ("number", float("nan"), "invalid_type"),
    ("money", "12.345", "precision"),
    ("rating", 6, "out_of_range"),
    ("rating", 0, "out_of_range"),
    ("rating", 3.5, "precision"),
    ("ranking", ["x", "y", "z"], "too_many"),
    ("ranking", ["x", "x"], "duplicate_option"),
    ("menu", ["basic.roads", "improvement.elevator"], "too_many"),
    ("menu", ["basic.gas"], "invalid_option"),
    ("photo", [F1, F2, F3], "too_many"),
    ("photo", ["not-a-file"], "invalid_type"),
    ("photo", [F1, F1], "duplicate_option"),
])
def test_each_rule_of_each_type(question, value, code):
    _, problems = check(ALL, **{question: value})
    assert codes(problems) == [(question, code)]


def test_empty_answers_are_no_answers_and_required_is_demanded():
    required = qs({**SINGLE, "required": True}, {**TEXT, "required": True}, {**MULTI, "required": True})
    normal, problems = check(required, single=None, text="", multi=[])
    assert normal == {}
    assert codes(problems) == [("single", "required"), ("text", "required"), ("multi", "required")]


def test_unknown_and_duplicate_answers():
    _, problems = check_answers(ALL, [{"question_id": "nope", "value": 1}, {"question_id": "single", "value": "a"},
                                      {"question_id": "single", "value": "b"}, {"value": 3}])
    assert codes(problems) == [("nope", "unknown_question"), ("single", "duplicate_answer"), (None, "unknown_question")]


def test_a_badly_formed_answer_is_reported_once():
    required = qs({**SINGLE, "required": True})
    _, problems = check(required, single="z")
    assert codes(problems) == [("single", "invalid_option")]


# ---- conditions ------------------------------------------------------------------------------------

def branch(op: str, on: dict = SINGLE, **cond):
    return qs(on, {**TEXT, "required": True, "show_if": {"question_id": on["id"], "op": op, **cond}})


@pytest.mark.parametrize("op, cond, answer, shown", [
    ("equals", {"value": "a"}, "a", True),
    ("equals", {"value": "a"}, "b", False),
    ("equals", {"value": "a"}, None, False),
    ("not_equals", {"value": "a"}, "a", False),
    ("not_equals", {"value": "a"}, "b", True),
    ("not_equals", {"value": "a"}, None, True),
    ("in", {"values": ["a", "b"]}, "b", True),
    ("in", {"values": ["a", "b"]}, "c", False),
    ("in", {"values": ["a", "b"]}, None, False),
    ("answered", {}, "c", True),
    ("answered", {}, None, False),
    ("not_answered", {}, None, True),
    ("not_answered", {}, "a", False),
])
def test_each_condition_on_a_single_choice(op, cond, answer, shown):
    questions = branch(op, **cond)
    assert ("text" in visible_questions(questions, {"single": answer} if answer else {})) is shown
    # A shown required question is demanded; a hidden one is not, and answering it is an error.
    _, problems = check(questions, **({"single": answer} if answer else {}))
    assert codes(problems) == ([("text", "required")] if shown else [])
    _, problems = check(questions, **({"single": answer} if answer else {}), text="hi")
    assert codes(problems) == ([] if shown else [("text", "hidden_question_answered")])


def test_conditions_on_multiple_choice_mean_includes():
    questions = branch("equals", on=MULTI, value="b")
    assert "text" in visible_questions(questions, {"multi": ["a", "b"]})
    assert "text" not in visible_questions(questions, {"multi": ["a", "c"]})
    questions = branch("in", on=MULTI, values=["c", "d"])
    assert "text" in visible_questions(questions, {"multi": ["a", "d"]})
    questions = branch("not_equals", on=MULTI, value="b")
    assert "text" not in visible_questions(questions, {"multi": ["a", "b"]})


def test_conditions_on_numbers_compare_values():
    questions = branch("in", on=RATING, values=[1, 2])
    assert "text" in visible_questions(questions, {"rating": 2})
    assert "text" not in visible_questions(questions, {"rating": 3})
    questions = branch("equals", on=MONEY, value="12.5")
    assert "text" in visible_questions(questions, {"money": "12.50"})


def test_a_hidden_question_hides_what_depends_on_it():
    questions = qs(SINGLE, {**MULTI, "show_if": {"question_id": "single", "op": "equals", "value": "a"}},
                   {**TEXT, "required": True, "show_if": {"question_id": "multi", "op": "answered"}})
    # multi is hidden (single is b): its answer is refused and does not open text.
    _, problems = check(questions, single="b", multi=["a", "b"])
    assert codes(problems) == [("multi", "hidden_question_answered")]
    assert visible_questions(questions, {"single": "b", "multi": ["a", "b"]}) == ["single"]
    _, problems = check(questions, single="a", multi=["a", "b"])
    assert codes(problems) == [("text", "required")]


# ---- definitions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("questions, problem", [
    ([SINGLE, SINGLE], "used twice"),
    ([{**SINGLE, "options": opts("a", "a")}], "option value twice"),
    ([{**MULTI, "min_choices": 3, "max_choices": 2}], "minimum is above"),
    ([{**MULTI, "max_choices": 5}], "more choices asked than options"),
    ([{**NUMBER, "min": 5, "max": 1}], "minimum is above"),
    ([{**TEXT, "show_if": {"question_id": "single", "op": "answered"}}, SINGLE], "not an earlier question"),
    ([SINGLE, {**TEXT, "show_if": {"question_id": "single", "op": "equals"}}], "needs a value"),
    ([SINGLE, {**TEXT, "show_if": {"question_id": "single", "op": "in"}}], "in needs values"),
    ([SINGLE, {**TEXT, "show_if": {"question_id": "single", "op": "equals", "value": "q"}}], "not a possible answer"),
    ([RATING, {**TEXT, "show_if": {"question_id": "rating", "op": "in", "values": [9]}}], "not a possible answer"),
    ([TEXT, {**SINGLE, "show_if": {"question_id": "text", "op": "equals", "value": "x"}}], "answered / not answered"),
])
def test_incoherent_definitions_are_refused(questions, problem):
    with pytest.raises(ValidationError) as exc:
        Questions(questions=questions)
    assert problem in str(exc.value)


def test_unknown_types_and_fields_are_refused():
    with pytest.raises(ValidationError):
        qs({**SINGLE, "type": "essay"})
    with pytest.raises(ValidationError):
        qs({**SINGLE, "colour": "red"})


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_the_templates_are_coherent(key):
    template = TEMPLATES[key]()
    Questions(questions=template["questions"])


# ---- properties ------------------------------------------------------------------------------------

answer_values = st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 30), st.floats(allow_nan=True),
                          st.lists(st.sampled_from(["a", "b", "c", "d", "x", "y", "z", F1]), max_size=5),
                          st.sampled_from(["a", "b", "c", "basic.roads", "improvement.elevator"]))
answer_sets = st.dictionaries(st.sampled_from([q.id for q in ALL] + ["ghost"]), answer_values, max_size=10)


@given(answer_sets)
def test_normal_form_is_a_fixed_point(answers):
    """Checking the normal form again finds nothing and changes nothing."""
    normal, _ = check(ALL, **answers)
    again, problems = check(ALL, **normal)
    assert problems == [] and again == normal


@given(answer_sets)
def test_the_normal_form_answers_only_visible_questions(answers):
    conditional = qs(SINGLE, {**MULTI, "show_if": {"question_id": "single", "op": "in", "values": ["a", "b"]}},
                     {**RATING, "required": True, "show_if": {"question_id": "multi", "op": "equals", "value": "c"}},
                     {**TEXT, "show_if": {"question_id": "rating", "op": "not_equals", "value": 3}})
    normal, problems = check(conditional, **answers)
    shown = visible_questions(conditional, normal)
    assert set(normal) <= set(shown)
    required_missing = "rating" in shown and "rating" not in normal and not any(p.question_id == "rating" for p in problems
                                                                              if p.code != "required")
    assert (("rating", "required") in codes(problems)) == required_missing


@given(answer_sets, st.randoms())
def test_the_order_answers_come_in_does_not_matter(answers, random):
    items = [{"question_id": k, "value": v} for k, v in answers.items()]
    shuffled = items[:]
    random.shuffle(shuffled)
    first, second = check_answers(ALL, items), check_answers(ALL, shuffled)
    assert first[0] == second[0] and sorted(codes(first[1]), key=str) == sorted(codes(second[1]), key=str)


@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=2, max_size=3, unique=True))
def test_the_content_hash_ignores_the_order_of_choices(chosen):
    unit = uuid.uuid4()
    forward, _ = check(ALL, multi=chosen)
    backward, _ = check(ALL, multi=list(reversed(chosen)))
    assert content_hash(unit, None, forward) == content_hash(unit, None, backward)
    assert content_hash(unit, None, forward) != content_hash(uuid.uuid4(), None, forward)


def test_blank_text_is_no_answer():
    normal, problems = check(qs({**TEXT, "required": True}), text="   ")
    assert normal == {} and codes(problems) == [("text", "required")]
