"""The privacy notice, consents and the record of who looked, as the API answers them."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from app.privacy.models import Purpose, SubjectKind


class PurposePublic(BaseModel):
    purpose: Purpose
    description: str


class NoticePublic(BaseModel):
    version: str = Field(description="accept this version with POST /me/consents")
    text: str = Field(description="the notice, Markdown")
    purposes: list[PurposePublic]


class ConsentIn(BaseModel):
    notice_version: str = Field(max_length=40, description="the version of the notice shown to the user")
    purposes: list[Purpose] = Field(min_length=1, max_length=len(Purpose))


class ConsentPublic(BaseModel):
    purpose: Purpose
    notice_version: str
    accepted_at: datetime


class DataAccessPublic(BaseModel):
    """A staff member was shown the resident's full phone or name on this day."""

    viewer_id: uuid.UUID
    viewer_name: str = Field(description="the staff member's name")
    subject_kind: SubjectKind = Field(description="person: the resident's entry on a unit's record; user: "
                                                   "their account")
    day: date = Field(description="Asia/Shanghai")
    route: str = Field(description="where it was shown: the API route under /api/v1, with its method "
                                   "(GET /grids/{grid_id}/roster)")
    first_at: datetime
