"""Questionnaires: writing and publishing them, taking responses (one at a time or synced in batches).

Results, non-respondents and exports are in ``results.py``; what happens on publish and close is in
``flows.py``.
"""

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Select, bindparam, delete, exists, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import reads as accounts
from app.auth.principal import Principal
from app.auth.roles import Role
from app.core import audit, clock
from app.core import sync as offline
from app.core.db import locked
from app.core.errors import VALIDATION_ERROR, AppError, NotFound, error_body
from app.core.i18n import english, validation_message
from app.files import service as files
from app.projects import reads as projects
from app.projects.reads import ProjectRef
from app.registry import reads as registry
from app.residency import reads as residency
from app.residency.todo import QuestionnaireTask, TaskQuery
from app.surveys import access, flows, logic
from app.surveys.errors import (
    ANSWERED_AT_INVALID,
    ANSWERS_INVALID,
    BUILDING_NOT_IN_ESTATE,
    MENU_ITEM_UNKNOWN,
    OWNERS_ONLY,
    PROBLEM_TEXTS,
    PROXY_NOT_ALLOWED,
    QUESTIONNAIRE_CLOSES_IN_PAST,
    QUESTIONNAIRE_INVALID,
    QUESTIONNAIRE_NOT_DRAFT,
    QUESTIONNAIRE_NOT_OPEN,
    RESPONSE_CONFLICT,
    UNIT_OUTSIDE_QUESTIONNAIRE,
)
from app.surveys.models import (
    Audience,
    Channel,
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireResponse,
    QuestionnaireStatus,
    ResponseUnit,
    covers,
)
from app.surveys.schemas import (
    QuestionnaireCreate,
    QuestionnairePublic,
    QuestionnaireUpdate,
    ResponseIn,
    ResponsePublic,
    SubmitResult,
    SyncItem,
)
from app.surveys.templates import TEMPLATES

RESPONSE_KIND = "questionnaire_response"  # files attached to a response: photo answers, paper forms
CLOCK_SKEW = timedelta(minutes=5)  # a tablet's clock may run a little ahead
_QUESTIONS = TypeAdapter(list[logic.Question])


_PARSED: dict[tuple, list[Any]] = {}


def questions_of(q: Questionnaire) -> list[Any]:
    """The questionnaire's questions as models, parsed once per version of its content (a sync batch
    checks hundreds of responses against the same questions)."""
    key = (q.id, q.updated_at)
    if key not in _PARSED:
        if len(_PARSED) >= 256:
            _PARSED.clear()
        _PARSED[key] = _QUESTIONS.validate_python(q.questions)
    return _PARSED[key]


# ---- writing -------------------------------------------------------------------------------------


async def _check_definition(session: AsyncSession, estate_id: uuid.UUID, questions: list[Any],
                            building_ids: list[uuid.UUID]) -> None:
    problems = logic.definition_problems(questions)
    if problems:
        raise QUESTIONNAIRE_INVALID(details={"problems": problems})
    menu = {m.code for m in projects.menu()}
    unknown = sorted({o.value for q in questions if q.type == logic.QuestionType.renovation_items
                      for o in q.options} - menu)
    if unknown:
        raise MENU_ITEM_UNKNOWN(details={"values": unknown})
    if building_ids:
        known = {u.building_id for u in await registry.units(session, estate_id, building_ids=building_ids)}
        outside = sorted(str(b) for b in set(building_ids) - known)
        if outside:
            raise BUILDING_NOT_IN_ESTATE(details={"building_ids": outside})


def _dump(questions: list[Any]) -> list[dict[str, Any]]:
    return [q.model_dump(mode="json", exclude_none=True) for q in questions]


def _closing_time(closes_at):
    if closes_at is not None and closes_at <= clock.now():
        raise QUESTIONNAIRE_CLOSES_IN_PAST()
    return closes_at


