"""The project lifecycle (docs/lifecycle.md) as a pure state machine with named guards.

The table of edges is the whole truth about which moves exist, and ``REQUIRED_GUARDS`` is the whole
truth about what each move requires: the *names* of the guards that must be met. A domain declares the
check behind a name in its manifest (``items_selected`` from the projects domain, ``ballot_passed`` from
voting, ``rectifications_closed`` from supervision, ...), and the composition root registers it. A
required guard whose check nobody registered counts as unmet, so an edge whose deciding domain is not
installed is closed, never silently open. Registering a name no edge requires is refused: adding a
condition to the lifecycle is a change to this table, visible in one place.

The rule for which edges require guards: a move that asserts something a record must prove - the plan
is published and its notice period over, the residents voted for or against it, a contractor is
appointed, the work is complete and every rectification closed, the signatories signed - requires the
guard that checks that record, because without it staff could skip the decision itself. A move that is
the staff's own judgement requires nothing: the survey is done (surveying -> designing; questionnaires
inform the design but do not decide it), the rejected plan goes back to design (rejected -> designing),
after-care begins (accepted -> maintaining).

What happens *when* a state is entered lives here too, as **reactions** (``on_enter``): a domain declares,
in its manifest, a function (in its ``flows.py`` or ``reactions.py``) that runs in the transition's
transaction once the project has moved - entering ``publicizing`` notifies residents of the plan,
entering ``accepted`` starts the satisfaction survey. A reaction that raises undoes the whole
transition. Reactions run in registration order, which is the order of the manifests.

This module stores only names, messages and callables and never imports a domain, so domains can
depend on the lifecycle and not the other way round. It imports nothing from the database or FastAPI:
states are the string values of ``app.projects.models.ProjectStatus`` (a ``StrEnum``, so its members are
these strings), and a test keeps the two in step.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# In docs/lifecycle.md order.
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

# What residents are told a stage is called (at most five characters: a WeChat "phrase").
STATE_NAMES: dict[str, str] = {
    "surveying": "摸底调查",
    "designing": "方案设计",
    "publicizing": "方案公示",
    "voting": "居民表决",
    "approved": "表决通过",
    "rejected": "表决未通过",
    "constructing": "施工中",
    "accepting": "竣工验收",
    "accepted": "验收通过",
    "maintaining": "长效管理",
}

EDGES: frozenset[tuple[str, str]] = frozenset({
    ("surveying", "designing"),
    ("designing", "publicizing"),
    ("publicizing", "voting"),
    ("voting", "approved"),
    ("voting", "rejected"),
    ("voting", "designing"),  # the plan is withdrawn from the vote to be revised (its ballots are cancelled)
    ("rejected", "designing"),  # the plan is revised and put to residents again
    ("approved", "constructing"),
    ("constructing", "accepting"),
    ("accepting", "constructing"),  # a rejected acceptance sends the work back to rectification
    ("accepting", "accepted"),
    ("accepted", "maintaining"),
})

Edge = tuple[str, str]

# The guards each edge requires, by name. An edge not listed requires none (see the rule above).
REQUIRED_GUARDS: dict[Edge, tuple[str, ...]] = {
    ("designing", "publicizing"): ("items_selected", "plan_published"),
    ("publicizing", "voting"): ("notice_period_ended",),
    ("voting", "approved"): ("ballot_passed",),
    ("voting", "rejected"): ("ballot_rejected",),
    ("approved", "constructing"): ("contractor_assigned",),
    ("constructing", "accepting"): ("items_complete", "rectifications_closed"),
    ("accepting", "accepted"): ("acceptance_signed",),
    ("accepting", "constructing"): ("acceptance_rejected",),
}

# The domain that registers each required guard's check.
GUARD_PROVIDERS: dict[str, str] = {
    # app.projects.guards
    "items_selected": "projects",
    "contractor_assigned": "projects",
    "items_complete": "projects",
    # Provided by the participation domains: an edge whose guard no domain registered stays closed.
    "plan_published": "plans",  # the design plan is published for notice (公示)
    "notice_period_ended": "plans",  # ... and its notice period has ended
    "ballot_passed": "voting",  # the residents' ballot on the plan closed and passed
    "ballot_rejected": "voting",  # ... closed and did not pass
    "rectifications_closed": "supervision",  # every rectification order closed or waived
    "acceptance_signed": "acceptance",  # every required signatory approved
    "acceptance_rejected": "acceptance",  # a signatory rejected: back to rectification
}
PROVIDED_BY_LATER_DOMAINS: frozenset[str] = frozenset(
    name for name, domain in GUARD_PROVIDERS.items() if domain != "projects"
)

# What a user is told a required guard is waiting for while no domain has registered its check.
FEATURES: dict[str, tuple[str, str]] = {
    "projects": ("项目管理", "project management"),
    "plans": ("方案公示", "plan publication"),
    "voting": ("居民表决", "residents' voting"),
    "supervision": ("施工监督", "construction supervision"),
    "acceptance": ("竣工验收", "completion acceptance"),
}

@dataclass(frozen=True)
class Refusal:
    """What a check may answer instead of ``False`` when the refusal has particulars to tell (the date a
    notice period ends, how many orders are still open): it replaces the guard's fixed message."""

    message_zh: str
    message_en: str


