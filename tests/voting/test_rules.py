"""The voting rules (Civil Code art. 278) at and around every boundary, with exact arithmetic, and their
properties: more approval never hurts, order does not matter, headcount never exceeds the owners."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.voting.rules import (
    Choice,
    Count,
    Outcome,
    OwnedUnit,
    Rule,
    Threshold,
    Thresholds,
    Voter,
    count,
    decide,
    electorate,
    tally,
)

A, N, X = Choice.approve, Choice.oppose, Choice.abstain  # approve, no (oppose), abstain


def voters(*areas: int) -> list[Voter]:
    """One voter per area (0.01 m²), keyed 0, 1, 2..."""
    return [Voter(i, frozenset({i}), frozenset({i}), area) for i, area in enumerate(areas)]


def outcome(rule, areas, choices, custom=None):
    return decide(rule, tally(voters(*areas), dict(enumerate(choices)) if isinstance(choices, list) else choices),
                  custom).outcome


# ---- civil_code_major: participation >= 2/3 (area and headcount), approval >= 3/4 of participants -------


def test_major_exactly_two_thirds_participation_and_three_quarters_approval_passes():
    # 12 equal voters: 8 take part (exactly 2/3), 6 of them approve (exactly 3/4).
    choices = {i: A for i in range(6)} | {6: N, 7: N}
    d = decide(Rule.civil_code_major, tally(voters(*[100] * 12), choices))
    assert d.outcome == Outcome.passed
    assert d.ratios["participation_area"].fraction == Fraction(2, 3)
    assert d.ratios["approval_headcount"].fraction == Fraction(3, 4)
    assert (d.ratios["participation_area"].percent, d.ratios["approval_area"].percent) == ("66.67", "75.00")


def test_major_one_short_of_each_boundary():
    # 7 of 12 take part: below 2/3.
    assert outcome(Rule.civil_code_major, [100] * 12, {i: A for i in range(7)}) == Outcome.quorum_not_met
    # 8 take part, 5 approve: 5/8 < 3/4.
    assert outcome(Rule.civil_code_major, [100] * 12, {i: A for i in range(5)} | {5: N, 6: N, 7: X}) == Outcome.rejected


def test_major_approval_by_area_and_headcount_both_needed():
    # Headcount approval 3/4 but area approval below: the three approvers are small.
    areas = [100, 100, 100, 1000] + [100] * 2
    choices = {0: A, 1: A, 2: A, 3: N}  # 4 of 6 take part (2/3), area 1300/1500 participates
    d = decide(Rule.civil_code_major, tally(voters(*areas), choices))
    assert d.quorum_met and d.ratios["approval_headcount"].fraction == Fraction(3, 4)
    assert d.ratios["approval_area"].fraction == Fraction(300, 1300) and d.outcome == Outcome.rejected


def test_abstention_counts_as_participation_but_not_approval():
    # 9 voters: 6 take part (2/3) of which 2 abstain; 4 approve = 2/3 of participants < 3/4.
    choices = {0: A, 1: A, 2: A, 3: A, 4: X, 5: X}
    d = decide(Rule.civil_code_major, tally(voters(*[100] * 9), choices))
    assert d.quorum_met and d.outcome == Outcome.rejected
    assert d.tally.participating == Count(600, 6) and d.tally.abstain == Count(200, 2)


def test_quorum_met_by_area_but_not_by_headcount_and_the_reverse():
    # One large owner and many small: the large one's area alone is a quorum, not their headcount.
    areas = [10_000] + [100] * 5
    d = decide(Rule.civil_code_ordinary, tally(voters(*areas), {0: A}))
    assert d.ratios["participation_area"].fraction > Fraction(2, 3)
    assert d.ratios["participation_headcount"].fraction == Fraction(1, 6)
    assert d.outcome == Outcome.quorum_not_met
    # The reverse: every small owner takes part (5 of 6 headcount), but not the large one's area.
    d = decide(Rule.civil_code_ordinary, tally(voters(*areas), {i: A for i in range(1, 6)}))
    assert d.ratios["participation_headcount"].fraction == Fraction(5, 6)
    assert d.ratios["participation_area"].fraction == Fraction(500, 10_500)
    assert d.outcome == Outcome.quorum_not_met


def test_float_sums_would_miss_exact_boundaries():
    # 33.33 + 10.10 + 20.20 = 63.63 is exactly 3/4 of 33.33 + 10.10 + 20.20 + 21.21 = 84.84, but in floats
    # 63.63 / 84.84 is 0.7499999999999999: a float tally would reject a motion that passes.
    areas = [3333, 1010, 2020, 2121, 1000]
    assert (33.33 + 10.10 + 20.20) / (33.33 + 10.10 + 20.20 + 21.21) < 0.75
    d = decide(Rule.civil_code_major, tally(voters(*areas), {0: A, 1: A, 2: A, 3: N}))
    assert d.ratios["approval_area"].fraction == Fraction(3, 4)
    assert d.ratios["approval_headcount"].fraction == Fraction(3, 4)
    assert d.outcome == Outcome.passed
    # And the other way: 20.20 / (10.10 + 20.20) is exactly 2/3, which a float calls more than 2/3.
    assert 20.20 / (10.10 + 20.20) > 2 / 3
    more_than_two_thirds = Thresholds(approval_area=Threshold(Fraction(2, 3), strict=True))
    d = decide(Rule.custom, tally(voters(*areas), {1: N, 2: A}), more_than_two_thirds)
    assert d.ratios["approval_area"].fraction == Fraction(2, 3) and d.outcome == Outcome.rejected


# ---- civil_code_ordinary: same participation, approval > 1/2 ----------------------------------------


def test_ordinary_exactly_half_fails_and_just_over_passes():
    assert outcome(Rule.civil_code_ordinary, [100] * 6, [A, A, N, N]) == Outcome.rejected  # 2/4 is not > 1/2
    assert outcome(Rule.civil_code_ordinary, [100] * 6, [A, A, A, N]) == Outcome.passed
    # Half by area exactly, more than half by headcount: still rejected (both are needed).
    assert outcome(Rule.civil_code_ordinary, [100, 100, 200, 100], [A, A, N, X]) == Outcome.rejected


def test_ordinary_exactly_two_thirds_participation_is_a_quorum():
    assert outcome(Rule.civil_code_ordinary, [100] * 3, [A, A]) == Outcome.passed
    assert outcome(Rule.civil_code_ordinary, [100] * 3, {0: A}) == Outcome.quorum_not_met


# ---- simple_majority and custom -------------------------------------------------------------------------


def test_simple_majority_has_no_quorum_and_counts_heads():
    assert outcome(Rule.simple_majority, [100] * 100, {0: A}) == Outcome.passed
    assert outcome(Rule.simple_majority, [100] * 10, {0: A, 1: N}) == Outcome.rejected  # a tie does not pass
    assert outcome(Rule.simple_majority, [100, 5000, 100], {0: A, 1: N, 2: A}) == Outcome.passed  # heads, not area
    assert outcome(Rule.simple_majority, [100] * 3, {}) == Outcome.rejected


def test_custom_by_headcount_only():
    heads = Thresholds(participation_headcount=Threshold(Fraction(1, 2)),
                       approval_headcount=Threshold(Fraction(1, 2), strict=True))
    assert outcome(Rule.custom, [100, 100, 100, 10_000], [A, A], heads) == Outcome.passed  # area ignored
    assert outcome(Rule.custom, [100] * 4, {0: A}, heads) == Outcome.quorum_not_met
    with pytest.raises(ValueError):
        decide(Rule.custom, tally(voters(100), {}))
    with pytest.raises(ValueError):
        Threshold(Fraction(3, 2))


def test_an_empty_electorate_decides_nothing():
    assert outcome(Rule.civil_code_major, [], {}) == Outcome.quorum_not_met
    assert decide(Rule.civil_code_major, tally([], {})).ratios["approval_area"].percent == "0.00"


def test_a_vote_from_outside_the_electorate_is_refused():
    with pytest.raises(ValueError):
        tally(voters(100), {7: A})


# ---- the electorate -------------------------------------------------------------------------------------


def test_who_counts_how():
    units = [
        OwnedUnit("101", 8650, frozenset({"zhang"})),  # 张 owns three units: one person, the sum of areas
        OwnedUnit("102", 9000, frozenset({"zhang"})),
        OwnedUnit("103", 7000, frozenset({"zhang"})),
        OwnedUnit("201", 10000, frozenset({"li", "wang"})),  # co-owners: one vote for the unit
        OwnedUnit("301", 5000, frozenset({"works"})),  # an organisation with two units: one owner
        OwnedUnit("302", 5050, frozenset({"works"})),
        OwnedUnit("401", 6000, frozenset({"zhao"})),
        OwnedUnit("402", 6000, frozenset({"zhao", "qian"})),  # 赵 also co-owns 402: joined with 401
        OwnedUnit("501", 7000, frozenset()),  # nobody on record: nobody to vote
    ]
    found = electorate(units)
    assert [(v.key, sorted(v.unit_ids), v.area_centi) for v in found] == [
        ("li", ["201"], 10000), ("qian", ["401", "402"], 12000), ("works", ["301", "302"], 10050),
        ("zhang", ["101", "102", "103"], 24650)]
    t = tally(found, {})
    assert t.total == Count(56700, 4)


owners = st.sampled_from([f"p{i}" for i in range(8)])
units_strategy = st.lists(
    st.builds(OwnedUnit, st.uuids().map(str), st.integers(min_value=1, max_value=50_000),
              st.frozensets(owners, max_size=3)), max_size=20)


@given(units_strategy)
def test_the_electorate_covers_each_owned_unit_once_and_never_more_heads_than_owners(units):
    found = electorate(units)
    owned = [u for u in units if u.owner_ids]
    assert sorted(u for v in found for u in v.unit_ids) == sorted(u.unit_id for u in owned)
    assert sum(v.area_centi for v in found) == sum(u.area_centi for u in owned)
    distinct = {o for u in owned for o in u.owner_ids}
    assert len(found) <= len(distinct) and len(found) <= len(owned)
    assert all(not (a.owner_ids & b.owner_ids) for i, a in enumerate(found) for b in found[i + 1:])
    assert electorate(reversed(units)) == found  # the ledger's order does not matter


areas = st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=30)
choice = st.sampled_from(list(Choice))
rules = st.sampled_from([Rule.civil_code_major, Rule.civil_code_ordinary, Rule.simple_majority])


@given(areas, st.data(), rules)
def test_an_approving_vote_never_turns_passed_into_rejected(weights, data, rule):
    pool = voters(*weights)
    votes = data.draw(st.dictionaries(st.sampled_from(range(len(weights))), choice))
    before = decide(rule, tally(pool, votes)).outcome
    voter = data.draw(st.sampled_from(range(len(weights))))
    if votes.get(voter) == A:
        return
    after = decide(rule, tally(pool, votes | {voter: A})).outcome
    if before == Outcome.passed:
        assert after == Outcome.passed


@given(areas, st.data(), rules)
def test_the_result_does_not_depend_on_the_order_of_votes(weights, data, rule):
    pool = voters(*weights)
    votes = list(data.draw(st.dictionaries(st.sampled_from(range(len(weights))), choice)).items())
    shuffled = data.draw(st.permutations(votes))
    assert decide(rule, tally(pool, dict(votes))) == decide(rule, tally(list(reversed(pool)), dict(shuffled)))


@given(areas, st.data())
def test_the_tally_adds_up(weights, data):
    pool = voters(*weights)
    votes = data.draw(st.dictionaries(st.sampled_from(range(len(weights))), choice))
    t = tally(pool, votes)
    assert t.participating.headcount == len(votes) <= t.total.headcount == len(weights)
    assert t.participating.area_centi == sum(weights[k] for k in votes) <= t.total.area_centi


counts = st.builds(Count, st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**5))


@given(areas, st.data(), rules)
def test_counting_from_sums_is_counting_vote_by_vote(weights, data, rule):
    """What the database sums per choice, ``count`` turns into the very tally and decision that counting
    each voter's vote gives (``tally``): the figures of a stored result are the rule's."""
    pool = voters(*weights)
    votes = data.draw(st.dictionaries(st.sampled_from(range(len(weights))), choice))
    sums: dict[Choice, Count] = {}
    for key, c in votes.items():
        sums[c] = sums.get(c, Count()) + Count(weights[key], 1)
    total = Count(sum(weights), len(weights))
    assert count(total, sums) == tally(pool, votes)
    assert decide(rule, count(total, sums)) == decide(rule, tally(pool, votes))


@given(counts, st.dictionaries(choice, counts))
def test_counting_refuses_more_than_the_electorate_holds(total, sums):
    participating = sum(sums.values(), Count())
    possible = participating.headcount <= total.headcount and participating.area_centi <= total.area_centi
    if possible:
        t = count(total, sums)
        assert (t.approve, t.oppose, t.abstain) == tuple(sums.get(c, Count()) for c in Choice)
        assert t.participating == participating and t.total == total
    else:
        with pytest.raises(ValueError):
            count(total, sums)


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError):
        count(Count(100, 1), {A: Count(-1, 1)})