async def create(session: AsyncSession, actor_id: uuid.UUID | None, project: ProjectRef,
                 data: QuestionnaireCreate) -> Questionnaire:
    base = TEMPLATES[data.template]() if data.template else {}
    title = data.title or base.get("title")
    questions = data.questions or (_QUESTIONS.validate_python(base["questions"]) if base else None)
    if title is None or questions is None:
        raise VALIDATION_ERROR(details=[
            {"loc": ["body", field], "type": "missing", "msg": validation_message({"type": "missing"})}
            for field, value in (("title", title), ("questions", questions)) if value is None])
    await _check_definition(session, project.estate_id, questions, data.building_ids)
    first_id = uuid.uuid4()  # a new questionnaire is the first version of its series
    q = Questionnaire(
        id=first_id, series_id=first_id, project_id=project.id, estate_id=project.estate_id, title=title,
        description=data.description if data.description is not None else base.get("description"),
        audience=data.audience or Audience(base.get("audience", Audience.residents)),
        response_unit=data.response_unit, building_ids=[str(b) for b in dict.fromkeys(data.building_ids)],
        questions=_dump(questions), closes_at=_closing_time(data.closes_at), template=data.template,
        created_by=actor_id,
    )
    session.add(q)
    await session.flush()
    await audit.record(session, actor_id=actor_id, action="questionnaire.create", entity_type="questionnaire",
                       entity_id=q.id, after=audit.snapshot(q), estate_id=q.estate_id)
    return q


async def update_draft(session: AsyncSession, p: Principal, q: Questionnaire, data: QuestionnaireUpdate) -> Questionnaire:
    q = await locked(session, q)
    if q.status != QuestionnaireStatus.draft:
        raise QUESTIONNAIRE_NOT_DRAFT()
    before = audit.snapshot(q)
    changes = data.model_dump(exclude_unset=True)
    for name in ("title", "audience", "response_unit", "questions"):
        if name in changes and changes[name] is None:
            changes.pop(name)
    questions = data.questions if data.questions is not None else questions_of(q)  # None: unchanged
    building_ids = data.building_ids if data.building_ids is not None else q.scope_buildings
    await _check_definition(session, q.estate_id, questions, building_ids)
    if "questions" in changes:
        changes["questions"] = _dump(questions)
    if "building_ids" in changes:
        changes["building_ids"] = [str(b) for b in dict.fromkeys(building_ids)]
    if "closes_at" in changes:
        changes["closes_at"] = _closing_time(data.closes_at)
    for name, value in changes.items():
        setattr(q, name, value)
    q.updated_at = clock.now()
    session.add(q)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="questionnaire.update", entity_type="questionnaire",
                       entity_id=q.id, before=before, after=audit.snapshot(q), estate_id=q.estate_id)
    return q


async def new_version(session: AsyncSession, p: Principal, q: Questionnaire) -> Questionnaire:
    """A draft copy of ``q`` as the next version of its series (a published questionnaire never changes)."""
    latest = (await session.exec(select(func.max(Questionnaire.version)).where(Questionnaire.series_id == q.series_id))).one()
    copy = Questionnaire(
        project_id=q.project_id, estate_id=q.estate_id, series_id=q.series_id, version=(latest or 0) + 1,
        title=q.title, description=q.description, audience=q.audience, response_unit=q.response_unit,
        building_ids=list(q.building_ids), questions=list(q.questions), template=q.template, created_by=p.id,
    )
    session.add(copy)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="questionnaire.new_version", entity_type="questionnaire",
                       entity_id=copy.id, after=audit.snapshot(copy), estate_id=copy.estate_id)
    return copy


