"""The rule that nobody who acts on a binding is the one it binds (``app.residency.rules``)."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from app.residency.rules import Account, benefits_self


def test_benefits_self_cases():
    me, mine, other = Account(uuid.uuid4(), "13800000001"), Account(uuid.uuid4(), "13800000002"), Account(uuid.uuid4(), "13900000009")
    actors = [me, mine]  # an actor's own account and one they created
    assert benefits_self(me, None, actors)  # the actor themselves
    assert benefits_self(mine, None, actors)  # an account they created
    assert benefits_self(Account(uuid.uuid4(), "13800000002"), None, actors)  # one of their phones
    assert benefits_self(other, "13800000001", actors)  # the person on record carries their phone
    assert benefits_self(None, "13800000002", actors)  # whoever redeems it
    assert not benefits_self(other, "13700000000", actors)
    assert not benefits_self(other, None, [])
    assert not benefits_self(Account(uuid.uuid4(), None), None, [Account(uuid.uuid4(), None)])  # no phone matches no phone


phones = st.sampled_from([None, "13800000001", "13800000002", "13800000003"])
accounts = st.builds(Account, st.sampled_from([uuid.UUID(int=i) for i in range(4)]), phones)


@given(st.one_of(st.none(), accounts), phones, st.lists(accounts, max_size=4))
def test_benefits_self_is_exactly_sharing_an_account_or_a_phone(beneficiary, person_phone, actors):
    expected = (person_phone is not None and person_phone in {a.phone for a in actors}) or (
        beneficiary is not None and (beneficiary.id in {a.id for a in actors}
                                     or (beneficiary.phone is not None and beneficiary.phone in {a.phone for a in actors})))
    assert benefits_self(beneficiary, person_phone, actors) == expected
    assert not benefits_self(beneficiary, person_phone, [])  # nobody acted: nobody benefits themselves
