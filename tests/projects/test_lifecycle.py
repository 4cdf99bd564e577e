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


def _guard(name: str, *edges: tuple[str, str]) -> Guard:
    return Guard(name, frozenset(edges), f"{name} 未满足", f"{name} not met", _never)


def test_states_are_the_project_statuses_in_order():
    assert STATES == tuple(s.value for s in ProjectStatus)
    assert all(a in STATES and b in STATES for a, b in EDGES)


def test_edge_table_is_design_section_4():
    assert lifecycle.targets("surveying") == ["designing"]
    assert lifecycle.targets("voting") == ["approved", "rejected"]
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


def test_registration_refuses_unknown_edges_and_name_clashes():
    registry = GuardRegistry()
    with pytest.raises(ValueError):
        registry.register(_guard("x", ("surveying", "voting")))
    with pytest.raises(ValueError):
        registry.register(_guard("empty"))
    g = registry.register(_guard("plan_published", ("publicizing", "voting")))
    registry.register(g)  # the same guard again (a re-import) is harmless
    with pytest.raises(ValueError):
        registry.register(_guard("plan_published", ("designing", "publicizing")))


def test_missing_result_counts_as_unmet():
    registry = GuardRegistry()
    registry.register(_guard("a", ("designing", "publicizing")))
    decision = registry.decide("designing", "publicizing", {})
    assert not decision.allowed and [g.name for g in decision.unmet] == ["a"]
    assert registry.decide("designing", "publicizing", {"a": True}).allowed


def test_this_domains_guards_are_registered_by_the_service():
    import app.projects.service  # noqa: F401

    names = {g.name: g.edges for g in lifecycle.registry}
    assert names["items_selected"] == {("designing", "publicizing")}
    assert names["contractor_assigned"] == {("approved", "constructing")}
    assert names["items_complete"] == {("constructing", "accepting")}


GUARD_NAMES = [f"g{i}" for i in range(6)]
edges = st.sampled_from(sorted(EDGES))
registries = st.lists(
    st.tuples(st.sampled_from(GUARD_NAMES), st.frozensets(edges, min_size=1, max_size=3)),
    unique_by=lambda t: t[0], max_size=len(GUARD_NAMES),
)
results = st.dictionaries(st.sampled_from(GUARD_NAMES), st.booleans())


def _build(spec) -> GuardRegistry:
    registry = GuardRegistry()
    for name, guard_edges in spec:
        registry.register(Guard(name, guard_edges, "zh", "en", _never))
    return registry


@given(spec=registries, current=st.sampled_from(STATES), target=st.sampled_from(STATES), res=results)
def test_no_move_outside_the_table_is_ever_allowed(spec, current, target, res):
    decision = _build(spec).decide(current, target, res)
    if (current, target) not in EDGES:
        assert not decision.allowed and not decision.edge_exists and decision.unmet == []


@given(spec=registries, edge=edges, res=results)
def test_every_unmet_guard_is_named_and_only_those(spec, edge, res):
    registry = _build(spec)
    decision = registry.decide(*edge, res)
    on_edge = {name for name, guard_edges in spec if edge in guard_edges}
    expected_unmet = {name for name in on_edge if res.get(name) is not True}
    assert {g.name for g in decision.unmet} == expected_unmet
    assert decision.allowed == (not expected_unmet)
    assert decision.edge_exists
    # Guards of other edges never block this one.
    assert all(edge in g.edges for g in decision.unmet)