async def publish(session: AsyncSession, actor_id: uuid.UUID | None, q: Questionnaire, closes_at) -> Questionnaire:
    q = await locked(session, q)
    if q.status != QuestionnaireStatus.draft:
        raise QUESTIONNAIRE_NOT_DRAFT()
    before = audit.snapshot(q)
    if closes_at is not None:
        q.closes_at = _closing_time(closes_at)
    elif q.closes_at is not None:
        _closing_time(q.closes_at)
    await _check_definition(session, q.estate_id, questions_of(q), q.scope_buildings)
    # Another version of the series still open closes: residents answer one version at a time.
    others = (await session.exec(select(Questionnaire).where(
        Questionnaire.series_id == q.series_id, Questionnaire.id != q.id,
        Questionnaire.status == QuestionnaireStatus.published))).all()
    for other in others:
        await close(session, other, actor_id)
    q.status = QuestionnaireStatus.published
    q.published_at = q.updated_at = clock.now()
    session.add(q)
    await session.flush()
    await audit.record(session, actor_id=actor_id, action="questionnaire.publish", entity_type="questionnaire",
                       entity_id=q.id, before=before, after=audit.snapshot(q), estate_id=q.estate_id)
    await flows.published(session, q)
    return q


async def close(session: AsyncSession, q: Questionnaire, actor_id: uuid.UUID | None) -> Questionnaire:
    """Close a published questionnaire (by staff, or by the worker at ``closes_at``: actor None)."""
    q = await locked(session, q)
    if q.status != QuestionnaireStatus.published:
        raise QUESTIONNAIRE_NOT_OPEN()
    before = audit.snapshot(q)
    q.status = QuestionnaireStatus.closed
    q.closed_at = q.updated_at = clock.now()
    session.add(q)
    await session.flush()
    await audit.record(session, actor_id=actor_id, action="questionnaire.close", entity_type="questionnaire",
                       entity_id=q.id, before=before, after=audit.snapshot(q), estate_id=q.estate_id)
    return q


async def public(session: AsyncSession, questionnaires: list[Questionnaire]) -> list[QuestionnairePublic]:
    actors = await accounts.actors(session, [q.created_by for q in questionnaires])
    return [QuestionnairePublic.model_validate({
        **q.model_dump(), "questions": q.questions, "building_ids": q.building_ids,
        "created_by": actors.get(q.created_by) if q.created_by else None}) for q in questionnaires]


async def list_for_project(session: AsyncSession, p: Principal, project_id: uuid.UUID) -> list[Questionnaire]:
    return list((await session.exec(
        select(Questionnaire)
        .where(Questionnaire.project_id == project_id, access.questionnaire_condition(p, "read"))
        .order_by(col(Questionnaire.created_at), col(Questionnaire.version))
    )).all())


# ---- responses -----------------------------------------------------------------------------------


class Window(Protocol):
    """When a questionnaire takes answers (a questionnaire, or a row of these columns)."""

    @property
    def status(self) -> QuestionnaireStatus: ...
    @property
    def closes_at(self) -> datetime | None: ...


def is_open(q: Window) -> bool:
    return q.status == QuestionnaireStatus.published and (q.closes_at is None or q.closes_at > clock.now())


def _problems(problems: list[logic.Problem]) -> list[dict[str, Any]]:
    return [{"question_id": pr.question_id, "code": pr.code,
             "message": PROBLEM_TEXTS[pr.code].render(None, **{k: "" if v is None else v for k, v in pr.params.items()})}
            for pr in problems]


