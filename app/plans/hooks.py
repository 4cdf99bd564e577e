"""The plans domain's extension point: who is told when a published plan is revised.

A ballot held on a plan version is void once that version is revised: the voting domain declares an
``OnRevised`` in its manifest and cancels such ballots (docs/ballot-procedure.md), in the revision's transaction.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True)
class OnRevised:
    """``await handler(session, project_id, new_version, actor_id)`` once a new draft version exists."""

    handler: Callable[[AsyncSession, uuid.UUID, int, uuid.UUID], Awaitable[None]]


_handlers: list[OnRevised] = []


def install(handler: OnRevised) -> None:
    if handler not in _handlers:
        _handlers.append(handler)


async def revised(session: AsyncSession, project_id: uuid.UUID, version: int, actor_id: uuid.UUID) -> None:
    for hook in list(_handlers):
        await hook.handler(session, project_id, version, actor_id)
