"""The decision rules of a ballot, as pure functions of integers and ``Fraction`` (docs/domain.md).

Civil Code art. 278 and the Supreme People's Court interpretation on building ownership (art. 8-9):

- **Area** is the registered floor area of an owner's units in the ballot's scope, in 0.01 m² (integers:
  never a float near a boundary). **Headcount** is one per unit, except that one person owning several
  units counts as one, with the sum of their areas; co-owners of a unit cast one vote for it; an
  organisation that owns units (原产权单位) is one owner. ``electorate`` turns the ledger's owners into
  voters accordingly: the units linked by a common owner form one voter.
- Abstaining counts as participating.
- "以上" (at least) includes the boundary; "过半数" (more than half) does not.

Rules:

- ``civil_code_major`` (renovation, rebuilding, changing the use of common parts, raising maintenance
  funds): participation >= 2/3 of the total area and >= 2/3 of the total headcount; passes when the
  approvals are >= 3/4 of the participating area and >= 3/4 of the participating headcount.
- ``civil_code_ordinary`` (other common matters): the same participation; passes when the approvals are
  > 1/2 of the participating area and > 1/2 of the participating headcount.
- ``simple_majority``: no quorum; passes when approvals exceed oppositions by headcount.
- ``custom``: thresholds of participation and approval by area and/or headcount, each "at least" or
  "more than" a fraction.

Each outcome is ``passed``, ``rejected`` or ``quorum_not_met``, with every figure behind it.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Generic, TypeVar

from app.core.numbers import percent


class Rule(StrEnum):
    civil_code_major = "civil_code_major"
    civil_code_ordinary = "civil_code_ordinary"
    simple_majority = "simple_majority"
    custom = "custom"


class Choice(StrEnum):
    approve = "approve"
    oppose = "oppose"
    abstain = "abstain"


class Outcome(StrEnum):
    passed = "passed"
    rejected = "rejected"
    quorum_not_met = "quorum_not_met"


@dataclass(frozen=True)
class Threshold:
    """``part / whole`` must be at least ``fraction`` (以上), or more than it when ``strict`` (过半数)."""

    fraction: Fraction
    strict: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.fraction <= 1:
            raise ValueError("a threshold is a fraction between 0 and 1")

    def met(self, part: int, whole: int) -> bool:
        """Compared as integers (``part * den`` against ``fraction.numerator * whole``); nothing of nothing
        is not met."""
        if whole == 0:
            return False
        left, right = part * self.fraction.denominator, self.fraction.numerator * whole
        return left > right if self.strict else left >= right


@dataclass(frozen=True)
class Thresholds:
    """What a rule requires; a ``None`` threshold is not measured."""

    participation_area: Threshold | None = None
    participation_headcount: Threshold | None = None
    approval_area: Threshold | None = None
    approval_headcount: Threshold | None = None


TWO_THIRDS = Threshold(Fraction(2, 3))
RULES: dict[Rule, Thresholds] = {
    Rule.civil_code_major: Thresholds(TWO_THIRDS, TWO_THIRDS, Threshold(Fraction(3, 4)), Threshold(Fraction(3, 4))),
    Rule.civil_code_ordinary: Thresholds(TWO_THIRDS, TWO_THIRDS, Threshold(Fraction(1, 2), strict=True),
                                         Threshold(Fraction(1, 2), strict=True)),
}


# ---- the electorate ------------------------------------------------------------------------------


Id = TypeVar("Id", bound=Hashable)  # the ledger's ids of units and owners, whatever their type


@dataclass(frozen=True)
class OwnedUnit(Generic[Id]):
    """A unit in scope with its registered area and the owners on record (persons or organisations)."""

    unit_id: Id
    area_centi: int
    owner_ids: frozenset[Id]


@dataclass(frozen=True)
class Voter(Generic[Id]):
    """One vote: the owners who cast it (any one of them), their units in scope and the sum of their areas.
    Its key is the smallest of its owners' ids, so the same ledger always gives the same keys."""

    key: Id
    owner_ids: frozenset[Id]
    unit_ids: frozenset[Id]
    area_centi: int


def electorate(units: Iterable[OwnedUnit[Id]]) -> list[Voter[Id]]:
    """The voters of a scope: units sharing an owner, directly or through co-owners, form one voter (one
    person with several units counts once; co-owners cast one vote per unit). A unit with no owner on
    record has nobody to vote and is left out. Voters in key order."""
    parent: dict[Id, Id] = {}

    def find(x: Id) -> Id:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owned = [u for u in units if u.owner_ids]
    for u in owned:
        first, *others = sorted(u.owner_ids, key=str)
        parent.setdefault(first, first)
        for o in others:
            parent.setdefault(o, o)
            a, b = find(first), find(o)
            if a != b:
                parent[max(a, b, key=str)] = min(a, b, key=str)
    groups: dict[Id, list[OwnedUnit[Id]]] = {}
    for u in owned:
        groups.setdefault(find(next(iter(u.owner_ids))), []).append(u)
    voters: list[Voter[Id]] = []
    for members in groups.values():
        owners = frozenset(o for u in members for o in u.owner_ids)
        voters.append(Voter(min(owners, key=str), owners, frozenset(u.unit_id for u in members),
                            sum(u.area_centi for u in members)))
    return sorted(voters, key=lambda v: str(v.key))