class _Lookups:
    """What a batch of responses needs from the database, read once for the batch rather than per item:
    responses already stored under the batch's ids, the units the caller may answer for, and the current
    responses of those units (locked, so that two devices replacing one answer queue)."""

    def __init__(self) -> None:
        self.existing: dict[uuid.UUID, QuestionnaireResponse] = {}
        self.own_units: dict[uuid.UUID, registry.UnitRef] = {}
        self.proxy_units: dict[uuid.UUID, registry.UnitRef] = {}
        self.relations: dict[uuid.UUID, residency.BindingRelation] = {}
        self.current: dict[tuple[uuid.UUID, str], QuestionnaireResponse] = {}

    @classmethod
    async def load(cls, session: AsyncSession, p: Principal, items: list[SyncItem]) -> "_Lookups":
        found = cls()
        ids = [i.response_id for i in items]
        found.existing = {r.id: r for r in (await session.exec(
            select(QuestionnaireResponse).where(col(QuestionnaireResponse.id).in_(ids)))).all()} if ids else {}
        own = {i.unit_id for i in items if i.channel == Channel.self and i.unit_id in p.unit_ids}
        found.own_units = await registry.unit_refs(session, own)
        if own:
            found.relations = p.unit_relations
        proxied = {i.unit_id for i in items if i.channel == Channel.proxy}
        if proxied and p.roles & PROXY_ROLES:
            found.proxy_units = await registry.units_in_scope(session, p, proxied, "contact")
        units = {*found.own_units, *found.proxy_units}
        if units:
            rows = (await session.exec(select(QuestionnaireResponse).where(
                col(QuestionnaireResponse.questionnaire_id).in_({i.questionnaire_id for i in items}),
                col(QuestionnaireResponse.unit_id).in_(units), col(QuestionnaireResponse.is_current).is_(True))
                .with_for_update())).all()
            found.current = {(r.questionnaire_id, r.respondent_key): r for r in rows}
        return found


PROXY_ROLES = {Role.admin, Role.street_staff, Role.community_staff, Role.grid_worker}


def _respondent(p: Principal, q: Questionnaire, item: ResponseIn, found: _Lookups) -> tuple[registry.UnitRef, str]:
    """The unit answered for, and the respondent key: checks who may answer for it."""
    if item.channel == Channel.self:
        unit = found.own_units.get(item.unit_id)
        if unit is None:
            raise NotFound()
        if q.audience == Audience.owners and found.relations.get(unit.id) not in residency.OWNER_RELATIONS:
            raise OWNERS_ONLY()
        key = str(unit.id) if q.response_unit == ResponseUnit.unit else f"{unit.id}:{p.id}"
    else:
        if not p.roles & PROXY_ROLES:
            raise PROXY_NOT_ALLOWED()
        unit = found.proxy_units.get(item.unit_id)
        if unit is None:
            raise NotFound()
        # Door to door, the household answers on paper: one entry for the unit however many live there.
        key = str(unit.id) if q.response_unit == ResponseUnit.unit else f"{unit.id}:household"
    if not covers(q, unit.estate_id, unit.building_id):
        raise UNIT_OUTSIDE_QUESTIONNAIRE()
    return unit, key


def _answer_rows(response: QuestionnaireResponse, questions: list[Any]) -> list[dict[str, Any]]:
    """The response's answers as rows to count: one per chosen option, or one per answered question; the
    first row of each answer is marked (``first_row``), so that the answers are counted without DISTINCT."""
    rows = []
    by_id = {q.id: q for q in questions}

    def row(qid: str, choice: str | None = None, rank: int | None = None, number: Any = None,
            first_row: bool = True) -> dict[str, Any]:
        return {"id": uuid.uuid4(), "response_id": response.id, "questionnaire_id": response.questionnaire_id,
                "building_id": response.building_id, "question_id": qid, "choice": choice, "rank": rank,
                "number": number, "first_row": first_row}

    for qid, value in response.answers.items():
        t = by_id[qid].type
        if t == logic.QuestionType.single_choice:
            rows.append(row(qid, choice=value))
        elif t in logic.MULTI_TYPES:
            rows.extend(row(qid, choice=v, first_row=i == 0) for i, v in enumerate(value))
        elif t == logic.QuestionType.ranking:
            rows.extend(row(qid, choice=v, rank=i, first_row=i == 1) for i, v in enumerate(value, start=1))
        elif t == logic.QuestionType.rating:
            rows.append(row(qid, choice=str(value), number=value))
        elif t == logic.QuestionType.number:
            rows.append(row(qid, number=Decimal(str(value))))
        else:  # text, photo: answered
            rows.append(row(qid))
    return rows


