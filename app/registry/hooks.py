"""How other domains hook into the registry: told when a correction takes people off a unit's record, and
registering who else may read an estate.

A correction (``PATCH /units/{id}`` with occupants) may take a person off a unit's record. Auth holds
bindings that name that person; it registers here (``on_persons_removed``) and puts them back to be
checked again, so that no binding silently follows a unit to a new owner. Handlers run in the
correction's transaction, in registration order.
"""

import uuid
from collections.abc import Awaitable, Callable, Collection

from sqlalchemy import Select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal

# ``await handler(session, unit_id, removed_person_ids, actor_id)``
PersonsRemoved = Callable[[AsyncSession, uuid.UUID, Collection[uuid.UUID], uuid.UUID | None], Awaitable[None]]

_handlers: list[PersonsRemoved] = []


def on_persons_removed(handler: PersonsRemoved) -> None:
    if handler not in _handlers:
        _handlers.append(handler)


async def persons_removed(
    session: AsyncSession, unit_id: uuid.UUID, person_ids: Collection[uuid.UUID], actor_id: uuid.UUID | None
) -> None:
    if person_ids:
        for handler in list(_handlers):
            await handler(session, unit_id, person_ids, actor_id)


# Who else reads an estate and its buildings (not its people): ``fn(principal)`` answers a subquery of
# estate ids. Projects register their supervisors (the estate of the project they supervise).
EstateReaders = Callable[[Principal], Select]

_estate_readers: list[EstateReaders] = []


def register_estate_readers(fn: EstateReaders) -> None:
    if fn not in _estate_readers:
        _estate_readers.append(fn)


def estate_readers() -> list[EstateReaders]:
    return list(_estate_readers)
