"""Who a ledger row or a unit correction names: the Person already on record, or a new one.

This decides who may later bind to a unit by phone (app.residency.service approves a WeChat-verified phone
equal to an owner's phone at once), so a name alone never reaches a person who has a phone:

- a name with a phone is the person with that same name and that same phone (wherever they own: the
  phone identifies them);
- a name without a phone is a phone-less person of that name already linked to a unit of this estate,
  or met earlier in the same ledger or correction (so one organisation owning two units stays one
  person); otherwise a new person. Never a person with a phone, never someone from another estate.
"""

import uuid
from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.registry.models import Person, PersonKind, PropertyUnit, UnitOccupant

_IN_CHUNK = 500  # values per IN (...) list: well under SQLite's and asyncpg's parameter limits


class PersonMatcher:
    """Finds or creates persons by the rule above; ``new`` are the persons to add to the session."""

    def __init__(self, estate_persons: Iterable[Person], phoned_persons: Iterable[Person] = ()):
        self._by_name_phone: dict[tuple[str, str], Person] = {}
        self._by_name_no_phone: dict[str, Person] = {}
        self.new: list[Person] = []
        for person in phoned_persons:
            self._remember(person)
        for person in estate_persons:
            self._remember(person)

    def _remember(self, person: Person) -> None:
        if person.phone:
            self._by_name_phone.setdefault((person.name, person.phone), person)
        else:
            self._by_name_no_phone.setdefault(person.name, person)

    def get(self, name: str, phone: str | None, kind: PersonKind) -> Person:
        if phone:
            person = self._by_name_phone.get((name, phone))
        else:
            person = self._by_name_no_phone.get(name)
        if person is None:
            person = Person(name=name, phone=phone, kind=kind)
            self.new.append(person)
            self._remember(person)
        return person


async def estate_persons(session: AsyncSession, estate_id: uuid.UUID) -> list[Person]:
    """Everyone linked to a unit of the estate, in any relation."""
    stmt = (
        select(Person)
        .join(UnitOccupant, col(UnitOccupant.person_id) == Person.id)
        .join(PropertyUnit, col(UnitOccupant.unit_id) == PropertyUnit.id)
        .where(PropertyUnit.estate_id == estate_id)
        .distinct()
        .order_by(col(Person.created_at), col(Person.id))  # oldest first: a name always resolves the same way
    )
    return list((await session.exec(stmt)).all())


async def persons_with_phones(session: AsyncSession, phones: Iterable[str]) -> list[Person]:
    """Persons on record with any of these phones (the matcher then requires the name to agree too)."""
    wanted = sorted(set(phones))
    found: list[Person] = []
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        found.extend((await session.exec(select(Person).where(col(Person.phone).in_(chunk)))).all())
    # Oldest first, so that the same (name, phone) always resolves to the same person.
    return sorted(found, key=lambda p: (p.created_at, str(p.id)))