async def submit(session: AsyncSession, p: Principal, q: Questionnaire, item: ResponseIn) -> SubmitResult:
    """Take one response (the API's single POST): ``created`` or ``duplicate`` with the response stored;
    raises AppError for a conflict or a refused response."""
    sync_item = SyncItem(**item.model_dump(), questionnaire_id=q.id)
    result = await _take(session, p, q, sync_item, await _Lookups.load(session, p, [sync_item]))
    stored = result.response_id
    response = await session.get(QuestionnaireResponse, stored)
    assert response is not None  # just stored in the same transaction
    result.response = (await responses_public(session, [response]))[0]
    return result


async def _take(session: AsyncSession, p: Principal, q: Questionnaire, item: SyncItem, found: _Lookups) -> SubmitResult:
    questions = questions_of(q)
    normal, problems = logic.check_answers(questions, [a.model_dump() for a in item.answers])
    existing = found.existing.get(item.response_id)
    if existing is not None:
        same = (existing.questionnaire_id == q.id and not problems and existing.unit_id == item.unit_id
                and existing.content_hash == logic.content_hash(item.unit_id, existing.respondent_key, normal)
                and (existing.user_id == p.id or existing.recorded_by == p.id))
        if not same:
            raise RESPONSE_CONFLICT(details={"response_id": str(item.response_id)})
        return SubmitResult(response_id=existing.id, status="duplicate")
    if not is_open(q):
        raise QUESTIONNAIRE_NOT_OPEN()
    unit, key = _respondent(p, q, item, found)
    now = clock.now()
    answered_at = item.answered_at or now
    if answered_at > now + CLOCK_SKEW or (q.published_at and answered_at < q.published_at - CLOCK_SKEW):
        raise ANSWERED_AT_INVALID()
    if problems:
        raise ANSWERS_INVALID(details={"problems": _problems(problems)})
    photos = {qq.id for qq in questions if qq.type == logic.QuestionType.photo}
    photo_ids = [uuid.UUID(f) for qid, files_ in normal.items() if qid in photos for f in files_]
    response = QuestionnaireResponse(
        id=item.response_id, questionnaire_id=q.id, unit_id=unit.id, building_id=unit.building_id,
        respondent_key=key, user_id=p.id if item.channel == Channel.self else None, recorded_by=p.id,
        channel=item.channel, answers=normal, content_hash=logic.content_hash(unit.id, key, normal),
        evidence_file_ids=[str(f) for f in dict.fromkeys(item.evidence_file_ids)], answered_at=answered_at,
        is_current=False,
    )
    counts = await _store(session, response, questions, found)
    await files.attach(session, p, [*photo_ids, *item.evidence_file_ids], RESPONSE_KIND, response.id)
    # Only now, with nothing left to fail, does the batch see it (a failed item's savepoint undid it).
    found.existing[response.id] = response
    if counts:
        found.current[(q.id, key)] = response
    return SubmitResult(response_id=response.id, status="created")


async def _store(session: AsyncSession, response: QuestionnaireResponse, questions: list[Any], found: _Lookups) -> bool:
    """Store the response; it counts if it was answered after the respondent's current one (the latest
    answer counts, whenever a tablet syncs it), and the one it replaces keeps only its history. Whether
    it counts."""
    slot = (response.questionnaire_id, response.respondent_key)
    current = found.current.get(slot)
    replaces = current is None or current.answered_at <= response.answered_at
    # Plain statements on the session's connection: a batch stores hundreds of rows, and the ORM's unit
    # of work would only add time (nothing here is read back as objects).
    conn = await session.connection()
    if current is not None and replaces:
        await conn.execute(delete(QuestionnaireAnswer).where(col(QuestionnaireAnswer.response_id) == current.id))
        await conn.execute(update(QuestionnaireResponse).where(col(QuestionnaireResponse.id) == current.id)
                           .values(is_current=False))
    response.is_current = replaces
    await conn.execute(insert(QuestionnaireResponse).values(**response.model_dump()))
    rows = _answer_rows(response, questions) if replaces else []
    if rows:
        await conn.execute(insert(QuestionnaireAnswer), rows)
    return replaces


