"""What the responses say: counts and percentages per question and per building, the response rate,
the units still to visit, and the answers as a spreadsheet.

Counts are taken in SQL over the current responses' answer rows (``QuestionnaireAnswer``), never by
loading responses into Python, so that results over 100,000 responses stay quick. Percentages are exact
fractions rounded half up to one decimal.
"""

import asyncio
import csv
import io
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import IO, Any

from openpyxl import Workbook
from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.authz import permits
from app.auth.principal import Principal
from app.core.clock import SHANGHAI
from app.core.numbers import percent
from app.core.spreadsheets import escape_formula
from app.registry import reads as registry
from app.surveys import access, logic
from app.surveys.errors import RESULTS_NOT_PUBLIC
from app.surveys.flows import units_in_scope
from app.surveys.models import Channel, Questionnaire, QuestionnaireAnswer, QuestionnaireResponse, QuestionnaireStatus
from app.surveys.schemas import (
    NonRespondent,
    NumberSummary,
    OptionCount,
    QuestionnaireBuildingResult,
    QuestionnaireResultsPublic,
    QuestionResult,
    RankSummary,
    Rate,
)
from app.surveys.service import questions_of


def _decimal(value: Any) -> str | None:
    """An average with two decimals (a Fraction exactly; the database's average as it came)."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(str(value))
    return str(exact.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _rate(responded: int, units: int) -> Rate:
    return Rate(responded=responded, units=units, percent=percent(responded, units))


def _current(q: Questionnaire):
    return (QuestionnaireResponse.questionnaire_id == q.id, col(QuestionnaireResponse.is_current).is_(True))


def _question_results(questions: list[Any], answered: dict[str, int], choices: dict[tuple, tuple[int, int, int]],
                      numbers: dict[str, tuple] | None) -> list[QuestionResult]:
    out = []
    for q in questions:
        n = answered.get(q.id, 0)
        result = QuestionResult(question_id=q.id, type=q.type.value, title=q.title, answered=n)
        if q.type == logic.QuestionType.ranking:
            result.ranking = []
            for o in q.options:
                ranked, first, rank_sum = choices.get((q.id, o.value), (0, 0, 0))
                result.ranking.append(RankSummary(value=o.value, label=o.label, ranked=ranked, first=first,
                                                  average_rank=_decimal(Fraction(rank_sum, ranked)) if ranked else None))
        elif q.type in logic.CHOICE_TYPES or q.type == logic.QuestionType.rating:
            options = ([(o.value, o.label) for o in q.options] if q.type != logic.QuestionType.rating
                       else [(str(v), str(v)) for v in range(q.min, q.max + 1)])
            counts = [(v, label, choices.get((q.id, v), (0, 0, 0))[0]) for v, label in options]
            result.options = [OptionCount(value=v, label=label, count=c, percent=percent(c, n)) for v, label, c in counts]
        if numbers is not None and q.type in (logic.QuestionType.number, logic.QuestionType.rating):
            count, low, high, average = numbers.get(q.id, (0, None, None, None))
            result.numbers = NumberSummary(count=count, min=_number(low), max=_number(high), average=_decimal(average))
        out.append(result)
    return out


def _numbers(parts: list[tuple[int, Any, Any, Any]]) -> tuple[int, Any, Any, Fraction]:
    """A question's numbers (count, lowest, highest, exact average) from its groups' counts, bounds and sums
    (the bounds as the database gave them: ``_number`` formats them)."""
    count = sum(n for n, *_ in parts)
    total = sum((Fraction(Decimal(str(s))) for *_, s in parts), Fraction(0))
    return count, min(low for _, low, _, _ in parts), max(high for _, _, high, _ in parts), total / count


def _number(value: Any) -> str | None:
    return None if value is None else format(Decimal(str(value)).normalize(), "f")


async def visible_results(session: AsyncSession, principal: Principal, q: Questionnaire) -> QuestionnaireResultsPublic:
    """The results as ``principal`` may see them: those who collect answers follow them while open, per
    building too; everyone who reads the questionnaire sees the totals after close."""
    collector = await permits(session, Questionnaire, q.id, access.questionnaire_condition, principal, "collect")
    if not collector and q.status != QuestionnaireStatus.closed:
        raise RESULTS_NOT_PUBLIC()
    return await results(session, q, per_building=collector)


async def results(session: AsyncSession, q: Questionnaire, *, per_building: bool = True) -> QuestionnaireResultsPublic:
    questions = questions_of(q)
    A = QuestionnaireAnswer
    base = A.questionnaire_id == q.id
    # One pass over the answer rows, grouped by building, question and choice (NULL for a text or number
    # answer): three grouped counts, each a pass of its own over the same rows, took 1.7x as long. An
    # answer is counted by its first row (a multiple choice or a ranking stores one row per option).
    rows = (await session.exec(
        select(A.building_id, A.question_id, A.choice, func.count().filter(col(A.first_row)),  # type: ignore[call-overload]
               func.count(col(A.choice)), func.sum(case((col(A.rank) == 1, 1), else_=0)), func.sum(A.rank),
               func.count(col(A.number)), func.min(A.number), func.max(A.number), func.sum(A.number))
        .where(base).group_by(col(A.building_id), col(A.question_id), col(A.choice)))).all()
    responded_rows = (await session.exec(
        select(QuestionnaireResponse.building_id, func.count(func.distinct(QuestionnaireResponse.unit_id)),
               func.count()).where(*_current(q)).group_by(col(QuestionnaireResponse.building_id)))).all()

    answered: dict[str, int] = defaultdict(int)
    answered_in: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # (question, choice) -> (responses choosing it, ranked first, sum of ranks), overall and per building
    choices: dict[tuple, tuple[int, int, int]] = {}
    choices_in: dict[uuid.UUID, dict[tuple, tuple[int, int, int]]] = defaultdict(dict)
    number_parts: dict[str, list[tuple[int, Any, Any, Any]]] = defaultdict(list)
    for building, qid, choice, answers, n, first, rank_sum, count, low, high, total in rows:
        if answers:
            answered[qid] += answers
            answered_in[building][qid] += answers
        if choice is not None:
            counts = (n, int(first or 0), int(rank_sum or 0))
            choices_in[building][(qid, choice)] = counts
            choices[(qid, choice)] = tuple(a + b for a, b in zip(choices.get((qid, choice), (0, 0, 0)), counts, strict=True))
        if count:
            number_parts[qid].append((count, low, high, total))
    numbers = {qid: _numbers(parts) for qid, parts in number_parts.items()}

    units = await units_in_scope(session, q)
    units_per_building: dict[uuid.UUID, int] = defaultdict(int)
    names: dict[uuid.UUID, str] = {}
    for u in units:
        units_per_building[u.building_id] += 1
        names[u.building_id] = u.building_name
    responded = {b: units_answered for b, units_answered, _ in responded_rows}
    buildings = []
    if per_building:
        buildable = [qq for qq in questions if qq.type in logic.CHOICE_TYPES or qq.type == logic.QuestionType.rating]
        buildings = [QuestionnaireBuildingResult(
            building_id=b, building_name=names[b], rate=_rate(responded.get(b, 0), units_per_building[b]),
            questions=_question_results(buildable, answered_in[b], choices_in[b], None))
            for b in sorted(names, key=lambda b: names[b])]
    return QuestionnaireResultsPublic(
        questionnaire_id=q.id, status=q.status, responses=sum(n for _, _, n in responded_rows),
        rate=_rate(sum(responded.values()), len(units)),
        questions=_question_results(questions, answered, choices, numbers), buildings=buildings)


async def non_respondents(session: AsyncSession, p: Principal, q: Questionnaire,
                          grid_id: uuid.UUID | None) -> list[NonRespondent]:
    """The units in scope with no current response, that the caller may visit (a grid worker: their grid)."""
    units = await registry.units(session, q.estate_id, building_ids=q.scope_buildings or None,
                                 grid_id=grid_id, visible_to=(p, "contact"))
    answered = set((await session.exec(select(QuestionnaireResponse.unit_id).where(*_current(q)))).all())
    return [NonRespondent(unit_id=u.id, building_name=u.building_name, entrance_name=u.entrance_name,
                          room_number=u.room_number, label=u.label) for u in units if u.id not in answered]


# ---- export --------------------------------------------------------------------------------------

CHUNK = 1000
CHANNELS = {Channel.self: "本人填写", Channel.proxy: "网格员代填"}


def _cell(q: Any, value: Any) -> str | int:
    if value is None:
        return ""
    labels = {o.value: o.label for o in getattr(q, "options", [])}
    if q.type == logic.QuestionType.ranking:
        return " ".join(f"{i}.{labels.get(v, v)}" for i, v in enumerate(value, start=1))
    if isinstance(value, list):
        return f"{len(value)}张照片" if q.type == logic.QuestionType.photo else "、".join(labels[v] if v in labels else v for v in value)
    if q.type == logic.QuestionType.single_choice:
        return labels.get(value, value)
    return value


def _row(r: QuestionnaireResponse, units: dict[uuid.UUID, registry.UnitRef], questions: list[Any]) -> list:
    u = units.get(r.unit_id)
    row = [u.building_name if u else "", u.entrance_name if u else "", u.room_number if u else "",
           CHANNELS[r.channel], f"{r.answered_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
           *[_cell(qq, r.answers.get(qq.id)) for qq in questions]]
    return [escape_formula(v) if isinstance(v, str) else v for v in row]


# Called after each chunk with the number of rows written so far (the background export's progress).
Progress = Callable[[int], Awaitable[None]]


async def export_rows(session: AsyncSession, q: Questionnaire) -> int:
    """How many rows (besides the header) an export of ``q`` has: its current responses."""
    return (await session.exec(select(func.count()).select_from(QuestionnaireResponse).where(*_current(q)))).one()


async def _export(session: AsyncSession, q: Questionnaire, write: Callable[[list[list]], None],
                  progress: Progress | None = None) -> None:
    """The header, then one row per current response (by id, read a chunk at a time). Making and writing
    the rows is CPU work: each chunk's runs in a thread, off the event loop."""
    questions = questions_of(q)
    header = ["楼栋", "单元", "房号", "填写方式", "填写时间", *[f"{i}. {qq.title}" for i, qq in enumerate(questions, 1)]]
    await asyncio.to_thread(write, [header])
    units = {u.id: u for u in await units_in_scope(session, q)}
    after: uuid.UUID | None = None
    written = 0
    while True:
        stmt = select(QuestionnaireResponse).where(*_current(q)).order_by(col(QuestionnaireResponse.id)).limit(CHUNK)
        if after is not None:
            stmt = stmt.where(QuestionnaireResponse.id > after)
        chunk = (await session.exec(stmt)).all()
        if not chunk:
            return
        await asyncio.to_thread(lambda c: write([_row(r, units, questions) for r in c]), chunk)
        after = chunk[-1].id
        written += len(chunk)
        if progress is not None:
            await progress(written)


