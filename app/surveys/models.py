"""Questionnaire tables.

- ``Questionnaire``: one version of a questionnaire. A published version never changes; editing one
  makes the next version of its series (``series_id``, ``version``) as a draft.
- ``QuestionnaireResponse``: one submission, keyed by the id the client generated (offline sync). A unit
  (or a person, per the questionnaire) may submit again until close: every submission is kept, and the
  one answered last is ``is_current``.
- ``QuestionnaireAnswer``: the current submissions' answers, one row per chosen option (or per answered
  question), so that results are counted in SQL. Rows of a superseded submission are removed.
- ``QuestionnaireExport``: the answers as a spreadsheet, made by the worker in the background
  (``app.surveys.exports``): its progress, and once done where its file is stored.
"""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import JSON, CheckConstraint, Index, Numeric, text
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, dt_field, enum_field, id_field


class QuestionnaireStatus(StrEnum):
    draft = "draft"
    published = "published"
    closed = "closed"


class Audience(StrEnum):
    owners = "owners"  # owners and co-owners only (a tenant never answers)
    residents = "residents"  # owners, co-owners and tenants


class ResponseUnit(StrEnum):
    unit = "unit"  # one response per property unit (户)
    person = "person"  # one per resident account of a unit


class Channel(StrEnum):
    self = "self"  # the resident in the mini-program
    proxy = "proxy"  # a grid worker on a tablet, door to door (代填)


class Questionnaire(SQLModel, table=True):
    __table_args__ = (Index("uq_questionnaire_series_version", "series_id", "version", unique=True),)
    id: uuid.UUID = id_field()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True)
    estate_id: uuid.UUID = Field(foreign_key="estate.id", index=True)
    series_id: uuid.UUID = Field(index=True)  # the first version's id
    version: int = 1
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    status: QuestionnaireStatus = enum_field(QuestionnaireStatus, default=QuestionnaireStatus.draft, index=True)
    audience: Audience = enum_field(Audience, default=Audience.residents)
    response_unit: ResponseUnit = enum_field(ResponseUnit, default=ResponseUnit.unit)
    building_ids: list[str] = Field(default_factory=list, sa_type=JSON)  # empty: the whole estate
    questions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    closes_at: datetime | None = dt_field()
    published_at: datetime | None = dt_field()
    closed_at: datetime | None = dt_field()
    reminded_at: datetime | None = dt_field()
    template: str | None = Field(default=None, max_length=40)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()

    @property
    def scope_buildings(self) -> list[uuid.UUID]:
        """The buildings it asks; empty: the whole estate."""
        return [uuid.UUID(b) for b in self.building_ids]


class Scope(Protocol):
    """What a questionnaire asks: its estate and buildings (a questionnaire, or a row of these columns)."""

    @property
    def estate_id(self) -> uuid.UUID: ...
    @property
    def building_ids(self) -> list[str]: ...


def covers(q: Scope, estate_id: uuid.UUID, building_id: uuid.UUID) -> bool:
    """Whether a unit in this estate and building is in the questionnaire's scope (no buildings named: the
    whole estate)."""
    return estate_id == q.estate_id and (not q.building_ids or str(building_id) in q.building_ids)


CURRENT = "is_current"


class QuestionnaireResponse(SQLModel, table=True):
    __tablename__ = "questionnaire_response"
    __table_args__ = (
        Index("uq_questionnaire_response_current", "questionnaire_id", "respondent_key", unique=True,
              postgresql_where=text(CURRENT), sqlite_where=text(CURRENT)),
        # A resident's own answer names them as its user: who sent it is who answered (or, once they closed
        # their account, no one). So a person's answers are found by user_id alone, through its index.
        CheckConstraint("channel <> 'self' OR recorded_by IS NULL OR (user_id IS NOT NULL AND recorded_by = user_id)",
                        name="self_sent_by_user"),
    )
    id: uuid.UUID = Field(primary_key=True)  # the client's response_id
    questionnaire_id: uuid.UUID = Field(foreign_key="questionnaire.id", index=True)
    unit_id: uuid.UUID = Field(foreign_key="property_unit.id", index=True)
    building_id: uuid.UUID = Field(foreign_key="building.id")
    respondent_key: str = Field(max_length=80)  # the unit, or unit:user for per-person questionnaires
    user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)  # the resident answering (self)
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")  # who sent it (the grid worker, for proxy); None once a resident who sent it themselves closed their account
    channel: Channel = enum_field(Channel)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # normal form, question order
    content_hash: str = Field(max_length=64)
    evidence_file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    answered_at: datetime = created_at_field()
    is_current: bool = Field(default=True)
    created_at: datetime = created_at_field()


class QuestionnaireAnswer(SQLModel, table=True):
    __tablename__ = "questionnaire_answer"
    __table_args__ = (Index("ix_questionnaire_answer_question", "questionnaire_id", "question_id", "choice"),)
    id: uuid.UUID = id_field()
    response_id: uuid.UUID = Field(foreign_key="questionnaire_response.id", index=True, ondelete="CASCADE")
    questionnaire_id: uuid.UUID = Field(foreign_key="questionnaire.id")
    building_id: uuid.UUID = Field(foreign_key="building.id")
    question_id: str = Field(max_length=40)
    choice: str | None = Field(default=None, max_length=40)  # the option (or rating) chosen
    rank: int | None = None  # ranking: 1 is first
    number: Decimal | None = Field(default=None, sa_type=Numeric(20, 4))
    # The first row of the response's answer to the question (a multiple choice or a ranking has one row
    # per option): counting these counts the responses that answered, without a DISTINCT to sort.
    first_row: bool = True


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


class ExportStatus(StrEnum):
    queued = "queued"  # waiting for the worker
    running = "running"  # a worker writes it (its lease renewed at every batch of rows)
    done = "done"  # stored: download it
    failed = "failed"  # ``error_reason`` says why; request another


class QuestionnaireExport(SQLModel, table=True):
    """A background export of a questionnaire's answers (导出答卷). The worker that claims it holds a lease
    (``lease_id`` until ``lease_until``, renewed as it writes); a run that dies lets the lease lapse and
    the next run takes the export over, at most ``exports.MAX_ATTEMPTS`` times."""

    __tablename__ = "questionnaire_export"
    id: uuid.UUID = id_field()
    questionnaire_id: uuid.UUID = Field(foreign_key="questionnaire.id", index=True)
    format: ExportFormat = enum_field(ExportFormat, default=ExportFormat.xlsx)
    status: ExportStatus = enum_field(ExportStatus, default=ExportStatus.queued, index=True)
    rows_total: int | None = None  # the responses to write, counted when the worker starts
    rows_done: int = 0
    attempts: int = 0  # claims so far
    lease_id: uuid.UUID | None = None
    lease_until: datetime | None = dt_field()
    # The stored file (content-addressed, app.files.storage) once done.
    storage_key: str | None = Field(default=None, max_length=200)
    sha256: str | None = Field(default=None, max_length=64)
    size: int | None = None
    error_reason: str | None = Field(default=None, max_length=500)  # failed: what went wrong
    requested_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    started_at: datetime | None = dt_field()
    finished_at: datetime | None = dt_field()
