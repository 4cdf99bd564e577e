"""Floor areas: integer hundredths of m² inside, strings with two decimals ("86.50") outside.

Parsed with Decimal, never float, so that no rounding ever reaches a vote tally (docs/domain.md).
"""

import re
from decimal import Decimal, InvalidOperation

from app.core.i18n import Text

# 100,000 m² is far above any one unit and keeps every area (and an estate's sum) inside int4/bigint.
MAX_AREA_CENTI = 10_000_000
# Plain decimal notation only: no exponent ("1e20"), no underscores ("1_000"), no NaN or infinity.
_DECIMAL_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


AREA_TEXTS = {
    "area_invalid": Text("面积必须是数字", "The area must be a number"),
    "area_not_positive": Text("面积必须大于0", "The area must be greater than 0"),
    "area_too_large": Text("面积不能超过100000.00㎡", "The area cannot exceed 100000.00 m²"),
    "area_precision": Text("面积最多保留两位小数", "The area has at most two decimal places"),
}


class AreaError(ValueError):
    """``code`` is one of ``AREA_TEXTS``; ``text`` its message in both languages."""

    def __init__(self, code: str):
        self.code = code
        self.text = AREA_TEXTS[code]
        super().__init__(self.text.zh)


def parse_area(value: str | int | Decimal) -> int:
    """``"86.5"`` -> 8650. Refuses non-numbers, values <= 0 or above 100000.00 and more than two decimals."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise AreaError("area_invalid")
    text = str(value).strip().replace(",", "")
    if not _DECIMAL_RE.match(text):
        raise AreaError("area_invalid")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise AreaError("area_invalid") from None
    if number <= 0:
        raise AreaError("area_not_positive")
    if number * 100 > MAX_AREA_CENTI:
        raise AreaError("area_too_large")
    exponent = number.normalize().as_tuple().exponent  # a letter only for NaN and infinity, which the pattern refuses
    if isinstance(exponent, int) and -exponent > 2:
        raise AreaError("area_precision")
    return int(number * 100)


def format_area(centi: int) -> str:
    """8650 -> "86.50"."""
    sign = "-" if centi < 0 else ""
    whole, frac = divmod(abs(centi), 100)
    return f"{sign}{whole}.{frac:02d}"