async def responses_public(session: AsyncSession, rows: list[QuestionnaireResponse]) -> list[ResponsePublic]:
    labels = await registry.unit_labels(session, [r.unit_id for r in rows])
    actors = await accounts.actors(session, [r.recorded_by for r in rows if r.recorded_by])
    return [ResponsePublic(
        id=r.id, questionnaire_id=r.questionnaire_id, unit_id=r.unit_id, unit_label=labels[r.unit_id].label,
        channel=r.channel, answers=r.answers, evidence_file_ids=r.evidence_file_ids, answered_at=r.answered_at,
        is_current=r.is_current, recorded_by=actors.get(r.recorded_by) if r.recorded_by else None, created_at=r.created_at) for r in rows]


async def sync(session: AsyncSession, p: Principal, items: list[Any]) -> list[SubmitResult]:
    """A batch from an offline tablet or phone: each item answered on its own (``created``, ``duplicate``,
    ``conflict``, ``rejected``), so that a bad item never takes the good ones with it."""
    parsed: list[SyncItem | SubmitResult] = [_parse(raw) for raw in items]
    valid = [i for i in parsed if isinstance(i, SyncItem)]
    found = await _Lookups.load(session, p, valid)
    questionnaires = {q.id: q for q in (await session.exec(select(Questionnaire).where(
        col(Questionnaire.id).in_({i.questionnaire_id for i in valid}), access.questionnaire_condition(p, "read")))).all()}
    results: list[SubmitResult] = []
    for item in parsed:
        results.append(item if isinstance(item, SubmitResult) else await _sync_item(session, p, item, questionnaires, found))
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    await audit.record(session, actor_id=p.id, action="questionnaire.sync", entity_type="questionnaire_response",
                       entity_id=None, after={"items": len(items), **counts})
    return results


def _parse(raw: Any) -> SyncItem | SubmitResult:
    try:
        return SyncItem.model_validate(raw)
    except ValidationError as exc:
        return SubmitResult(response_id=offline.claimed_id(raw, "response_id"), status="rejected",
                            error=offline.invalid(exc))


async def _sync_item(session: AsyncSession, p: Principal, item: SyncItem, questionnaires: dict[uuid.UUID, Questionnaire],
                     found: _Lookups) -> SubmitResult:
    q = questionnaires.get(item.questionnaire_id)
    try:
        if q is None:
            raise NotFound()
        # Every refusal is raised before anything is written, except a file that cannot be attached: only
        # an item with files needs a savepoint to undo its rows (a savepoint per item costs a third).
        if not item.evidence_file_ids and not _has_photos(q, item):
            return await _take(session, p, q, item, found)
        async with session.begin_nested():
            return await _take(session, p, q, item, found)
    except AppError as exc:
        status = "conflict" if exc.code == RESPONSE_CONFLICT.code else "rejected"
        return SubmitResult(response_id=item.response_id, status=status,
                            error=error_body(exc.code, english(), exc.details)["error"])


def _has_photos(q: Questionnaire, item: SyncItem) -> bool:
    photos = {qq.id for qq in questions_of(q) if qq.type == logic.QuestionType.photo}
    return any(a.question_id in photos and a.value for a in item.answers)


async def my_responses(session: AsyncSession, p: Principal, q: Questionnaire) -> list[QuestionnaireResponse]:
    """The current responses of the caller's units (per unit) or the caller's own (per person)."""
    stmt = select(QuestionnaireResponse).where(QuestionnaireResponse.questionnaire_id == q.id,
                                               col(QuestionnaireResponse.is_current).is_(True))
    if q.response_unit == ResponseUnit.unit:
        stmt = stmt.where(col(QuestionnaireResponse.unit_id).in_(list(p.unit_ids) or [uuid.UUID(int=0)]))
    else:
        stmt = stmt.where(QuestionnaireResponse.user_id == p.id)
    return list((await session.exec(stmt.order_by(col(QuestionnaireResponse.answered_at)))).all())


