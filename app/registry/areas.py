"""Floor areas: integer hundredths of m² inside, strings with two decimals ("86.50") outside.

Parsed with Decimal, never float, so that no rounding ever reaches a vote tally (DESIGN.md §7).
"""

from decimal import Decimal, InvalidOperation


class AreaError(ValueError):
    """``code`` is one of area_invalid, area_not_positive, area_precision."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def parse_area(value: str | int | Decimal) -> int:
    """``"86.5"`` -> 8650. Refuses non-numbers, values <= 0 and more than two decimals."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise AreaError("area_invalid", "面积必须是数字")
    text = str(value).strip().replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise AreaError("area_invalid", "面积必须是数字") from None
    if not number.is_finite():
        raise AreaError("area_invalid", "面积必须是数字")
    if number <= 0:
        raise AreaError("area_not_positive", "面积必须大于0")
    if -number.normalize().as_tuple().exponent > 2:
        raise AreaError("area_precision", "面积最多保留两位小数")
    return int(number * 100)


def format_area(centi: int) -> str:
    """8650 -> "86.50"."""
    sign = "-" if centi < 0 else ""
    whole, frac = divmod(abs(centi), 100)
    return f"{sign}{whole}.{frac:02d}"
