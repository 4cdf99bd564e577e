"""The acceptance domain's read API, for the public notice board (docs/public-board.md): a project's latest
acceptance round and its outcome, and a certificate found by the content hash its QR code carries, with
whether its signatures still match the record. Roles and decisions, never who signed: no names, no
handwritten signatures."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.acceptance import documents, service
from app.acceptance.models import Acceptance
from app.acceptance.rules import ROLE_NAMES, Decision, SignatoryRole, Status
from app.acceptance.schemas import AcceptancePublic, ItemPublic, RolePublic
from app.core.jsontypes import JsonObject
from app.files.storage import Storage

__all__ = ["ROLE_NAMES", "Published", "PublishedCheck", "by_hash", "certificate_pdf", "check", "latest", "shown"]


class PublishedSignature(BaseModel):
    role: SignatoryRole
    role_name: str
    decision: Decision
    content_hash: str
    revision: int
    signed_at: datetime
    invalidated_at: datetime | None


class Published(BaseModel):
    """An acceptance round as the public sees it: the record that was signed and each role's decision."""
    id: uuid.UUID
    round: int
    status: Status
    status_name: str
    items: list[ItemPublic]
    roles: list[RolePublic]
    remarks: str
    revision: int
    content: JsonObject = Field(description="what is signed: its RFC 8785 canonical JSON hashes to content_hash")
    content_hash: str
    opened_at: datetime
    decided_at: datetime | None
    signatures: list[PublishedSignature]


class PublishedSignatureCheck(BaseModel):
    role: SignatoryRole
    decision: Decision
    signed_at: datetime
    content_hash: str
    matches: bool = Field(description="the hash signed equals the hash recomputed from the record now")
    invalidated: bool


class PublishedCheck(BaseModel):
    status: Status
    content_hash: str = Field(description="recomputed now from the record")
    stored_hash: str
    record_intact: bool = Field(description="the recomputed hash equals the one kept with the record")
    signatures: list[PublishedSignatureCheck]
    valid: bool = Field(description="the record is intact and every signature in force matches it")


async def _staff_view(session: AsyncSession, a: Acceptance) -> AcceptancePublic:
    return (await service.public(session, [a]))[0]


async def shown(session: AsyncSession, a: Acceptance) -> Published:
    return Published.model_validate((await _staff_view(session, a)).model_dump())


async def latest(session: AsyncSession, project_id: uuid.UUID) -> Published | None:
    a = await service.latest(session, project_id)
    return await shown(session, a) if a else None


async def by_hash(session: AsyncSession, content_hash: str) -> Acceptance | None:
    """The round whose record hashes to ``content_hash`` (what the certificate's QR code carries)."""
    return (await session.exec(select(Acceptance).where(Acceptance.content_hash == content_hash.strip().lower())
                               .order_by(col(Acceptance.round).desc()))).first()


async def check(session: AsyncSession, a: Acceptance) -> PublishedCheck:
    """Whether the record is intact and every signature in force matches it, without who signed."""
    return PublishedCheck.model_validate((await service.verify(session, a)).model_dump())


async def certificate_pdf(session: AsyncSession, storage: Storage, a: Acceptance) -> bytes:
    """The certificate as the board prints it: the checklist, each role's decision and time, the hash and
    its QR code - the signers' names and handwritten signatures stay in the one staff print."""
    staff = await _staff_view(session, a)
    anonymous = staff.model_copy(update={
        "representatives": [], "signatures": [s.model_copy(update={"signer": None, "comment": ""}) for s in staff.signatures]})
    return await documents.certificate(session, storage, anonymous, public=True)
