"""What waits for a user (``GET /me/tasks``): each participation domain registers the list it adds.

The auth domain cannot import the domains above it, so they register here at import: a source is
``async (session, principal) -> list[dict]`` under one of ``TasksPublic``'s list names
(``questionnaires``, ``plans``, ``ballots``, ``signatures``, ``rectifications``).
"""

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal

TaskSource = Callable[[AsyncSession, Principal], Awaitable[list[dict]]]
KINDS = ("questionnaires", "plans", "ballots", "signatures", "rectifications")
_SOURCES: dict[str, TaskSource] = {}


def register_task_source(kind: str, source: TaskSource) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown task kind {kind!r}")
    _SOURCES[kind] = source


async def collect(session: AsyncSession, principal: Principal) -> dict[str, list[dict]]:
    return {kind: await source(session, principal) for kind, source in _SOURCES.items()}
