"""What each domain holds about a person, as one extension point (docs/personal-information.md, PIPL arts. 45-47).

A domain declares a ``PersonalData`` in its manifest: the section it adds to ``GET /me/data`` and, when it
holds something an account closure (注销) must release, what to do then. The composition root installs
them here in layer order; ``/me/data`` and ``/me/deletion`` (app.residency) run them all, so no domain's
tables are read from outside it.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True)
class Subject:
    """Whose data: an account, and the persons on units' records it is bound as (approved bindings)."""

    user_id: uuid.UUID
    person_ids: frozenset[uuid.UUID]


@dataclass(frozen=True)
class PersonalData:
    """``export(session, subject)`` answers the section's JSON-ready content (rows of the subject's own,
    nothing about anyone else); ``close(session, subject)`` releases what the domain holds when the
    account is closed - deleting it, or keeping it without a link to anyone, as docs/personal-information.md says."""

    section: str
    export: Callable[[AsyncSession, Subject], Awaitable[Any]]
    close: Callable[[AsyncSession, Subject], Awaitable[None]] | None = None


_HOLDERS: dict[str, PersonalData] = {}


def install(holder: PersonalData) -> None:
    if (existing := _HOLDERS.get(holder.section)) is not None and existing != holder:
        raise ValueError(f"another holder already exports {holder.section!r}")
    _HOLDERS[holder.section] = holder


async def export(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    """Every installed section, in layer order."""
    return {name: await holder.export(session, subject) for name, holder in _HOLDERS.items()}


async def close(session: AsyncSession, subject: Subject) -> list[str]:
    """Run every holder's closure, in reverse layer order (the participation domains release their links
    before the account they point to changes); the sections that had one."""
    done = []
    for name, holder in reversed(_HOLDERS.items()):
        if holder.close is not None:
            await holder.close(session, subject)
            done.append(name)
    return done