# ---- tallies and decisions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    area_centi: int = 0
    headcount: int = 0

    def __add__(self, other: "Count") -> "Count":
        return Count(self.area_centi + other.area_centi, self.headcount + other.headcount)


@dataclass(frozen=True)
class Tally:
    total: Count
    approve: Count = Count()
    oppose: Count = Count()
    abstain: Count = Count()

    @property
    def participating(self) -> Count:
        return self.approve + self.oppose + self.abstain


def count(total: Count, counted: Mapping[Choice, Count]) -> Tally:
    """The tally of one motion from the electorate's ``total`` and what was counted for each choice (the
    database sums the stored votes per choice; a choice nobody made may be left out). Counts that cannot
    come from the electorate - more votes or area than it has, or a negative figure - are a programming
    error, never a result."""
    by_choice = {c: counted.get(c, Count()) for c in Choice}
    participating = sum(by_choice.values(), Count())
    if any(c.area_centi < 0 or c.headcount < 0 for c in (total, *by_choice.values())):
        raise ValueError("a count is never negative")
    if participating.headcount > total.headcount or participating.area_centi > total.area_centi:
        raise ValueError(f"more counted ({participating}) than the electorate holds ({total})")
    return Tally(total, by_choice[Choice.approve], by_choice[Choice.oppose], by_choice[Choice.abstain])


def tally(voters: Iterable[Voter], votes: Mapping[Hashable, Choice]) -> Tally:
    """Sum the electorate and the votes (voter key -> choice): what ``count`` is given, voter by voter.
    A vote from outside the electorate is a programming error: the caller checks who may vote."""
    weights = {v.key: v.area_centi for v in voters}
    unknown = set(votes) - set(weights)
    if unknown:
        raise ValueError(f"votes from outside the electorate: {sorted(map(str, unknown))}")
    by_choice = {c: Count() for c in Choice}
    for key, choice in votes.items():
        by_choice[Choice(choice)] += Count(weights[key], 1)
    return count(Count(sum(weights.values()), len(weights)), by_choice)


@dataclass(frozen=True)
class Ratio:
    """``part / whole`` exactly, and as a percentage with two decimals for display."""

    part: int
    whole: int

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.part, self.whole) if self.whole else None

    @property
    def percent(self) -> str:
        return percent(self.part, self.whole, places=2)


@dataclass(frozen=True)
class Decision:
    rule: Rule
    thresholds: Thresholds
    tally: Tally
    quorum_met: bool
    approved: bool
    outcome: Outcome
    ratios: dict[str, Ratio] = field(default_factory=dict)


def _ratios(t: Tally) -> dict[str, Ratio]:
    p = t.participating
    return {
        "participation_area": Ratio(p.area_centi, t.total.area_centi),
        "participation_headcount": Ratio(p.headcount, t.total.headcount),
        "approval_area": Ratio(t.approve.area_centi, p.area_centi),
        "approval_headcount": Ratio(t.approve.headcount, p.headcount),
    }


def _met(threshold: Threshold | None, ratio: Ratio) -> bool:
    return threshold is None or threshold.met(ratio.part, ratio.whole)


def decide(rule: Rule, t: Tally, custom: Thresholds | None = None) -> Decision:
    """The outcome of one motion under ``rule`` (``custom`` gives the thresholds of a custom rule)."""
    ratios = _ratios(t)
    if rule == Rule.simple_majority:
        approved = t.approve.headcount > t.oppose.headcount
        return Decision(rule, Thresholds(), t, True, approved, Outcome.passed if approved else Outcome.rejected, ratios)
    if rule == Rule.custom:
        if custom is None:
            raise ValueError("a custom rule needs its thresholds")
        thresholds = custom
    else:
        thresholds = RULES[rule]
    quorum = (_met(thresholds.participation_area, ratios["participation_area"])
              and _met(thresholds.participation_headcount, ratios["participation_headcount"]))
    approved = (t.participating.headcount > 0
                and _met(thresholds.approval_area, ratios["approval_area"])
                and _met(thresholds.approval_headcount, ratios["approval_headcount"]))
    outcome = Outcome.quorum_not_met if not quorum else Outcome.passed if approved else Outcome.rejected
    return Decision(rule, thresholds, t, quorum, approved and quorum, outcome, ratios)
