"""What waits for a user (``GET /me/tasks``): each participation domain declares the list it adds.

The residency domain cannot import the domains above it, so they declare a ``TaskSource`` in their
manifests, which the composition root installs here: ``source(session, principal)`` answers the items
of one of ``TasksPublic``'s lists, each a typed task below (the type ``KINDS`` gives the list).
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal


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
class TaskSource:
    kind: str
    source: Callable[[AsyncSession, Principal], Awaitable[Sequence[BaseModel]]]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown task kind {self.kind!r}")


_SOURCES: dict[str, TaskSource] = {}


def install(source: TaskSource) -> None:
    if (existing := _SOURCES.get(source.kind)) is not None and existing != source:
        raise ValueError(f"another source is already installed for {source.kind!r}")
    _SOURCES[source.kind] = source


async def collect(session: AsyncSession, principal: Principal) -> dict[str, Sequence[BaseModel]]:
    return {kind: await s.source(session, principal) for kind, s in _SOURCES.items()}
