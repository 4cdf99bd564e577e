"""Phone numbers as people type them: "+86 139 0000 0003", "139-0000-0003", "(139)00000003". Pure."""

import re

_SEPARATORS = re.compile(r"[\s\-()（）.]")
_COUNTRY = re.compile(r"^(?:\+?86|0086)(?=1\d{10}$)")


def normalize_phone(value: object) -> object:
    """A mainland mobile number with the separators and the +86 / 0086 prefix people add taken off;
    anything else is returned as it was, for the validator to judge."""
    if not isinstance(value, str):
        return value
    digits = _SEPARATORS.sub("", value.strip())
    return _COUNTRY.sub("", digits)
