"""The registry's extension points: who is told when a correction takes people off a unit's record, and
who else may read an estate. Domains above declare their handlers in their manifests; the composition
root installs them here.

A correction (``PATCH /units/{id}`` with occupants) may take a person off a unit's record. The residency
domain holds bindings that name that person; its ``OnPersonsRemoved`` puts them back to be checked
again, so that no binding silently follows a unit to a new owner. Handlers run in the correction's
transaction, in the order installed.
"""

import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from sqlalchemy import Select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal


@dataclass(frozen=True)
class OnPersonsRemoved:
    """``await handler(session, unit_id, removed_person_ids, actor_id)`` after a correction."""

    handler: Callable[[AsyncSession, uuid.UUID, Collection[uuid.UUID], uuid.UUID | None], Awaitable[None]]


@dataclass(frozen=True)
class EstateReaders:
    """Who else reads an estate and its buildings (not its people): ``readers(principal)`` answers a
    subquery of estate ids, or None when the principal is no such reader. Projects declare their supervisors
    (the estate of the project they supervise)."""

    readers: Callable[[Principal], Select | None]


_on_persons_removed: list[OnPersonsRemoved] = []
_estate_readers: list[EstateReaders] = []


def install_persons_removed(handler: OnPersonsRemoved) -> None:
    if handler not in _on_persons_removed:
        _on_persons_removed.append(handler)


def install_estate_readers(readers: EstateReaders) -> None:
    if readers not in _estate_readers:
        _estate_readers.append(readers)


async def persons_removed(
    session: AsyncSession, unit_id: uuid.UUID, person_ids: Collection[uuid.UUID], actor_id: uuid.UUID | None
) -> None:
    if person_ids:
        for hook in list(_on_persons_removed):
            await hook.handler(session, unit_id, person_ids, actor_id)


def estate_readers() -> list[Callable[[Principal], Select | None]]:
    return [r.readers for r in _estate_readers]
