"""Who may never be the one bound (docs/domain.md): a pure rule, no database, no FastAPI.

A binding makes someone an owner who votes. Whoever issued the invitation code, corrected the person's
record or decides the request must not, under any account of theirs, be the one it binds.
"""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    phone: str | None


def benefits_self(beneficiary: Account | None, person_phone: str | None, actors: list[Account]) -> bool:
    """Whether binding ``beneficiary`` (whoever it will be, when None) to a person on record would benefit
    one of the ``actors`` - the accounts of whoever issued the code, corrected the record or decides
    (their own and those they created): the beneficiary is one of those accounts or carries one of their
    phones, or the person's record carries one. Phones are unique per account, so a phone names its
    holder."""
    ids = {a.id for a in actors}
    phones = {a.phone for a in actors if a.phone}
    if person_phone is not None and person_phone in phones:
        return True
    return beneficiary is not None and (beneficiary.id in ids or beneficiary.phone in phones)