def _spooled() -> tempfile.SpooledTemporaryFile:
    # The export is written out inside the request's transaction, then streamed: past 8 MB it is on disk.
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)


async def write_csv(session: AsyncSession, q: Questionnaire, out: IO[bytes], progress: Progress | None = None) -> None:
    """The answers as CSV into the binary file ``out``."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")  # Excel opens UTF-8 CSV with a BOM
    await _export(session, q, csv.writer(text).writerows, progress)
    text.flush()
    text.detach()


async def write_xlsx(session: AsyncSession, q: Questionnaire, out: IO[bytes], progress: Progress | None = None) -> None:
    """The answers as a write-only workbook into the binary file ``out``: rows go to disk as they come, so
    memory stays flat whatever the number of responses."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("答卷")

    def write(rows: list[list]) -> None:
        for row in rows:
            sheet.append(row)

    await _export(session, q, write, progress)
    await asyncio.to_thread(workbook.save, out)


async def export_csv(session: AsyncSession, q: Questionnaire) -> tempfile.SpooledTemporaryFile:
    out = _spooled()
    await write_csv(session, q, out)
    out.seek(0)
    return out


async def export_xlsx(session: AsyncSession, q: Questionnaire) -> tempfile.SpooledTemporaryFile:
    """A write-only workbook (rows go to disk as they come, memory stays flat), in a spooled file."""
    out = _spooled()
    await write_xlsx(session, q, out)
    out.seek(0)
    return out
