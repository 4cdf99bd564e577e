"""Phone numbers as people type them: "+86 139 0000 0003", "139-0000-0003", "(139)00000003". Pure."""

import re
from typing import Annotated

from pydantic import BeforeValidator, Field

from app.core.i18n import define_pattern

# A mainland mobile number: 11 digits, 1 then 3-9.
PHONE_PATTERN = r"^1[3-9]\d{9}$"
PHONE_RE = re.compile(PHONE_PATTERN)
define_pattern(PHONE_PATTERN, "手机号须为11位手机号码（1开头，第二位3-9）",
               "The phone must be an 11-digit mainland mobile number (1, then 3-9)")

# A mainland mobile number inside free text, as people write one (+86, spaces or dashes between digits).
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9](?:[\s-]?\d){9}(?!\d)")


# Identifiers whose digits can read as a phone number: a UUID, a hex digest, a vote's receipt code.
OPAQUE = re.compile(r"(?<![0-9A-Za-z-])(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32,}"
                    r"|[0-9A-F]{4}(?:-[0-9A-F]{4}){3})(?![0-9A-Za-z-])")


def hide_phones(text: str, mark: str = "[电话已隐去]") -> str:
    """``text`` with every mobile number in it replaced by ``mark`` (free text shown to the public, log
    lines); identifiers (``OPAQUE``) are left whole."""
    out, last = [], 0
    for opaque in OPAQUE.finditer(text):
        out += [PHONE_IN_TEXT.sub(mark, text[last:opaque.start()]), opaque.group()]
        last = opaque.end()
    out.append(PHONE_IN_TEXT.sub(mark, text[last:]))
    return "".join(out)


_SEPARATORS = re.compile(r"[\s\-()（）.]")
_COUNTRY = re.compile(r"^(?:\+?86|0086)(?=1\d{10}$)")


def normalize_phone(value: object) -> object:
    """A mainland mobile number with the separators and the +86 / 0086 prefix people add taken off;
    anything else is returned as it was, for the validator to judge."""
    if not isinstance(value, str):
        return value
    digits = _SEPARATORS.sub("", value.strip())
    return _COUNTRY.sub("", digits)


# A phone field of a request: "+86 139 0000 0003" and "139-0000-0003" are taken as typed.
MobilePhone = Annotated[str, BeforeValidator(normalize_phone), Field(pattern=PHONE_PATTERN)]
