"""Overall progress weighted by estimated cost: exact fractions, half-up percent strings."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.projects.progress import percent_string, weighted_progress

items = st.lists(st.tuples(st.integers(0, 10**12), st.integers(0, 100)), max_size=30)


def test_examples():
    assert weighted_progress([]) == 0
    assert weighted_progress([(300, 50), (100, 100)]) == Fraction(5, 8)  # 62.5 %
    assert weighted_progress([(0, 50), (0, 100)]) == Fraction(3, 4)  # nothing priced: equal weights
    assert weighted_progress([(0, 100), (100, 0)]) == 0  # a free item weighs nothing once others cost
    assert percent_string(Fraction(5, 8)) == "62.5"
    assert percent_string(Fraction(1, 3)) == "33.3"
    assert percent_string(Fraction(2, 3)) == "66.7"
    assert percent_string(Fraction(1, 2000)) == "0.1"  # 0.05 % rounds half up
    assert percent_string(Fraction(1)) == "100.0"
    assert percent_string(Fraction(0)) == "0.0"


def test_refuses_out_of_range_inputs():
    with pytest.raises(ValueError):
        weighted_progress([(-1, 10)])
    with pytest.raises(ValueError):
        weighted_progress([(1, 101)])


@given(items)
def test_between_the_smallest_and_largest_item(rows):
    ratio = weighted_progress(rows)
    assert 0 <= ratio <= 1
    if rows:
        assert Fraction(min(p for _, p in rows), 100) <= ratio <= Fraction(max(p for _, p in rows), 100)


@given(items, st.integers(1, 1000))
def test_scaling_every_cost_changes_nothing(rows, k):
    assert weighted_progress([(c * k, p) for c, p in rows]) == weighted_progress(rows)


@given(items)
def test_all_done_is_exactly_one(rows):
    if rows:
        assert weighted_progress([(c, 100) for c, _ in rows]) == 1


@given(st.fractions(min_value=0, max_value=1))
def test_percent_string_is_the_half_up_rounding(ratio):
    shown = Fraction(percent_string(ratio))  # Fraction parses the decimal string exactly
    # Half-up to one decimal: the exact percent lies in [shown - 0.05, shown + 0.05).
    assert shown - Fraction(1, 20) <= ratio * 100 < shown + Fraction(1, 20)
    assert percent_string(ratio).count(".") == 1 and len(percent_string(ratio).split(".")[1]) == 1
