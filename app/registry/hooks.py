"""What other domains are told when the registry changes who is on a unit's record.

A correction (``PATCH /units/{id}`` with occupants) may take a person off a unit's record. Auth holds
bindings that name that person; it registers here (``on_persons_removed``) and puts them back to be
checked again, so that no binding silently follows a unit to a new owner. Handlers run in the
correction's transaction, in registration order.
"""

import uuid
from collections.abc import Awaitable, Callable, Collection

from sqlmodel.ext.asyncio.session import AsyncSession

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
