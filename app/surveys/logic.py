"""The questionnaire's rules (docs/domain.md), pure: what a questionnaire may say, which questions a set of
answers makes visible, whether the answers are complete and well formed, and their normal form.

No database, no FastAPI. The server runs every response through ``check_answers``; the published
questionnaire's JSON (the ``Question`` models below) carries everything a client needs to render the
form and run the same checks before sending.

Visibility: a question with ``show_if`` is shown when its condition on an *earlier* question holds; a
hidden question counts as unanswered for later conditions. Answering a hidden question is an error;
``required`` applies only to visible questions. Conditions:

- ``equals`` / ``not_equals``: the answer is (is not) ``value``. For a multiple-choice or menu question,
  "is" means "includes". An unanswered question is not equal to anything.
- ``in``: the answer is one of ``values`` (includes one of them, for multiple choice).
- ``answered`` / ``not_answered``.

An empty answer (``null``, ``""``, ``[]``) is no answer.
"""

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Key = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
Label = Annotated[str, Field(min_length=1, max_length=200)]
MAX_QUESTIONS = 200
MAX_OPTIONS = 60


class QuestionType(StrEnum):
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    text = "text"
    number = "number"
    rating = "rating"
    ranking = "ranking"
    renovation_items = "renovation_items"  # choose items of the project's renovation menu (菜单式改造)
    photo = "photo"


class ConditionOp(StrEnum):
    equals = "equals"
    not_equals = "not_equals"
    in_ = "in"
    answered = "answered"
    not_answered = "not_answered"


Scalar = Annotated[str, Field(max_length=40)] | int


class ShowIf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question_id: Key
    op: ConditionOp
    value: Scalar | None = Field(default=None, description="for equals / not_equals")
    values: list[Scalar] | None = Field(default=None, max_length=MAX_OPTIONS, description="for in")


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Key
    label: Label


class _Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Key
    title: Annotated[str, Field(min_length=1, max_length=500)]
    description: Annotated[str, Field(max_length=2000)] | None = None
    required: bool = False
    show_if: ShowIf | None = None


class SingleChoice(_Question):
    type: Literal[QuestionType.single_choice]
    options: list[Option] = Field(min_length=2, max_length=MAX_OPTIONS)


class MultipleChoice(_Question):
    type: Literal[QuestionType.multiple_choice]
    options: list[Option] = Field(min_length=2, max_length=MAX_OPTIONS)
    min_choices: int = Field(default=1, ge=1, le=MAX_OPTIONS)
    max_choices: int | None = Field(default=None, ge=1, le=MAX_OPTIONS)


class TextQuestion(_Question):
    type: Literal[QuestionType.text]
    max_length: int = Field(default=500, ge=1, le=2000)


class NumberQuestion(_Question):
    type: Literal[QuestionType.number]
    min: int | None = Field(default=None, ge=-10**12, le=10**12)
    max: int | None = Field(default=None, ge=-10**12, le=10**12)
    decimals: int = Field(default=0, ge=0, le=4, description="decimal places allowed; 0: whole numbers")
    unit: Annotated[str, Field(max_length=20)] | None = Field(default=None, description="e.g. 人, 元, 年")


class Rating(_Question):
    type: Literal[QuestionType.rating]
    min: int = Field(default=1, ge=0, le=10)
    max: int = Field(default=5, ge=1, le=10)
    min_label: Annotated[str, Field(max_length=40)] | None = None
    max_label: Annotated[str, Field(max_length=40)] | None = None


class Ranking(_Question):
    type: Literal[QuestionType.ranking]
    options: list[Option] = Field(min_length=2, max_length=MAX_OPTIONS)
    max_ranked: int | None = Field(default=None, ge=1, le=MAX_OPTIONS, description="rank the top N; all if null")


class RenovationItems(_Question):
    type: Literal[QuestionType.renovation_items]
    options: list[Option] = Field(min_length=1, max_length=MAX_OPTIONS,
                                  description="menu items: value is the item code")
    min_choices: int = Field(default=1, ge=1, le=MAX_OPTIONS)
    max_choices: int | None = Field(default=None, ge=1, le=MAX_OPTIONS)


class Photo(_Question):
    type: Literal[QuestionType.photo]
    max_photos: int = Field(default=3, ge=1, le=9)


Question = Annotated[
    SingleChoice | MultipleChoice | TextQuestion | NumberQuestion | Rating | Ranking | RenovationItems | Photo,
    Field(discriminator="type"),
]
CHOICE_TYPES = {QuestionType.single_choice, QuestionType.multiple_choice, QuestionType.ranking,
                QuestionType.renovation_items}
MULTI_TYPES = {QuestionType.multiple_choice, QuestionType.renovation_items}