# A guard's check is called as ``await check(session, project)`` and answers True (met), False or a
# ``Refusal``; it is typed loosely here because this module must not know what a session or a project is.
GuardCheck = Callable[[Any, Any], Awaitable["bool | Refusal"]]


@dataclass(frozen=True)
class Guard:
    """A named condition on one or more edges; the messages tell a user what is still missing."""

    name: str
    edges: frozenset[Edge]
    message_zh: str
    message_en: str
    check: GuardCheck = field(compare=False, repr=False)

    def message(self, english: bool) -> str:
        return self.message_en if english else self.message_zh


@dataclass(frozen=True)
class Unmet:
    """A required guard that refused the move; ``enabled`` is False when no check is registered for it."""

    name: str
    message_zh: str
    message_en: str
    enabled: bool

    def message(self, english: bool) -> str:
        return self.message_en if english else self.message_zh


@dataclass(frozen=True)
class Decision:
    """``edge_exists`` is False for a move the table does not have; then no guard was consulted."""

    allowed: bool
    edge_exists: bool
    unmet: list[Unmet]


def is_edge(current: str, target: str) -> bool:
    return (current, target) in EDGES


def targets(current: str) -> list[str]:
    """The states reachable in one move from ``current``, in lifecycle order."""
    return [s for s in STATES if (current, s) in EDGES]


def _not_enabled(name: str, provider: str | None) -> Unmet:
    zh, en = FEATURES.get(provider or "", (name, name))
    return Unmet(name, f"尚未启用：此步骤需要「{zh}」功能", f"Not available yet: this step needs {en}", False)


class GuardRegistry:
    """The registered checks behind the required guard names of ``required`` (edge -> names).

    Registration refuses a name no edge requires, or edges other than those that require it, so a typo
    cannot silently never fire.
    """

    def __init__(
        self, required: Mapping[Edge, Iterable[str]] | None = None, providers: Mapping[str, str] | None = None
    ) -> None:
        required = REQUIRED_GUARDS if required is None else required
        self._required: dict[Edge, tuple[str, ...]] = {edge: tuple(sorted(set(names)))
                                                        for edge, names in required.items()}
        unknown = set(self._required) - EDGES
        if unknown:
            raise ValueError(f"guards required on edges outside the lifecycle: {sorted(unknown)}")
        self._providers = dict(GUARD_PROVIDERS if providers is None else providers)
        self._guards: dict[str, Guard] = {}

    def required(self, current: str, target: str) -> tuple[str, ...]:
        """The names the edge requires, in name order so that error details are stable."""
        return self._required.get((str(current), str(target)), ())

    def edges_requiring(self, name: str) -> frozenset[Edge]:
        return frozenset(edge for edge, names in self._required.items() if name in names)

    def register(self, guard: Guard) -> Guard:
        if not guard.edges:
            raise ValueError(f"guard {guard.name!r} names no edge")
        unknown = guard.edges - EDGES
        if unknown:
            raise ValueError(f"guard {guard.name!r} names edges outside the lifecycle: {sorted(unknown)}")
        declared = self.edges_requiring(guard.name)
        if not declared:
            raise ValueError(f"no edge requires a guard {guard.name!r}: add it to REQUIRED_GUARDS first")
        if guard.edges != declared:
            raise ValueError(f"guard {guard.name!r} is required on {sorted(declared)}, not {sorted(guard.edges)}")
        existing = self._guards.get(guard.name)
        if existing is not None and (existing != guard or existing.check is not guard.check):
            raise ValueError(f"another guard is already registered as {guard.name!r}")
        self._guards[guard.name] = guard
        return guard

    def unregister(self, name: str) -> None:
        self._guards.pop(name, None)

    def get(self, name: str) -> Guard | None:
        return self._guards.get(name)

    def __iter__(self):
        return iter(self._guards.values())

    def for_edge(self, current: str, target: str) -> list[Guard]:
        """The registered guards of the edge (the checks to evaluate), in name order."""
        return [self._guards[n] for n in self.required(current, target) if n in self._guards]

    def decide(self, current: str, target: str, results: Mapping[str, "bool | Refusal"]) -> Decision:
        """Allowed only along an edge of the table with every guard it requires registered and met.

        A required guard with no registered check is unmet (its domain does not exist or was not
        imported), and so is one missing from ``results``: forgetting to evaluate one must refuse, not allow.
        A ``Refusal`` result is unmet with its own message.
        """
        if not is_edge(current, target):
            return Decision(allowed=False, edge_exists=False, unmet=[])
        unmet = []
        for name in self.required(current, target):
            guard = self._guards.get(name)
            if guard is None:
                unmet.append(_not_enabled(name, self._providers.get(name)))
            elif isinstance(result := results.get(name), Refusal):
                unmet.append(Unmet(name, result.message_zh, result.message_en, True))
            elif result is not True:
                unmet.append(Unmet(name, guard.message_zh, guard.message_en, True))
        return Decision(allowed=not unmet, edge_exists=True, unmet=unmet)


