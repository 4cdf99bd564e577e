"""A project's overall progress: its items' percentages weighted by estimated cost, in exact arithmetic.

Residents compare the published figure with what they see built, so it must not drift with float
rounding: the ratio is a ``Fraction`` and the displayed percent is rounded half-up from it.
Pure: imports nothing from the database or FastAPI.
"""

from collections.abc import Iterable
from fractions import Fraction


def weighted_progress(items: Iterable[tuple[int, int]]) -> Fraction:
    """Completed share in [0, 1] of items given as (estimated_cost_fen, percent 0..100).

    Weighted by cost; when the total cost is 0 (nothing priced yet) every item weighs the same.
    No items: 0.
    """
    items = list(items)
    for cost, percent in items:
        if cost < 0 or not 0 <= percent <= 100:
            raise ValueError("cost must be >= 0 and percent within 0..100")
    if not items:
        return Fraction(0)
    total = sum(cost for cost, _ in items)
    if total == 0:
        return Fraction(sum(percent for _, percent in items), 100 * len(items))
    return Fraction(sum(cost * percent for cost, percent in items), 100 * total)


def percent_string(ratio: Fraction) -> str:
    """``ratio`` as a percent with one decimal, rounded half-up ("42.5"); never through a float."""
    if ratio < 0:
        raise ValueError("progress cannot be negative")
    tenths = int(ratio * 1000 + Fraction(1, 2))  # floor of a non-negative number: half-up rounding
    return f"{tenths // 10}.{tenths % 10}"