class Questions(BaseModel):
    """A questionnaire's questions, in the order they are asked."""

    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @model_validator(mode="after")
    def _coherent(self) -> "Questions":
        problems = definition_problems(self.questions)
        if problems:
            raise ValueError("; ".join(problems))
        return self


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a response: ``code`` (stable) with what a message needs."""

    question_id: str | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)


# ---- the definition ------------------------------------------------------------------------------


def definition_problems(questions: list[Any]) -> list[str]:
    """What makes a list of questions incoherent (in English, for the author): duplicate ids or options,
    bounds that contradict each other, conditions on unknown or later questions or on values the
    question cannot take."""
    problems: list[str] = []
    seen: dict[str, Any] = {}
    for q in questions:
        if q.id in seen:
            problems.append(f"question id {q.id!r} is used twice")
        options = [o.value for o in getattr(q, "options", [])]
        if len(set(options)) != len(options):
            problems.append(f"question {q.id!r} lists an option value twice")
        low, high = _count_bounds(q)
        if low is not None and high is not None and low > high:
            problems.append(f"question {q.id!r}: the minimum is above the maximum")
        if options and max((b for b in (low, high) if b is not None), default=0) > len(options):
            problems.append(f"question {q.id!r}: more choices asked than options")
        if q.show_if is not None:
            problems.extend(_condition_problems(q, seen.get(q.show_if.question_id)))
        seen.setdefault(q.id, q)
    return problems


def _count_bounds(q: Any) -> tuple[int | None, int | None]:
    if q.type in MULTI_TYPES:
        return q.min_choices, q.max_choices
    if q.type in (QuestionType.number, QuestionType.rating):
        return q.min, q.max
    if q.type == QuestionType.ranking:
        return None, q.max_ranked
    return None, None


def _condition_problems(q: Any, target: Any) -> list[str]:
    cond = q.show_if
    if target is None:
        return [f"question {q.id!r} depends on {cond.question_id!r}, which is not an earlier question"]
    if cond.op in (ConditionOp.equals, ConditionOp.not_equals):
        if cond.value is None:
            return [f"question {q.id!r}: {cond.op.value} needs a value"]
        wanted = [cond.value]
    elif cond.op == ConditionOp.in_:
        if not cond.values:
            return [f"question {q.id!r}: in needs values"]
        wanted = cond.values
    else:
        return []
    if target.type in (QuestionType.text, QuestionType.photo, QuestionType.ranking):
        return [f"question {q.id!r}: a {target.type.value} answer can only be tested for answered / not answered"]
    for value in wanted:
        if _normal(target, value) is None:
            return [f"question {q.id!r}: {value!r} is not a possible answer of {target.id!r}"]
    return []


def _normal(q: Any, value: Any) -> Any:
    """One scalar as question ``q`` would store it (an option value, a number), or None if it cannot be."""
    if q.type in CHOICE_TYPES:
        return value if isinstance(value, str) and value in {o.value for o in q.options} else None
    try:
        number = _number(q, value)
    except _Bad:
        return None
    return number


# ---- answers -------------------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _number(q: Any, value: Any) -> int | str:
    """Numbers: whole numbers as int; with ``decimals`` places, a string with exactly that many."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _Bad("invalid_type", expected="number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Bad("invalid_type", expected="number") from None
    if not number.is_finite():
        raise _Bad("invalid_type", expected="number")
    if (q.min is not None and number < q.min) or (q.max is not None and number > q.max) or abs(number) > 10**12:
        raise _Bad("out_of_range", min=q.min, max=q.max)
    places = q.decimals if q.type == QuestionType.number else 0
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        raise _Bad("precision", decimals=places)
    return int(number) if places == 0 else str(number.quantize(quantum))


