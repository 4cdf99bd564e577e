"""The public notice board's documents (docs/public-board.md): what anyone reads without logging in. They carry
no personal data - no name, no phone, no unit's vote, no author - by construction: every field here is
about the estate, its projects and their totals."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.acceptance.reads import Published, PublishedCheck
from app.plans.reads import PlanPublic
from app.surveys.reads import QuestionnaireResultsPublic as SurveyResults
from app.voting.reads import BallotPublic, BallotResultsPublic


class Milestone(BaseModel):
    kind: str
    title: str = Field(description="what happened, in Chinese (进入「方案公示」阶段, 施工进度 ...)")
    note: str | None = Field(description="the note staff wrote with it; any phone number hidden")
    at: datetime


class ProgressReport(BaseModel):
    percent: int
    note: str | None
    photos: list[str] = Field(description="thumbnail addresses of the report's photos")
    at: datetime


class Item(BaseModel):
    code: str
    name: str
    estimated_cost: str = Field(description="yuan, two decimals")
    progress_percent: int
    reports: list[ProgressReport]


class PlanLink(BaseModel):
    id: uuid.UUID
    version: int
    title: str
    status: str
    status_name: str
    url: str


class BallotLink(BaseModel):
    id: uuid.UUID
    title: str
    status: str
    status_name: str
    opens_at: datetime
    closes_at: datetime
    url: str


class AcceptanceSummary(BaseModel):
    round: int
    status_name: str
    decided_at: datetime | None
    certificate_url: str


class Survey(BaseModel):
    title: str
    results: SurveyResults


class Project(BaseModel):
    id: uuid.UUID
    name: str
    year: int | None
    status: str
    stage: str = Field(description="the stage in Chinese")
    timeline: list[Milestone]
    items: list[Item]
    progress_percent: str = Field(description="weighted by each item's estimated cost")
    plans: list[PlanLink]
    ballots: list[BallotLink]
    acceptance: AcceptanceSummary | None
    satisfaction: list[Survey]


class Estate(BaseModel):
    """An estate's page: what its paper notices' QR codes open."""

    code: str
    name: str
    address: str | None
    community: str
    street: str
    district: str
    projects: list[Project]


class Reply(BaseModel):
    item_code: str | None
    content: str = Field(description="the opinion, without who wrote it; any phone number hidden")
    status_name: str
    reply: str | None
    replied_at: datetime | None


class Plan(BaseModel):
    estate_code: str
    estate_name: str
    project_name: str
    plan: PlanPublic
    pdf_url: str
    replies: list[Reply]


class Ballot(BaseModel):
    estate_code: str
    estate_name: str
    project_name: str
    ballot: BallotPublic
    status_name: str
    rule_text: str
    announcement_url: str
    results: BallotResultsPublic | None = Field(description="once closed: preliminary (final false), then final")
    results_url: str | None


class Receipt(BaseModel):
    """A receipt code found: counted in this ballot. Never the choice, never the voter."""

    code: str
    counted: bool
    ballot_id: uuid.UUID
    ballot_title: str
    ballot_status: str
    estate_name: str
    url: str


class Certificate(BaseModel):
    estate_name: str
    project_name: str
    acceptance: Published
    check: PublishedCheck
    pdf_url: str
