"""Exact figures for display: a share computed as a fraction of integers, rounded half up only when shown."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def percent(part: int, whole: int, places: int = 1) -> str:
    """``part / whole`` as a percentage with ``places`` decimals ("0.0" of nothing)."""
    quantum = Decimal(1).scaleb(-places)
    if whole == 0:
        return str(Decimal(0).quantize(quantum))
    exact = Fraction(part * 100, whole)
    return str((Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(quantum, ROUND_HALF_UP))
