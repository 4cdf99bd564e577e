"""Voting tables.

- ``Ballot``: a ballot of a project over a scope (the estate, some buildings or entrances) with its rule;
  draft -> announced -> open -> closed -> final, or cancelled (the procedure of ``procedure.py``). Opening
  freezes the electorate and its totals; closing counts the preliminary result; final makes it decide.
- ``Motion``: one question of the ballot (a menu item, or "adopt plan v2").
- ``BallotVoter`` / ``BallotVoterPerson`` / ``BallotVoterUnit``: the electorate snapshot: each voter
  (units linked by a common owner) with its area, which persons on record may cast its vote, and its
  units with their buildings and areas (for the results per building and the door-knocking list).
- ``BallotCast``: one casting of a voter's vote, with its receipt; exactly one is current per voter (a
  partial unique index), earlier ones kept as history when changes are allowed.
- ``BallotChoice``: the current casts' choices, one row per motion with the voter's area, so that
  results are SQL sums.
- ``BallotResult``: the results as computed when the ballot closed; nothing changes them after that, so
  they are read from here instead of being summed again.
- ``NoticeDelivery``: a grid worker's record that the announcement reached a household on paper (handed
  over or posted, with a photo); WeChat and in-app deliveries are the notifications' own record.
- ``ElectorateCorrection``: an owner's request to correct the electorate before it is frozen, and its
  answer. ``Objection``: an owner's objection to the preliminary result, and its answer. ``Recount``: a
  count again from the stored votes, with any difference found.
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.auth.residence import Assurance
from app.core.db import created_at_field, dt_field, enum_field, id_field
from app.voting.rules import Choice, Rule


class BallotStatus(StrEnum):
    draft = "draft"
    announced = "announced"  # 表决公告: owners told; the electorate open for corrections
    open = "open"
    closed = "closed"  # the preliminary result (初步结果), open to objections
    final = "final"  # the result decides
    cancelled = "cancelled"


class ResultsVisibility(StrEnum):
    after_close = "after_close"  # turnout live, results once closed
    live = "live"  # results while open too


class CastChannel(StrEnum):
    self = "self"  # the owner in the mini-program
    proxy = "proxy"  # a grid worker entering a paper ballot (书面表决) or an organisation's authorised vote


class Evidence(StrEnum):
    paper_ballot = "paper_ballot"  # a photo of the owner's signed paper ballot (书面表决票)
    authorisation = "authorisation"  # a written authorisation, e.g. an organisation's letter with its seal


class Ballot(SQLModel, table=True):
    id: uuid.UUID = id_field()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True)
    estate_id: uuid.UUID = Field(foreign_key="estate.id", index=True)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    rule: Rule = enum_field(Rule)
    custom_rule: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    building_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    entrance_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    opens_at: datetime = dt_field(nullable=False)
    closes_at: datetime = dt_field(nullable=False)
    allow_change: bool = False
    results_visibility: ResultsVisibility = enum_field(ResultsVisibility, default=ResultsVisibility.after_close)
    decides_project: bool = False  # its final result moves the project from voting to approved or rejected
    notice_days: int = 15  # the announcement is at least this long before opens_at
    objection_days: int = 7  # after the close, before the result is final
    min_assurance: Assurance = enum_field(Assurance, default=Assurance.phone_match)  # for an online vote
    # The plan version published when a tied ballot (deciding, or with a plan motion) was announced: its
    # result decides only while that version is still the current one.
    plan_version_id: uuid.UUID | None = Field(default=None, foreign_key="plan_version.id")
    status: BallotStatus = enum_field(BallotStatus, default=BallotStatus.draft, index=True)
    announced_at: datetime | None = dt_field()
    opened_at: datetime | None = dt_field()
    closed_at: datetime | None = dt_field()
    finalized_at: datetime | None = dt_field()
    cancelled_at: datetime | None = dt_field()
    cancel_reason: str | None = Field(default=None, max_length=500)
    total_area_centi: int = 0  # frozen when opened
    total_headcount: int = 0
    reminded_at: datetime | None = dt_field()  # when the non-voters were reminded of the close
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class Motion(SQLModel, table=True):
    __tablename__ = "ballot_motion"
    id: uuid.UUID = id_field()
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id", index=True)
    position: int
    title: str = Field(max_length=200)
    item_code: str | None = Field(default=None, max_length=60)
    plan_id: uuid.UUID | None = Field(default=None, foreign_key="plan_version.id")


class BallotVoter(SQLModel, table=True):
    __tablename__ = "ballot_voter"
    __table_args__ = (UniqueConstraint("ballot_id", "key", name="uq_ballot_voter_key"),)
    id: uuid.UUID = id_field()
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id")
    key: str = Field(max_length=40)  # the smallest person id of the voter's owners
    area_centi: int


class BallotVoterPerson(SQLModel, table=True):
    __tablename__ = "ballot_voter_person"
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id", primary_key=True)
    # A person's voters in every ballot (their data, GET /me/data), without reading every ballot's electorate.
    person_id: uuid.UUID = Field(foreign_key="person.id", primary_key=True, index=True)
    voter_id: uuid.UUID = Field(foreign_key="ballot_voter.id", index=True)  # a voter's owners, for each cast


class BallotVoterUnit(SQLModel, table=True):
    __tablename__ = "ballot_voter_unit"
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id", primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="property_unit.id", primary_key=True)
    voter_id: uuid.UUID = Field(foreign_key="ballot_voter.id", index=True)
    building_id: uuid.UUID = Field(foreign_key="building.id")
    area_centi: int  # frozen with the electorate


CURRENT = "is_current"


class BallotCast(SQLModel, table=True):
    __tablename__ = "ballot_cast"
    __table_args__ = (
        Index("uq_ballot_cast_current", "ballot_id", "voter_id", unique=True,
              postgresql_where=text(CURRENT), sqlite_where=text(CURRENT)),
    )
    id: uuid.UUID = id_field()
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id", index=True)
    voter_id: uuid.UUID = Field(foreign_key="ballot_voter.id", index=True)
    cast_by: uuid.UUID = Field(foreign_key="app_user.id", index=True)  # the casts a user made (their data)
    channel: CastChannel = enum_field(CastChannel)
    receipt: str = Field(max_length=32, unique=True)
    evidence: Evidence | None = enum_field(Evidence, default=None, nullable=True)  # proxy casts only
    evidence_file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    is_current: bool = True
    created_at: datetime = created_at_field()


class BallotChoice(SQLModel, table=True):
    __tablename__ = "ballot_choice"
    __table_args__ = (Index("ix_ballot_choice_motion", "ballot_id", "motion_id", "choice"),)
    id: uuid.UUID = id_field()
    cast_id: uuid.UUID = Field(foreign_key="ballot_cast.id", index=True, ondelete="CASCADE")
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id")
    motion_id: uuid.UUID = Field(foreign_key="ballot_motion.id")
    choice: Choice = enum_field(Choice)
    area_centi: int  # the voter's area, so that a result is one grouped sum


class BallotResult(SQLModel, table=True):
    __tablename__ = "ballot_result"
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id", primary_key=True)
    content: dict[str, Any] = Field(sa_type=JSON)  # the BallotResultsPublic document
    computed_at: datetime = created_at_field()


class DeliveryChannel(StrEnum):
    wechat = "wechat"  # the subscribe message was delivered (WeChat said so)
    inbox = "inbox"  # the in-app message was read
    handed = "handed"  # a grid worker handed the paper notice to the household
    posted = "posted"  # ... or posted it at the door or entrance, with a photo


class NoticeDelivery(SQLModel, table=True):
    """A grid worker's record that the announcement reached a household on paper."""

    __tablename__ = "ballot_notice_delivery"
    id: uuid.UUID = id_field()
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id", index=True)
    unit_id: uuid.UUID = Field(foreign_key="property_unit.id")
    channel: DeliveryChannel = enum_field(DeliveryChannel)
    file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    recorded_by: uuid.UUID = Field(foreign_key="app_user.id")
    recorded_at: datetime = created_at_field()


