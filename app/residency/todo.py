"""What waits for a user (``GET /me/tasks``): each participation domain declares the list it adds.

The residency domain cannot import the domains above it, so they declare a ``TaskSource`` in their
manifests, which the composition root installs here: ``source(session, principal)`` answers the items
of one of ``TasksPublic``'s lists (``questionnaires``, ``plans``, ``ballots``, ``signatures``,
``rectifications``).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal

KINDS = ("questionnaires", "plans", "ballots", "signatures", "rectifications")


@dataclass(frozen=True)
class TaskSource:
    kind: str
    source: Callable[[AsyncSession, Principal], Awaitable[list[dict]]]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown task kind {self.kind!r}")


_SOURCES: dict[str, TaskSource] = {}


def install(source: TaskSource) -> None:
    if (existing := _SOURCES.get(source.kind)) is not None and existing != source:
        raise ValueError(f"another source is already installed for {source.kind!r}")
    _SOURCES[source.kind] = source


async def collect(session: AsyncSession, principal: Principal) -> dict[str, list[dict]]:
    return {kind: await s.source(session, principal) for kind, s in _SOURCES.items()}
