"""Request and response models of voting."""

import uuid
from datetime import datetime
from fractions import Fraction

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from app.auth.reads import ActorPublic
from app.voting.models import BallotStatus, CastChannel, Evidence, ResultsVisibility
from app.voting.rules import Choice, Outcome, Rule, Threshold, Thresholds


class ThresholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    numerator: int = Field(ge=0, le=1000)
    denominator: int = Field(ge=1, le=1000)
    strict: bool = Field(default=False, description="true: more than (过半数); false: at least (以上)")

    @model_validator(mode="after")
    def _at_most_one(self) -> "ThresholdIn":
        if self.numerator > self.denominator:
            raise ValueError("a threshold is at most 1")
        return self

    def threshold(self) -> Threshold:
        return Threshold(Fraction(self.numerator, self.denominator), self.strict)


class CustomRuleIn(BaseModel):
    """The thresholds of a custom rule; one left out is not measured."""

    model_config = ConfigDict(extra="forbid")
    participation_area: ThresholdIn | None = None
    participation_headcount: ThresholdIn | None = None
    approval_area: ThresholdIn | None = None
    approval_headcount: ThresholdIn | None = None

    def thresholds(self) -> Thresholds:
        return Thresholds(**{name: t.threshold() if t else None for name, t in (
            ("participation_area", self.participation_area), ("participation_headcount", self.participation_headcount),
            ("approval_area", self.approval_area), ("approval_headcount", self.approval_headcount))})


class ScopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    building_ids: list[uuid.UUID] = Field(default=[], max_length=500)
    entrance_ids: list[uuid.UUID] = Field(default=[], max_length=2000)


class MotionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    item_code: str | None = Field(default=None, max_length=60)
    plan_id: uuid.UUID | None = None


class BallotCreate(BaseModel):
    """A draft ballot. ``scope`` empty: the whole estate; buildings, or entrances (an elevator is decided
    by its entrance)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    scope: ScopeIn = ScopeIn()
    rule: Rule
    custom_rule: CustomRuleIn | None = None
    motions: list[MotionIn] = Field(min_length=1, max_length=50)
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    allow_change: bool = False
    results_visibility: ResultsVisibility = ResultsVisibility.after_close
    decides_project: bool = Field(default=False, description="closing it moves the project from voting to "
                                  "approved (every motion passed) or rejected")


class MotionPublic(BaseModel):
    id: uuid.UUID
    position: int
    title: str
    item_code: str | None
    plan_id: uuid.UUID | None


class BallotPublic(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    estate_id: uuid.UUID
    title: str
    description: str | None
    rule: Rule
    custom_rule: dict | None
    building_ids: list[uuid.UUID]
    entrance_ids: list[uuid.UUID]
    motions: list[MotionPublic]
    opens_at: datetime
    closes_at: datetime
    allow_change: bool
    results_visibility: ResultsVisibility
    decides_project: bool
    status: BallotStatus
    opened_at: datetime | None
    closed_at: datetime | None
    total_area: str = Field(description="m², two decimals; frozen when the ballot opens")
    total_headcount: int
    created_by: ActorPublic | None
    created_at: datetime


class ChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    motion_id: uuid.UUID
    choice: Choice


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    choices: list[ChoiceIn] = Field(min_length=1, max_length=50)
    voter_id: uuid.UUID | None = Field(default=None, description="only when the caller casts for several voters")


class ProxyVoteIn(BaseModel):
    """A vote entered for its owners: a paper ballot (书面表决) collected door to door, or an organisation's
    (or an absent owner's) written authorisation, with a photo or scan of it."""

    model_config = ConfigDict(extra="forbid")
    voter_id: uuid.UUID = Field(description="from the non-voters list (or the electorate)")
    choices: list[ChoiceIn] = Field(min_length=1, max_length=50)
    evidence: Evidence = Evidence.paper_ballot
    evidence_file_ids: list[uuid.UUID] = Field(min_length=1, max_length=10,
                                               description="the caller's uploads: the signed form or the letter")


class VotePublic(BaseModel):
    ballot_id: uuid.UUID
    voter_id: uuid.UUID
    receipt: str = Field(description="find it in the published receipts after close; it reveals nothing of the voter")
    channel: CastChannel
    evidence: Evidence | None = None
    choices: list[ChoiceIn]
    cast_at: datetime


class Weight(BaseModel):
    area: str
    headcount: int


class TurnoutPublic(BaseModel):
    ballot_id: uuid.UUID
    status: BallotStatus
    total: Weight
    participating: Weight
    area_percent: str
    headcount_percent: str


class RatioPublic(BaseModel):
    numerator: int = Field(description="in 0.01 m² for areas")
    denominator: int
    percent: str = Field(description="two decimals, for display; the decision uses the exact fraction")


class ThresholdPublic(BaseModel):
    fraction: str
    strict: bool


class MotionResult(BaseModel):
    motion_id: uuid.UUID
    title: str
    total: Weight
    participating: Weight
    approve: Weight
    oppose: Weight
    abstain: Weight
    ratios: dict[str, RatioPublic]
    thresholds: dict[str, ThresholdPublic | None]
    quorum_met: bool
    outcome: Outcome


class BuildingMotion(BaseModel):
    motion_id: uuid.UUID
    approve: Weight
    oppose: Weight
    abstain: Weight


class BuildingResult(BaseModel):
    """One building's share: a voter counts once in each building where it has units, with its area there
    (so the buildings' headcounts may add up to more than the ballot's). The decision is the ballot's."""

    building_id: uuid.UUID
    building_name: str
    total: Weight
    participating: Weight
    motions: list[BuildingMotion]


class ResultsPublic(BaseModel):
    ballot_id: uuid.UUID
    status: BallotStatus
    rule: Rule
    final: bool = Field(description="the ballot is closed: these are the results")
    motions: list[MotionResult]
    buildings: list[BuildingResult] = Field(description="per building, in name order")


class VoterPublic(BaseModel):
    id: uuid.UUID
    owners: list[str]
    units: list[str]
    area: str
    headcount: int = 1


class ReceiptsPublic(BaseModel):
    """The receipt codes of the votes that counted, in code order: every voter can find theirs."""

    ballot_id: uuid.UUID
    receipts: list[str]


class NonVoter(BaseModel):
    unit_id: uuid.UUID
    voter_id: uuid.UUID = Field(description="the vote to enter for this unit's owners (proxy votes)")
    building_name: str
    entrance_name: str
    room_number: str
    label: str
