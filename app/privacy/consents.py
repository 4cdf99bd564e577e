"""Consents to the privacy notice (PIPL arts. 13-14: consent informed, specific and given freely; art. 29:
sensitive information such as 行踪轨迹 needs a separate consent).

A consent is recorded per purpose and notice version. What needs one (binding a unit or a phone; a
supervisor's inspection with a position) calls ``require``: without an acceptance of the current version it
answers 428 ``consent_required`` naming the version to accept - a new version is asked for again, never
passed silently.
"""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import String, bindparam, exists
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import audit, clock
from app.privacy import notice
from app.privacy.errors import CONSENT_REQUIRED, CONSENT_VERSION_UNKNOWN
from app.privacy.models import Consent, Purpose

__all__ = ["Purpose", "accept", "accepted", "accepted_columns", "missing", "of_user", "require"]


async def accepted(session: AsyncSession, user_id: uuid.UUID, version: str | None = None) -> set[Purpose]:
    """The purposes the user accepted ``version`` (the current one by default) for."""
    version = version or notice.current().version
    rows = await session.exec(select(Consent.purpose).where(Consent.user_id == user_id,
                                                             Consent.notice_version == version))
    return {Purpose(p) for p in rows.all()}


def accepted_columns(user_id: Any, purposes: Sequence[Purpose]) -> list[ColumnElement[bool]]:
    """For each of ``purposes``, whether the user accepted the current notice for it, as columns to read in
    another statement about the same user (``/me`` reads them beside the user's bindings). ``user_id`` may
    be a bound parameter (a statement built once); the notice's version is bound when the statement runs."""
    version = bindparam("consent_notice_version", type_=String, callable_=lambda: notice.current().version)
    return [exists().where(col(Consent.user_id) == user_id, col(Consent.notice_version) == version,
                          col(Consent.purpose) == p).label(f"consent_{p.value}") for p in purposes]


async def missing(session: AsyncSession, user_id: uuid.UUID, purposes: Iterable[Purpose]) -> list[Purpose]:
    """Of ``purposes``, those the user has not accepted the current notice for."""
    have = await accepted(session, user_id)
    return [p for p in purposes if p not in have]


async def require(session: AsyncSession, user_id: uuid.UUID, purpose: Purpose) -> None:
    """428 ``consent_required`` unless the user accepted the current notice for ``purpose``."""
    if await missing(session, user_id, [purpose]):
        raise CONSENT_REQUIRED(details={"purpose": purpose.value, "notice_version": notice.current().version})


async def accept(session: AsyncSession, user_id: uuid.UUID, version: str, purposes: Iterable[Purpose]) -> list[Consent]:
    """Record the user's acceptance of ``version`` for each purpose (again: nothing changes). Only the
    current version can be accepted: a client showing an older text is told which one to show."""
    current = notice.current().version
    if version != current:
        raise CONSENT_VERSION_UNKNOWN(details={"notice_version": current})
    have = await accepted(session, user_id, version)
    now = clock.now()
    for purpose in sorted(set(purposes) - have):
        session.add(Consent(user_id=user_id, purpose=purpose, notice_version=version, accepted_at=now))
        await session.flush()
        await audit.record(session, actor_id=user_id, action="privacy.consent", entity_type="user",
                           entity_id=user_id, after={"purpose": purpose.value, "notice_version": version})
    return await of_user(session, user_id)


async def of_user(session: AsyncSession, user_id: uuid.UUID) -> list[Consent]:
    """Every consent the user gave, oldest first."""
    rows = await session.exec(select(Consent).where(Consent.user_id == user_id)
                              .order_by(col(Consent.accepted_at), col(Consent.purpose)))
    return list(rows.all())