registry = GuardRegistry()


def guard(name: str, edges: Iterable[tuple[str, str]], message_zh: str, message_en: str, check: GuardCheck) -> Guard:
    """A guard as a domain declares it in its manifest (the composition root installs it in ``registry``)."""
    return Guard(name, frozenset((str(a), str(b)) for a, b in edges), message_zh, message_en, check)


def decide(current: str, target: str, results: Mapping[str, "bool | Refusal"]) -> Decision:
    return registry.decide(current, target, results)


# ---- reactions: what happens when a state is entered ------------------------------------------------


@dataclass(frozen=True)
class Entered:
    """What a reaction is told. ``project`` is the projects domain's read value (``ProjectRef``) with the
    new status; ``actor_id`` is who moved it. Typed loosely: this module knows neither."""

    project: Any
    from_state: str
    to_state: str
    actor_id: Any


# Called as ``await reaction(session, entered)`` inside the transition's transaction.
Reaction = Callable[[Any, Entered], Awaitable[None]]


@dataclass(frozen=True)
class OnEnter:
    name: str
    state: str
    from_state: str | None  # None: whichever edge led into ``state``
    fn: Reaction = field(compare=False, repr=False)


class ReactionRegistry:
    def __init__(self) -> None:
        self._reactions: dict[str, OnEnter] = {}

    def register(self, reaction: OnEnter) -> OnEnter:
        if reaction.state not in STATES:
            raise ValueError(f"reaction {reaction.name!r} names an unknown state {reaction.state!r}")
        if reaction.from_state is not None and not is_edge(reaction.from_state, reaction.state):
            raise ValueError(f"reaction {reaction.name!r}: no edge {reaction.from_state} -> {reaction.state}")
        existing = self._reactions.get(reaction.name)
        if existing is not None and (existing != reaction or existing.fn is not reaction.fn):
            raise ValueError(f"a reaction is already registered as {reaction.name!r}")
        self._reactions[reaction.name] = reaction
        return reaction

    def unregister(self, name: str) -> None:
        self._reactions.pop(name, None)

    def for_edge(self, current: str, target: str) -> list[OnEnter]:
        """The reactions to run when the project moves ``current -> target``, in registration order."""
        return [r for r in self._reactions.values()
                if r.state == str(target) and r.from_state in (None, str(current))]


reactions = ReactionRegistry()


def on_enter(name: str, state: str, fn: Reaction, *, from_state: str | None = None) -> OnEnter:
    """Run ``fn(session, entered)`` whenever a project enters ``state`` (only from ``from_state`` if given),
    in the transition's transaction: a reaction as a domain declares it in its manifest (the composition
    root installs it in ``reactions``)."""
    return OnEnter(name, str(state), None if from_state is None else str(from_state), fn)
