"""The lifecycle state machine: the edge table, guard registration and ``decide`` (pure, no database)."""

from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.projects import lifecycle
from app.projects.lifecycle import EDGES, STATES, Guard, GuardRegistry
from app.projects.models import ProjectStatus


async def _never(session, project) -> bool:
    return False


async def _always(session, project) -> bool:
    return True


def _guard(name: str, *edges: tuple[str, str]) -> Guard:
    return Guard(name, frozenset(edges), f"{name} 未满足", f"{name} not met", _never)


def test_states_are_the_project_statuses_in_order():
    assert STATES == tuple(s.value for s in ProjectStatus)
    assert all(a in STATES and b in STATES for a, b in EDGES)


def test_edge_table_is_design_section_4():
    assert lifecycle.targets("surveying") == ["designing"]
    assert lifecycle.targets("voting") == ["designing", "approved", "rejected"]
    assert lifecycle.targets("rejected") == ["designing"]
    assert lifecycle.targets("accepting") == ["constructing", "accepted"]
    assert lifecycle.targets("maintaining") == []
    # StrEnum members are the same keys as their strings.
    assert lifecycle.is_edge(ProjectStatus.approved, ProjectStatus.constructing)
    assert not lifecycle.is_edge(ProjectStatus.surveying, ProjectStatus.voting)


