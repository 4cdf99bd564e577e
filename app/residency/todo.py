"""What waits for a user (``GET /me/tasks``): each participation domain declares the list it adds.

The residency domain cannot import the domains above it, so they declare a ``TaskSource`` in their
manifests, which the composition root installs here. A source answers the items of one of
``TasksPublic``'s lists, each a typed task below (the type ``KINDS`` gives the list), in one of two ways:

- ``query(principal)`` gives a ``TaskQuery`` (or None when the caller can have none of its tasks): a
  statement, the order of its rows, its parameters and how its rows become tasks. ``collect`` reads every
  such source's rows in one statement (``UNION ALL``, each source's columns in a place of their own): a
  resident's lists in one round trip, where each source would send its own.
- ``source(session, principal)`` answers the list itself, for a source whose logic is not one statement
  (kept facts, reads that depend on what the first found).
"""

import functools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, CompoundSelect, Select, cast, func, literal_column, null, union_all
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.core import db


class QuestionnaireTask(BaseModel):
    """An open questionnaire one of the caller's units may answer and has not."""

    questionnaire_id: uuid.UUID
    project_id: uuid.UUID
    title: str
    unit_id: uuid.UUID = Field(description="the unit to answer for")
    unit_label: str
    closes_at: datetime | None


class PlanTask(BaseModel):
    """A published plan one of the caller's units has not opened."""

    plan_id: uuid.UUID
    project_id: uuid.UUID
    title: str
    version: int
    unit_id: uuid.UUID
    unit_label: str
    notice_ends_at: datetime | None


class BallotTask(BaseModel):
    """An open ballot in which a vote the caller may cast is not cast yet."""

    ballot_id: uuid.UUID
    project_id: uuid.UUID
    title: str
    voter_id: uuid.UUID = Field(description="the voter (the owners of one or more units) to vote for")
    closes_at: datetime


class SignatureTask(BaseModel):
    """An open acceptance the caller may sign for a role not signed yet."""

    acceptance_id: uuid.UUID
    project_id: uuid.UUID
    round: int
    roles: list[str] = Field(description="the signatory roles the caller holds and has not signed for "
                                         "(street, community, contractor, supervision, committee)")
    content_hash: str = Field(description="the record's SHA-256 a signature must name")


class RectificationTask(BaseModel):
    """An order the caller's contractor must answer, or a response the caller (supervisor) must verify."""

    rectification_id: uuid.UUID
    project_id: uuid.UUID
    number: int
    title: str
    action: Literal["respond", "verify"]
    due_at: datetime
    overdue: bool


# Each list of /me/tasks and the type of its items.
KINDS: dict[str, type[BaseModel]] = {"questionnaires": QuestionnaireTask, "plans": PlanTask, "ballots": BallotTask,
                                     "signatures": SignatureTask, "rectifications": RectificationTask}


@dataclass(frozen=True)
class TaskQuery:
    """One source's rows, read in ``collect``'s statement with the other sources': ``statement`` (built once;
    its own ORDER BY, if any, does not survive the union) gives the rows in the order of ``order_by``
    (expressions over its FROM), and ``build`` makes the list of them. ``params`` are bound by name in the
    shared statement: two sources may bind one name only to one value."""

    statement: Select
    order_by: tuple[Any, ...]  # column expressions
    params: dict[str, Any]
    build: Callable[[Sequence[tuple[Any, ...]]], Sequence[BaseModel]]


@dataclass(frozen=True)
class TaskSource:
    """A list of ``/me/tasks``: read with the others (``query``) or on its own (``source``), exactly one."""

    kind: str
    source: Callable[[AsyncSession, Principal], Awaitable[Sequence[BaseModel]]] | None = None
    query: Callable[[Principal], TaskQuery | None] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown task kind {self.kind!r}")
        if (self.source is None) == (self.query is None):
            raise ValueError(f"the source of {self.kind!r} needs exactly one of a query and a source function")


_SOURCES: dict[str, TaskSource] = {}


def install(source: TaskSource) -> None:
    if (existing := _SOURCES.get(source.kind)) is not None and existing != source:
        raise ValueError(f"another source is already installed for {source.kind!r}")
    _SOURCES[source.kind] = source


async def collect(session: AsyncSession, principal: Principal) -> dict[str, Sequence[BaseModel]]:
    lists: dict[str, Sequence[BaseModel]] = {}
    queries: dict[str, TaskQuery] = {}
    for kind, s in _SOURCES.items():
        if s.query is not None:
            if (q := s.query(principal)) is None:
                lists[kind] = []
            else:
                queries[kind] = q
        else:
            assert s.source is not None
            lists[kind] = await s.source(session, principal)
    if queries:
        lists.update(await _read_together(session, queries))
    return lists


async def _read_together(session: AsyncSession, queries: dict[str, TaskQuery]) -> dict[str, Sequence[BaseModel]]:
    """The sources' rows in one statement; each row carries its source's place and its number in that
    source's order, then every source's columns (the others' NULL)."""
    params: dict[str, Any] = {}
    for kind, q in queries.items():
        for name, value in q.params.items():
            if params.setdefault(name, value) != value:
                raise ValueError(f"the task source {kind!r} binds {name!r} to another value than a source before it")
    parts = tuple(queries.values())
    statement, spans = _together(tuple((q.statement, q.order_by) for q in parts))
    rows: list[list[tuple[Any, ...]]] = [[] for _ in parts]
    for row in await db.rows(session, statement, params):
        first, end = spans[row[0]]
        rows[row[0]].append(tuple(row[first:end]))
    return {kind: q.build(rows[i]) for i, (kind, q) in enumerate(queries.items())}


@functools.cache
def _together(parts: tuple[tuple[Select, tuple[Any, ...]], ...]) -> tuple[CompoundSelect, list[tuple[int, int]]]:
    """``UNION ALL`` of the statements (built once per combination of sources), in order of source then
    row, and where each source's columns are in its rows (after the source's place and the row's number).
    A source's columns are NULL in the other sources' parts, cast to the column's type (PostgreSQL types a
    UNION's columns part by part, and the result's types are the first part's)."""
    columns = [list(statement.selected_columns) for statement, _ in parts]
    typed_nulls = [cast(null(), c.type) for own in columns for c in own]
    selects, spans, start = [], [], 0
    for i, ((statement, order_by), own) in enumerate(zip(parts, columns, strict=True)):
        cells: list[ColumnElement[Any]] = list(typed_nulls)
        cells[start:start + len(own)] = own
        selects.append(statement.order_by(None).with_only_columns(
            literal_column(str(i)).label("part"), func.row_number().over(order_by=order_by).label("n"),
            *(cell.label(f"c{j}") for j, cell in enumerate(cells)), maintain_column_froms=True))
        spans.append((2 + start, 2 + start + len(own)))
        start += len(own)
    return union_all(*selects).order_by(literal_column("part"), literal_column("n")), spans
