"""The privacy notice, open to everyone (API.md: Personal information). The caller's own routes (consents,
their data, who looked, corrections, closing the account) are the resident's, in app.residency."""

from fastapi import APIRouter

from app.core.errors import responses
from app.privacy import notice
from app.privacy.schemas import NoticePublic, PurposePublic

router = APIRouter(tags=["privacy"])


@router.get("/privacy", response_model=NoticePublic, responses=responses())
async def get_privacy_notice() -> NoticePublic:
    """The operator's privacy notice in force (个人信息保护告知) and its version: what a user accepts, per
    purpose, with ``POST /me/consents`` before binding a unit or a phone (and a supervisor before an
    inspection records their position)."""
    current = notice.current()
    return NoticePublic(version=current.version, text=current.text,
                        purposes=[PurposePublic(purpose=p, description=d) for p, d in current.purposes.items()])