async def unit_history(session: AsyncSession, q: Questionnaire, unit_id: uuid.UUID) -> list[QuestionnaireResponse]:
    """Every submission for a unit, newest answer first (staff: what changed and who entered it)."""
    return list((await session.exec(select(QuestionnaireResponse).where(
        QuestionnaireResponse.questionnaire_id == q.id, QuestionnaireResponse.unit_id == unit_id)
        .order_by(col(QuestionnaireResponse.answered_at).desc(), col(QuestionnaireResponse.created_at).desc()))).all())


async def can_read_response_files(session: AsyncSession, p: Principal, response_id: uuid.UUID) -> bool:
    response = await session.get(QuestionnaireResponse, response_id)
    if response is None:
        return False
    if response.recorded_by == p.id or response.unit_id in p.unit_ids and response.user_id == p.id:
        return True
    return (await session.exec(select(Questionnaire.id).where(
        Questionnaire.id == response.questionnaire_id, access.questionnaire_condition(p, "manage")))).first() is not None




# ---- what waits for a resident ---------------------------------------------------------------------


class _Candidate(NamedTuple):
    """Of a questionnaire, what ``open_for`` reads (``is_open``, ``covers``, the task)."""

    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    status: QuestionnaireStatus
    closes_at: datetime | None
    estate_id: uuid.UUID
    building_ids: list[str]
    audience: Audience


def _candidates_statement() -> tuple[Select, tuple[Any, ...]]:
    """The published questionnaires of the estates of some units (bound when it runs), each with each unit
    of its estate, and whether the caller's current answer for that unit is in, and their order (closing
    first, then by door): ``open_query``'s statement, built once. The answer is the unit's
    (``_respondent``'s key for a questionnaire answered per unit is the unit's id), or for one answered
    per person the caller's own (its key ends with ``:<caller id>``, bound)."""
    units = registry.unit_ref_columns()
    answer = QuestionnaireResponse
    answered = exists().where(
        col(answer.questionnaire_id) == Questionnaire.id, col(answer.unit_id) == units.c[0],
        col(answer.is_current).is_(True),
        or_(col(Questionnaire.response_unit) == ResponseUnit.unit,
            col(answer.respondent_key).like(bindparam("own_key"))))
    statement = (sa_select(*[col(getattr(Questionnaire, name)) for name in _Candidate._fields], answered.label("answered"),
                           *units.c)
                 .join(units, units.c[1] == Questionnaire.estate_id)
                 .where(col(Questionnaire.status) == QuestionnaireStatus.published,
                        units.c[0].in_(bindparam("unit_ids", expanding=True))))
    return statement, (col(Questionnaire.closes_at), col(Questionnaire.published_at), col(Questionnaire.id),
                       units.c[3], units.c[5], units.c[6])


_CANDIDATES, _CANDIDATES_ORDER = _candidates_statement()


def open_query(p: Principal) -> TaskQuery | None:
    """Open questionnaires that one of the caller's units may answer and has not (``/me/tasks``), read with
    the other lists. The keys are those ``_respondent`` gives the caller's own answers."""
    if not p.unit_ids:
        return None
    return TaskQuery(_CANDIDATES, _CANDIDATES_ORDER, {"unit_ids": sorted(p.unit_ids), "own_key": f"%:{p.id}"},
                     functools.partial(_open_tasks, p))


def _open_tasks(p: Principal, candidates: Sequence[tuple[Any, ...]]) -> list[QuestionnaireTask]:
    relations = p.unit_relations
    tasks = []
    width = len(_Candidate._fields)
    for row in candidates:
        q, answered, unit = _Candidate._make(row[:width]), row[width], registry.UnitRef._make(row[width + 1:])
        if answered or not is_open(q) or not covers(q, unit.estate_id, unit.building_id):
            continue
        if q.audience == Audience.owners and relations.get(unit.id) not in residency.OWNER_RELATIONS:
            continue
        tasks.append(QuestionnaireTask(questionnaire_id=q.id, project_id=q.project_id, title=q.title,
                                       unit_id=unit.id, unit_label=unit.label, closes_at=q.closes_at))
    return tasks
