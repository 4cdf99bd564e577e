"""Expectation tables for the permission matrices: per caller variant, a status or, for lists, whether
the target shows up ("seen"/"hidden")."""

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

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


async def mismatches(db, world, variants, table, call) -> list[tuple[str, object, int, str]]:
    """Each variant's response to ``await call(headers)`` against the expected status (or (status, code));
    the variants that got something else."""
    wrong = []
    for variant in variants:
        async with undone(db):
            response = await call(await world.headers_for(db, variant))
        expected = table[variant]
        status, code = expected if isinstance(expected, tuple) else (expected, None)
        got_code = response.json()["error"]["code"] if response.status_code >= 400 else None
        if status >= 400 and code is None:
            code = {403: "forbidden", 404: "not_found"}[status]
        if response.status_code != status or got_code != code:
            wrong.append((variant, expected, response.status_code, response.text[:200]))
    return wrong