def _options(q: Any, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad("invalid_type", expected="list")
    known = [o.value for o in q.options]
    unknown = [v for v in value if v not in known]
    if unknown:
        raise _Bad("invalid_option", value=unknown[0])
    if len(set(value)) != len(value):
        raise _Bad("duplicate_option")
    return value


def normalize_answer(q: Any, value: Any) -> Any:
    """The answer in its one normal form, or ``_Bad``: options of a multiple choice in the question's
    order, ranking in the order given, text stripped, numbers exact."""
    t = q.type
    if t == QuestionType.single_choice:
        if not isinstance(value, str):
            raise _Bad("invalid_type", expected="option")
        if value not in {o.value for o in q.options}:
            raise _Bad("invalid_option", value=value)
        return value
    if t in MULTI_TYPES:
        chosen = set(_options(q, value))
        if len(chosen) < q.min_choices:
            raise _Bad("too_few", min=q.min_choices)
        if q.max_choices is not None and len(chosen) > q.max_choices:
            raise _Bad("too_many", max=q.max_choices)
        return [o.value for o in q.options if o.value in chosen]
    if t == QuestionType.ranking:
        ranked = _options(q, value)
        if q.max_ranked is not None and len(ranked) > q.max_ranked:
            raise _Bad("too_many", max=q.max_ranked)
        return ranked
    if t == QuestionType.text:
        if not isinstance(value, str):
            raise _Bad("invalid_type", expected="text")
        text = value.strip()
        if len(text) > q.max_length:
            raise _Bad("too_long", max=q.max_length)
        return text
    if t in (QuestionType.number, QuestionType.rating):
        return _number(q, value)
    if t == QuestionType.photo:
        if not isinstance(value, list) or not value:
            raise _Bad("invalid_type", expected="file ids")
        try:
            ids = [str(uuid.UUID(str(v))) for v in value]
        except ValueError:
            raise _Bad("invalid_type", expected="file ids") from None
        if len(set(ids)) != len(ids):
            raise _Bad("duplicate_option")
        if len(ids) > q.max_photos:
            raise _Bad("too_many", max=q.max_photos)
        return ids
    raise AssertionError(t)  # every type is handled above


def condition_holds(cond: ShowIf, answer: Any, numeric: bool = False) -> bool:
    """Whether ``cond`` holds for the (normal form) answer of its question; None is unanswered.
    ``numeric``: the question is a number or a rating, so 12.5 equals "12.50"."""
    if cond.op == ConditionOp.answered:
        return answer is not None
    if cond.op == ConditionOp.not_answered:
        return answer is None
    if answer is None:
        return cond.op == ConditionOp.not_equals
    given = answer if isinstance(answer, list) else [answer]
    wanted: Sequence[Scalar | None]
    if cond.op == ConditionOp.in_:
        wanted = cond.values or []
    else:
        wanted = [cond.value]
    hit = any(_same(g, w, numeric) for g in given for w in wanted)
    return not hit if cond.op == ConditionOp.not_equals else hit


def _same(answer: Any, wanted: Any, numeric: bool) -> bool:
    if not numeric:
        return answer == wanted
    try:
        return Decimal(str(answer)) == Decimal(str(wanted))
    except InvalidOperation:
        return False


def visible_questions(questions: list[Any], answers: dict[str, Any]) -> list[str]:
    """The ids of the questions shown for these (normal form) answers, in order."""
    shown: list[str] = []
    effective: dict[str, Any] = {}
    numeric = {q.id for q in questions if q.type in (QuestionType.number, QuestionType.rating)}
    for q in questions:
        cond = q.show_if
        if cond is None or condition_holds(cond, effective.get(cond.question_id), cond.question_id in numeric):
            shown.append(q.id)
            effective[q.id] = answers.get(q.id)
    return shown


def check_answers(questions: list[Any], answers: list[dict[str, Any]]) -> tuple[dict[str, Any], list[Problem]]:
    """Answers as sent (``[{question_id, value}]``) -> (their normal form in question order, problems).

    The normal form keeps only answered questions. Problems: unknown_question, duplicate_answer,
    hidden_question_answered, required, and per answer invalid_type, invalid_option, duplicate_option,
    too_few, too_many, too_long, out_of_range, precision."""
    by_id = {q.id: q for q in questions}
    problems: list[Problem] = []
    given: dict[str, Any] = {}
    for answer in answers:
        qid = answer.get("question_id")
        if not isinstance(qid, str) or qid not in by_id:
            problems.append(Problem(qid if isinstance(qid, str) else None, "unknown_question"))
            continue
        if qid in given:
            problems.append(Problem(qid, "duplicate_answer"))
            continue
        value = answer.get("value")
        if _is_empty(value):
            continue
        try:
            normal_value = normalize_answer(by_id[qid], value)
        except _Bad as bad:
            problems.append(Problem(qid, bad.code, bad.params))
            given[qid] = None  # answered, but badly: neither hidden-answer nor required error on top
            continue
        if not _is_empty(normal_value):  # text of blanks only is no answer
            given[qid] = normal_value
    shown = set(visible_questions(questions, {k: v for k, v in given.items() if v is not None}))
    normal: dict[str, Any] = {}
    for q in questions:
        if q.id in given:
            if q.id not in shown:
                problems.append(Problem(q.id, "hidden_question_answered"))
            elif given[q.id] is not None:
                normal[q.id] = given[q.id]
        elif q.required and q.id in shown:
            problems.append(Problem(q.id, "required"))
    return normal, problems


def content_hash(unit_id: uuid.UUID, person_key: str | None, answers: dict[str, Any]) -> str:
    """The fingerprint of a response's content, for offline sync: the same response sent twice has the
    same hash; the same client id with another hash is a conflict."""
    payload = json.dumps({"unit": str(unit_id), "person": person_key, "answers": answers},
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