def test_every_state_is_reachable_from_the_start_and_maintaining_from_everywhere():
    seen, queue = {lifecycle.INITIAL}, deque([lifecycle.INITIAL])
    while queue:
        for nxt in lifecycle.targets(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    assert seen == set(STATES)
    for start in STATES:  # no dead end before the last stage
        reach, todo = {start}, [start]
        while todo:
            for nxt in lifecycle.targets(todo.pop()):
                if nxt not in reach:
                    reach.add(nxt)
                    todo.append(nxt)
        assert "maintaining" in reach, start


def test_required_guards_table():
    """Every edge that records a decision or a proven fact requires a guard; staff judgement needs none."""
    required = {edge: set(names) for edge, names in lifecycle.REQUIRED_GUARDS.items()}
    assert set(required) <= EDGES
    assert required == {
        ("designing", "publicizing"): {"items_selected", "plan_published"},
        ("publicizing", "voting"): {"notice_period_ended"},
        ("voting", "approved"): {"ballot_passed"},
        ("voting", "rejected"): {"ballot_rejected"},
        ("approved", "constructing"): {"contractor_assigned"},
        ("constructing", "accepting"): {"items_complete", "rectifications_closed"},
        ("accepting", "accepted"): {"acceptance_signed"},
        ("accepting", "constructing"): {"acceptance_rejected"},
    }
    # The README and the demo move surveying -> designing: it stays the staff's call, as does withdrawing
    # a plan from the vote to revise it (which decides nothing: its ballots are cancelled).
    assert EDGES - set(required) == {("surveying", "designing"), ("rejected", "designing"),
                                     ("voting", "designing"), ("accepted", "maintaining")}
    names = {n for names in required.values() for n in names}
    assert names == set(lifecycle.GUARD_PROVIDERS)
    assert set(lifecycle.GUARD_PROVIDERS.values()) <= set(lifecycle.FEATURES)
    assert lifecycle.PROVIDED_BY_LATER_DOMAINS == names - {"items_selected", "contractor_assigned", "items_complete"}


def test_registration_refuses_unknown_edges_undeclared_names_and_name_clashes():
    registry = GuardRegistry({("designing", "publicizing"): ["a"], ("publicizing", "voting"): ["plan_published"]})
    with pytest.raises(ValueError):
        registry.register(_guard("plan_published", ("surveying", "voting")))  # not an edge
    with pytest.raises(ValueError):
        registry.register(_guard("plan_published"))  # no edge
    with pytest.raises(ValueError):
        registry.register(_guard("typo", ("publicizing", "voting")))  # no edge requires it
    with pytest.raises(ValueError):
        registry.register(_guard("plan_published", ("designing", "publicizing")))  # required elsewhere
    with pytest.raises(ValueError):
        registry.register(_guard("a", ("designing", "publicizing"), ("publicizing", "voting")))
    g = registry.register(_guard("plan_published", ("publicizing", "voting")))
    registry.register(g)  # the same guard again (a re-import) is harmless
    with pytest.raises(ValueError):  # another check under the same name
        registry.register(Guard("plan_published", g.edges, g.message_zh, g.message_en, _always))
    with pytest.raises(ValueError):
        GuardRegistry({("surveying", "voting"): ["x"]})


def test_missing_result_counts_as_unmet():
    registry = GuardRegistry({("designing", "publicizing"): ["a"]})
    registry.register(_guard("a", ("designing", "publicizing")))
    decision = registry.decide("designing", "publicizing", {})
    assert not decision.allowed and [g.name for g in decision.unmet] == ["a"]
    assert decision.unmet[0].enabled and decision.unmet[0].message(False) == "a 未满足"
    assert registry.decide("designing", "publicizing", {"a": True}).allowed


def test_a_required_guard_nobody_registered_closes_the_edge():
    """A domain that does not exist yet (or a process that never imported it) must not open its edges."""
    registry = GuardRegistry()
    decision = registry.decide("voting", "approved", {"ballot_passed": True})
    assert not decision.allowed and decision.edge_exists
    [unmet] = decision.unmet
    assert (unmet.name, unmet.enabled) == ("ballot_passed", False)
    assert unmet.message(False) == "尚未启用：此步骤需要「居民表决」功能"
    assert unmet.message(True) == "Not available yet: this step needs residents' voting"
    assert registry.decide("surveying", "designing", {}).allowed
    assert registry.decide(ProjectStatus.accepted, ProjectStatus.maintaining, {}).allowed


def test_this_domains_guards_are_registered_by_the_service():
    import app.projects.service  # noqa: F401

    names = {g.name: g.edges for g in lifecycle.registry}
    assert names["items_selected"] == {("designing", "publicizing")}
    assert names["contractor_assigned"] == {("approved", "constructing")}
    assert names["items_complete"] == {("constructing", "accepting")}
    own = {n for n, domain in lifecycle.GUARD_PROVIDERS.items() if domain == "projects"}
    assert own <= set(names)


GUARD_NAMES = [f"g{i}" for i in range(6)]
edges = st.sampled_from(sorted(EDGES))
tables = st.dictionaries(edges, st.sets(st.sampled_from(GUARD_NAMES), max_size=3), max_size=len(EDGES))
results = st.dictionaries(st.sampled_from(GUARD_NAMES), st.booleans())


@st.composite
def registries(draw):
    """A random requirement table and a random part of its guards registered (on their declared edges)."""
    table = draw(tables)
    registry = GuardRegistry(table, providers={})
    declared = sorted({n for names in table.values() for n in names})
    registered = draw(st.sets(st.sampled_from(declared))) if declared else set()
    for name in registered:
        registry.register(Guard(name, registry.edges_requiring(name), "zh", "en", _never))
    return table, registered, registry


@given(spec=registries(), current=st.sampled_from(STATES), target=st.sampled_from(STATES), res=results)
def test_no_move_outside_the_table_is_ever_allowed(spec, current, target, res):
    _, _, registry = spec
    decision = registry.decide(current, target, res)
    if (current, target) not in EDGES:
        assert not decision.allowed and not decision.edge_exists and decision.unmet == []


@given(spec=registries(), edge=edges, res=results)
def test_allowed_only_when_every_required_guard_is_registered_and_passes(spec, edge, res):
    table, registered, registry = spec
    decision = registry.decide(*edge, res)
    required = table.get(edge, set())
    expected_unmet = {n for n in required if n not in registered or res.get(n) is not True}
    assert decision.edge_exists
    assert {u.name for u in decision.unmet} == expected_unmet
    assert decision.allowed == (not expected_unmet)
    assert decision.allowed == all(n in registered and res.get(n) is True for n in required)
    assert [u.name for u in decision.unmet] == sorted(expected_unmet)
    assert all(u.enabled == (u.name in registered) for u in decision.unmet)
    # Only the edge's own required guards are ever evaluated or named.
    assert {g.name for g in registry.for_edge(*edge)} == required & registered
