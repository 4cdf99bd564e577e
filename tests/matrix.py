"""The permission matrices: expectation tables (per caller variant, a status, (status, error code) or, for
lists, whether the target shows up: "seen"/"hidden"), the ``Route`` each domain declares, and the one runner
that calls a route as every variant (``mismatches``) or without credentials (``unauthenticated``)."""

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

API = "/api/v1"

# Every role, inside world A's scope ("in"; "contractor:designer" is staff of A's designer) and outside it.
VARIANTS = [
    "admin",
    "street_staff:in", "street_staff:out",
    "community_staff:in", "community_staff:out",
    "grid_worker:in", "grid_worker:out",
    "committee_member:in", "committee_member:out",
    "resident:in", "resident:out",
    "supervisor:in", "supervisor:out",
    "contractor:in", "contractor:designer", "contractor:out",
]
# Who manages A's project, and who reads it (and so what a participation domain publishes on it).
MANAGE = {"admin", "street_staff:in", "community_staff:in"}
PROJECT_READ = MANAGE | {"grid_worker:in", "committee_member:in", "resident:in", "supervisor:in", "contractor:in",
                         "contractor:designer"}


class Matrix:
    def __init__(self, variants: Iterable[str], manage: set[str], read: set[str]):
        self.variants, self.manage, self.read_set = list(variants), manage, read

    def expect(self, default: object = 404, rules: Iterable[tuple[object, Iterable[str]]] = ()) -> dict[str, object]:
        """Every variant gets ``default`` unless a later rule names it."""
        table = {v: default for v in self.variants}
        for status, members in rules:
            for v in members:
                table[v] = status
        return table

    def read(self, ok: object = 200) -> dict[str, object]:
        return self.expect(rules=[(ok, self.read_set)])

    def write(self, ok: object, allowed: set[str] | None = None, visible: set[str] | None = None) -> dict[str, object]:
        """Allowed callers get ``ok``; those who can see the object but not change it 403; others 404."""
        return self.expect(rules=[(403, visible or self.read_set), (ok, allowed or self.manage)])

    def listed(self, seen: set[str]) -> dict[str, object]:
        return self.expect(default="hidden", rules=[("seen", seen)])


@asynccontextmanager
async def undone(db) -> AsyncIterator[None]:
    """Whatever happens inside (a caller's user, their request's changes) is rolled back at the end, so
    that each caller of a matrix meets the same state without building it again."""
    savepoint = await db.begin_nested()
    try:
        yield
    finally:
        await savepoint.rollback()


# What a variant should get: a status, (status, error code), or for a list whether ``Route.item`` is in it.
Expected = int | tuple[int, str] | Literal["seen", "hidden"]
Ids = Mapping[str, str]
# A request body computed per call from (ids, the caller's headers, the client); it may be async.
BodyFactory = Callable[[Ids, dict[str, str], Any], Any | Awaitable[Any]]
Mismatch = tuple[str, Expected, int, str]  # variant, expected, status got, the body's first 200 characters


@dataclass(frozen=True)
class Route:
    """One route of a matrix. ``path``, ``params`` and the strings of a JSON ``body`` are formatted with the
    ids the domain's setup returns for ``state``; a callable ``body`` is given (ids, headers, client)."""

    method: str
    path: str  # under API, with {placeholders} for the ids
    expected: Mapping[str, Expected]  # per variant, in the order they are called
    body: object | BodyFactory = None  # JSON, or a BodyFactory
    state: object = None  # what the domain's setup builds first
    params: Mapping[str, str] | None = None
    files: Mapping[str, tuple] | None = None  # multipart, sent as is
    item: str | None = None  # for a list: the key of the id "seen" finds among its items


def fill(value, ids: Ids):
    """``value`` with every string in it formatted with ``ids``."""
    if isinstance(value, str):
        return value.format_map(ids)
    if isinstance(value, Mapping):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill(v, ids) for v in value]
    return value


async def call(client, route: Route, ids: Ids, headers: dict[str, str]):
    """One request of ``route`` with ``headers`` (empty: no credentials)."""
    body = route.body(ids, headers, client) if callable(route.body) else fill(route.body, ids)
    if inspect.isawaitable(body):
        body = await body
    return await client.request(route.method, API + route.path.format_map(ids), headers=headers, json=body,
                                params=fill(route.params, ids), files=route.files)


def _error_code(response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def _meets(route: Route, ids: Ids, expected: Expected, response) -> bool:
    if expected in ("seen", "hidden"):
        if response.status_code != 200:
            return False
        listed = {item["id"] for item in response.json()["items"]}
        return (ids[route.item] in listed) == (expected == "seen")
    status, code = expected if isinstance(expected, tuple) else (expected, None)
    if status >= 400 and code is None:
        code = {403: "forbidden", 404: "not_found"}[status]
    got_code = _error_code(response) if response.status_code >= 400 else None
    return response.status_code == status and got_code == code


async def mismatches(client, db, world, route: Route, ids: Ids) -> list[Mismatch]:
    """``route`` called as every variant of its table, each inside ``undone`` (so each meets the state the
    setup built); the variants that got something other than expected."""
    wrong = []
    for variant, expected in route.expected.items():
        async with undone(db):
            response = await call(client, route, ids, await world.headers_for(db, variant))
        if not _meets(route, ids, expected, response):
            wrong.append((variant, expected, response.status_code, response.text[:200]))
    return wrong


async def unauthenticated(client, routes: Mapping[str, Route], ids: Ids) -> list[tuple[str, int, str]]:
    """Every route of ``routes`` called without credentials; those that did not answer 401."""
    wrong = []
    for name, route in routes.items():
        response = await call(client, route, ids, {})
        if response.status_code != 401:
            wrong.append((name, response.status_code, response.text[:200]))
    return wrong
