"""Masking of occupants' personal data (PIPL, docs/personal-information.md).

Only callers at the "contact" level (see access.py) read names and phones in full; everyone else who
may see a unit (committee members, residents) gets these masked forms. Pure functions.
"""


def mask_name(name: str | None) -> str | None:
    """黄军强 -> 黄*强, 邱华 -> 邱*, 欧阳小明 -> 欧**明; one character stays as it is."""
    if not name:
        return name
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str | None:
    """13184986729 -> 131****6729. Numbers too short to keep 3+4 digits are hidden entirely."""
    if not phone:
        return phone
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
