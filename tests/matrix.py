"""Expectation tables for the permission matrices: per caller variant, a status or, for lists, whether
the target shows up ("seen"/"hidden")."""

from collections.abc import Iterable

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