class CorrectionKind(StrEnum):
    area_wrong = "area_wrong"  # 面积有误
    not_registered = "not_registered"  # 漏登: an owner missing from the record
    transferred = "transferred"  # 已转让: the unit has changed hands


class ElectorateCorrection(SQLModel, table=True):
    """A request to correct the electorate while the ballot is announced (更正申请), and its answer."""

    __tablename__ = "ballot_correction"
    id: uuid.UUID = id_field()
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id", index=True)
    unit_id: uuid.UUID = Field(foreign_key="property_unit.id")
    kind: CorrectionKind = enum_field(CorrectionKind)
    note: str = Field(max_length=1000)
    file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    filed_by: uuid.UUID = Field(foreign_key="app_user.id", index=True)  # what a user filed (their data)
    filed_at: datetime = created_at_field()
    accepted: bool | None = None
    reply: str | None = Field(default=None, max_length=1000)
    answered_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    answered_at: datetime | None = dt_field()


class ObjectionKind(StrEnum):
    vote_missing = "vote_missing"  # my vote is missing
    counted_wrong = "counted_wrong"  # my vote or an area was counted wrong
    ineligible_voter = "ineligible_voter"  # someone voted who has no vote


class Objection(SQLModel, table=True):
    """An objection to the preliminary result (异议), and its answer."""

    __tablename__ = "ballot_objection"
    id: uuid.UUID = id_field()
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id", index=True)
    kind: ObjectionKind = enum_field(ObjectionKind)
    note: str = Field(max_length=1000)
    file_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    filed_by: uuid.UUID = Field(foreign_key="app_user.id", index=True)  # what a user filed (their data)
    filed_at: datetime = created_at_field()
    reply: str | None = Field(default=None, max_length=1000)
    answered_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    answered_at: datetime | None = dt_field()


class Recount(SQLModel, table=True):
    """A count again from the stored votes, compared with the stored result."""

    __tablename__ = "ballot_recount"
    id: uuid.UUID = id_field()
    ballot_id: uuid.UUID = Field(foreign_key="ballot.id", index=True)
    matches: bool
    differences: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    counted_by: uuid.UUID = Field(foreign_key="app_user.id")
    counted_at: datetime = created_at_field()
