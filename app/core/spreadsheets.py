"""What every spreadsheet export shares: the media types, the download header, and formula escaping
(a cell starting with ``=``, ``+``, ``-`` or ``@`` is shown as text, never run). Pure."""

import re
from typing import Any
from urllib.parse import quote

MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}
# For a route's ``responses``: a 200 that is a spreadsheet.
SPREADSHEET_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {MEDIA["xlsx"]: {}, "text/csv": {}}}}

_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")


def attachment(ascii_name: str, name: str) -> dict[str, str]:
    """The Content-Disposition header of a download: an ASCII fallback and the real (Chinese) name."""
    return {"Content-Disposition": f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"}


def escape_formula(text: str) -> str:
    """Prefix a quote so a spreadsheet shows the text instead of running it; ``unescape_formula`` undoes it.

    Quotes already in front of a formula character get one more, so the round trip is exact."""
    return "'" + text if _FORMULA_START.match(text) else text


def unescape_formula(text: str) -> str:
    return text[1:] if text.startswith("'") and _FORMULA_START.match(text[1:]) else text
