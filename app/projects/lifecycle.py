"""The project lifecycle (DESIGN.md §4) as a pure state machine with named guards.

The table of edges is the whole truth about which moves exist. Whether a move is allowed *now* also
depends on guards: named conditions that a domain registers for some edges (``items_selected`` from the
projects domain, later ``plan_notice_period_ended`` from plans, ``rectifications_closed`` from
supervision, ...). This module only stores the guards' check callables and never imports a domain, so
domains can depend on the lifecycle and not the other way round.

It imports nothing from the database or FastAPI: states are the string values of
``app.projects.models.ProjectStatus`` (a ``StrEnum``, so its members are these strings), and a test
keeps the two in step.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# In DESIGN.md §4 order.
STATES: tuple[str, ...] = (
    "surveying",  # 摸底/征集意见
    "designing",  # 方案设计
    "publicizing",  # 公示
    "voting",  # 居民表决
    "approved",
    "rejected",
    "constructing",  # 施工
    "accepting",  # 竣工验收
    "accepted",
    "maintaining",  # 长效管理
)
INITIAL = "surveying"

EDGES: frozenset[tuple[str, str]] = frozenset({
    ("surveying", "designing"),
    ("designing", "publicizing"),
    ("publicizing", "voting"),
    ("voting", "approved"),
    ("voting", "rejected"),
    ("rejected", "designing"),  # the plan is revised and put to residents again
    ("approved", "constructing"),
    ("constructing", "accepting"),
    ("accepting", "constructing"),  # a rejected acceptance sends the work back to rectification
    ("accepting", "accepted"),
    ("accepted", "maintaining"),
})

# A guard's check is called as ``await check(session, project)``; it is typed loosely here because
# this module must not know what a session or a project is.
GuardCheck = Callable[[Any, Any], Awaitable[bool]]


@dataclass(frozen=True)
class Guard:
    """A named condition on one or more edges; the messages tell a user what is still missing."""

    name: str
    edges: frozenset[tuple[str, str]]
    message_zh: str
    message_en: str
    check: GuardCheck = field(compare=False, repr=False)

    def message(self, english: bool) -> str:
        return self.message_en if english else self.message_zh


@dataclass(frozen=True)
class Decision:
    """``edge_exists`` is False for a move the table does not have; then no guard was consulted."""

    allowed: bool
    edge_exists: bool
    unmet: list[Guard]


def is_edge(current: str, target: str) -> bool:
    return (current, target) in EDGES


def targets(current: str) -> list[str]:
    """The states reachable in one move from ``current``, in lifecycle order."""
    return [s for s in STATES if (current, s) in EDGES]


class GuardRegistry:
    """Guards by name. Registration refuses edges outside the table, so a typo cannot silently never fire."""

    def __init__(self) -> None:
        self._guards: dict[str, Guard] = {}

    def register(self, guard: Guard) -> Guard:
        if not guard.edges:
            raise ValueError(f"guard {guard.name!r} names no edge")
        unknown = guard.edges - EDGES
        if unknown:
            raise ValueError(f"guard {guard.name!r} names edges outside the lifecycle: {sorted(unknown)}")
        existing = self._guards.get(guard.name)
        if existing is not None and (existing != guard or existing.check is not guard.check):
            raise ValueError(f"another guard is already registered as {guard.name!r}")
        self._guards[guard.name] = guard
        return guard

    def unregister(self, name: str) -> None:
        self._guards.pop(name, None)

    def __iter__(self):
        return iter(self._guards.values())

    def for_edge(self, current: str, target: str) -> list[Guard]:
        """Guards on the edge, in name order so that error details are stable."""
        return sorted((g for g in self._guards.values() if (current, target) in g.edges), key=lambda g: g.name)

    def decide(self, current: str, target: str, results: Mapping[str, bool]) -> Decision:
        """Allowed only along an edge of the table and with every guard of that edge met.

        A guard missing from ``results`` counts as unmet: forgetting to evaluate one must refuse, not allow.
        """
        if not is_edge(current, target):
            return Decision(allowed=False, edge_exists=False, unmet=[])
        unmet = [g for g in self.for_edge(current, target) if results.get(g.name) is not True]
        return Decision(allowed=not unmet, edge_exists=True, unmet=unmet)


registry = GuardRegistry()


def register_guard(
    name: str, edges: Iterable[tuple[str, str]], message_zh: str, message_en: str, check: GuardCheck
) -> Guard:
    """Register a guard with the application's registry (done once, at import of the owning module)."""
    return registry.register(Guard(name, frozenset((str(a), str(b)) for a, b in edges), message_zh, message_en, check))


def decide(current: str, target: str, results: Mapping[str, bool]) -> Decision:
    return registry.decide(current, target, results)
