"""Request and response models of the residents' routes: /me, unit bindings, invitation codes, tasks."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.auth.residence import Assurance, BindingRelation
from app.auth.schemas import RoleScopePublic
from app.core.i18n import define_validation, invalid
from app.core.jsontypes import Json
from app.core.phones import MobilePhone
from app.privacy.consents import Purpose
from app.residency.models import BindingMethod, BindingStatus, CorrectionStatus, IdentityDocument
from app.residency.todo import BallotTask, PlanTask, QuestionnaireTask, RectificationTask, SignatureTask


class MyBindingPublic(BaseModel):
    id: uuid.UUID
    unit_id: uuid.UUID
    unit_label: str
    estate_id: uuid.UUID
    estate_name: str
    relation: BindingRelation
    status: BindingStatus
    method: BindingMethod
    assurance: Assurance | None = Field(default=None, description="how the person was verified, once approved")
    reject_reason: str | None = None
    created_at: datetime


class MePublic(BaseModel):
    id: uuid.UUID
    display_name: str
    phone: str | None = Field(description="in full: it is the caller's own")
    has_password: bool
    roles: list[RoleScopePublic]
    bindings: list[MyBindingPublic]
    consents_needed: list[Purpose] = Field(description="purposes of the privacy notice in force (GET /privacy) the "
                                                       "caller is still to accept: service before binding a unit "
                                                       "or a phone, location (supervisors) before an inspection")


# ---- unit bindings ----------------------------------------------------------------------------------


class UnitBindingCreate(BaseModel):
    """Either ``unit_id`` (a request, or an instant match by phone) or ``invite_code``, not both."""

    unit_id: uuid.UUID | None = None
    relation: BindingRelation | None = None
    note: str | None = Field(default=None, max_length=200)
    invite_code: str | None = Field(default=None, min_length=1, max_length=16)


class BindingDecisionApprove(BaseModel):
    """The person on the unit's record the applicant is; may be omitted when the request names one. The
    decider checked the person in person: the document seen, and optionally its photo (the caller's upload,
    seen only by those who decide the unit's bindings)."""

    person_id: uuid.UUID | None = None
    document: IdentityDocument | None = None
    document_file_id: uuid.UUID | None = None


class IdentityCheckIn(BaseModel):
    """An in-person check of a bound person's document by a grid worker or staff member."""

    model_config = ConfigDict(extra="forbid")
    document: IdentityDocument
    file_id: uuid.UUID | None = Field(default=None, description="the caller's photo of the document")


class RealNameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=512, description="what the real-name check in the mini-program "
                       "answered (the fake: pass:<name>, fail, timeout)")


class BindingDecisionReject(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class Applicant(BaseModel):
    id: uuid.UUID
    display_name: str = Field(description="the WeChat nickname")
    phone: str | None = Field(description="WeChat-verified phone, all but its last four digits masked")


class OnRecord(BaseModel):
    """A person on the unit's record, to compare the applicant with."""

    person_id: uuid.UUID
    name: str
    relation: str
    phone_last4: str | None


class UnitBindingPublic(MyBindingPublic):
    """A binding as its decider sees it: with the applicant."""

    applicant: Applicant
    person_id: uuid.UUID | None = Field(default=None, description="the person on the unit's record it names")
    on_record: list[OnRecord] = Field(default_factory=list, description="the unit's people on record")
    note: str | None = None
    decided_at: datetime | None = None


class InviteCodeCreate(BaseModel):
    """A code for one person on the unit's record: ``person_id``, or else the unit's only person in
    ``relation`` (422 ``binding_person_required`` when there is none or several)."""

    person_id: uuid.UUID | None = None
    relation: BindingRelation = BindingRelation.owner
    valid_days: int = Field(default=30, ge=1, le=365)


class FamilyInvitationCreate(BaseModel):
    """An owner invites family to their unit: a co-owner or tenant already on the record (``person_id``),
    or a new tenant by name (put on the record as the owner's tenant). A tenant never gets owner's rights."""

    relation: Literal["co_owner", "tenant"]
    person_id: uuid.UUID | None = None
    name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: MobilePhone | None = None
    valid_days: int = Field(default=7, ge=1, le=30)


class InviteCodePublic(BaseModel):
    code: str
    unit_id: uuid.UUID
    person_id: uuid.UUID
    relation: BindingRelation
    expires_at: datetime


class TasksPublic(BaseModel):
    """What waits for the caller, one list per kind of task, each bounded by what the caller's units,
    roles and projects hold (binding requests: at most ``TASK_LIST_LIMIT``, the full list is paged at
    ``GET /unit-bindings``)."""

    questionnaires: list[QuestionnaireTask] = []
    plans: list[PlanTask] = []
    ballots: list[BallotTask] = []
    signatures: list[SignatureTask] = []
    rectifications: list[RectificationTask] = []
    unit_bindings: list[UnitBindingPublic] = Field(default=[], max_length=100)




# ---- personal information (docs/personal-information.md) --------------------------------------------------------------


class MyData(BaseModel):
    """Everything the service holds about the caller, by section (each domain adds its own)."""

    generated_at: datetime
    notice_version: str = Field(description="the privacy notice in force")
    sections: dict[str, Json] = Field(description="account, privacy, files, bindings, answers, opinions, votes, "
                                                 "complaints, notifications...: the caller's own rows")


define_validation("correction_empty", "请填写更正后的姓名或手机号", "Give the name or the phone as it should read")


class CorrectionRequestCreate(BaseModel):
    """The caller's own entry on a unit's record, as it should read: a name, a phone, or both."""

    unit_id: uuid.UUID
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    phone: MobilePhone | None = None
    note: str = Field(default="", max_length=500, description="why, for the staff who answer")

    @model_validator(mode="after")
    def _something(self) -> "CorrectionRequestCreate":
        if self.name is None and self.phone is None:
            raise invalid("correction_empty")
        return self


class RecordCorrectionAnswer(BaseModel):
    reply: str | None = Field(default=None, max_length=500)


class RecordCorrectionRejection(BaseModel):
    reply: str = Field(min_length=1, max_length=500, description="why, told to the resident")


class CorrectionRequestPublic(BaseModel):
    id: uuid.UUID
    unit_id: uuid.UUID
    unit_label: str
    person_id: uuid.UUID
    name: str | None = Field(description="the name as it should read; null: unchanged")
    phone: str | None = Field(description="the phone as it should read; null: unchanged")
    note: str
    status: CorrectionStatus
    reply: str | None
    answered_at: datetime | None
    created_at: datetime


class CorrectionRequestStaff(CorrectionRequestPublic):
    """As staff answering it see it: with the entry as the record has it now."""

    user_id: uuid.UUID
    name_on_record: str
    phone_on_record: str | None
