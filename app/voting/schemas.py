"""Request and response models of voting."""

import uuid
from datetime import datetime
from fractions import Fraction
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from app.auth.reads import ActorPublic
from app.auth.residence import Assurance
from app.registry.corrections import UnitUpdate
from app.voting.models import (
    BallotStatus,
    CastChannel,
    CorrectionKind,
    DeliveryChannel,
    Evidence,
    ObjectionKind,
    ResultsVisibility,
)
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
    decides_project: bool = Field(default=False, description="its final result moves the project from voting to "
                                  "approved (every motion passed) or rejected; announced and opened only in the "
                                  "voting stage, on the plan version then published")
    notice_days: int | None = Field(default=None, ge=0, le=90, description="days between the announcement and "
                                    "opens_at; default and least 15 under the Civil Code rules (物业管理条例 art. 14)")
    objection_days: int = Field(default=7, ge=1, le=90, description="after the close, before the result is final")
    min_assurance: Assurance | None = Field(default=None, description="the least identity assurance of an online "
                                            "vote; default phone_match under the Civil Code rules, invite_code "
                                            "otherwise. Paper votes through a grid worker are always open")


class AnnounceIn(BaseModel):
    """Announce the draft (表决公告); its times may be set anew here (the notice must fit before opens_at)."""

    model_config = ConfigDict(extra="forbid")
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


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
    custom_rule: CustomRuleIn | None
    building_ids: list[uuid.UUID]
    entrance_ids: list[uuid.UUID]
    motions: list[MotionPublic]
    opens_at: datetime
    closes_at: datetime
    allow_change: bool
    results_visibility: ResultsVisibility
    decides_project: bool
    notice_days: int
    objection_days: int
    min_assurance: Assurance
    plan_version_id: uuid.UUID | None = Field(description="the plan version published when it was announced "
                                              "(a deciding ballot, or one with a plan motion)")
    status: BallotStatus
    announced_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    objections_until: datetime | None = Field(description="once closed: the end of the objection window")
    finalized_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
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


class BallotBuildingResult(BaseModel):
    """One building's share: a voter counts once in each building where it has units, with its area there
    (so the buildings' headcounts may add up to more than the ballot's). The decision is the ballot's."""

    building_id: uuid.UUID
    building_name: str
    total: Weight
    participating: Weight
    motions: list[BuildingMotion]


class BallotResultsPublic(BaseModel):
    ballot_id: uuid.UUID
    status: BallotStatus
    rule: Rule
    final: bool = Field(description="true once the objection window has passed and every objection is answered; "
                        "until then a closed ballot's results are preliminary (初步结果)")
    motions: list[MotionResult]
    buildings: list[BallotBuildingResult] = Field(description="per building, in name order")


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


# ---- the procedure ----------------------------------------------------------------------------------


class DeliveryIn(BaseModel):
    """A grid worker's record that the announcement reached a household on paper."""

    model_config = ConfigDict(extra="forbid")
    unit_id: uuid.UUID
    channel: Literal["handed", "posted"]
    file_ids: list[uuid.UUID] = Field(default=[], max_length=5, description="the caller's photos; at least one "
                                      "when posted")


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    unit_id: uuid.UUID
    channel: DeliveryChannel
    recorded_at: datetime


class Household(BaseModel):
    unit_id: uuid.UUID
    label: str
    building_name: str
    entrance_name: str
    room_number: str


class CoveragePublic(BaseModel):
    """How far the announcement has reached: households (units in scope) reached by any channel."""

    ballot_id: uuid.UUID
    households: int
    reached: int
    percent: str
    by_channel: dict[DeliveryChannel, int] = Field(description="households reached by each channel (one household "
                                                   "may count under several)")
    unreached: list[Household] | None = Field(default=None, description="with ?grid_id=: the grid's households "
                                              "not reached yet, in building and room order")


class PreviewUnit(BaseModel):
    unit_id: uuid.UUID
    label: str
    area: str
    owners_on_record: int
    owners: list[str] = Field(description="names masked")


class ElectoratePreview(BaseModel):
    """The electorate as it would be frozen now, for owners to check before it opens (bounded by the
    ballot's scope, one row per unit)."""

    ballot_id: uuid.UUID
    voters: int
    total_area: str
    units: list[PreviewUnit]


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_id: uuid.UUID
    kind: CorrectionKind
    note: str = Field(min_length=1, max_length=1000)
    file_ids: list[uuid.UUID] = Field(default=[], max_length=5, description="the caller's uploads: a certificate, "
                                      "a contract")


class CorrectionAnswer(BaseModel):
    """``accepted`` with the unit's corrected record (area and/or its people), applied to the registry as a
    correction of the unit is; or not accepted, with the reply saying why."""

    model_config = ConfigDict(extra="forbid")
    accepted: bool
    reply: str = Field(min_length=1, max_length=1000)
    unit: UnitUpdate | None = Field(default=None, description="with accepted: what the unit's record becomes")


class CorrectionPublic(BaseModel):
    id: uuid.UUID
    ballot_id: uuid.UUID
    unit_id: uuid.UUID
    unit_label: str
    kind: CorrectionKind
    note: str
    file_ids: list[uuid.UUID]
    filed_at: datetime
    accepted: bool | None
    reply: str | None
    answered_at: datetime | None


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ObjectionKind
    note: str = Field(min_length=1, max_length=1000)
    file_ids: list[uuid.UUID] = Field(default=[], max_length=5)


class ObjectionAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reply: str = Field(min_length=1, max_length=1000)


class ObjectionPublic(BaseModel):
    id: uuid.UUID
    ballot_id: uuid.UUID
    kind: ObjectionKind
    note: str
    file_ids: list[uuid.UUID]
    filed_at: datetime
    reply: str | None
    answered_at: datetime | None


class Difference(BaseModel):
    motion_id: uuid.UUID | None
    figure: str = Field(description="e.g. approve.headcount, outcome")
    stored: str
    recounted: str


class RecountPublic(BaseModel):
    ballot_id: uuid.UUID
    matches: bool
    differences: list[Difference]
    counted_at: datetime


class HouseholdVote(BaseModel):
    unit_id: uuid.UUID
    label: str
    area: str
    voted: bool = Field(description="whether the unit's vote was cast (never how)")


class HouseholdsPublic(BaseModel):
    """Per unit of the frozen electorate: voted or not (PIPL art. 25: never the choice), in building and room
    order; bounded by the ballot's scope."""

    ballot_id: uuid.UUID
    items: list[HouseholdVote]
