"""The pure role-assignment rule."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from app.auth.roles import Role
from app.auth.rules import Account, Ancestry, Assigner, may_assign

S1, S2, C1, C2 = (uuid.uuid4() for _ in range(4))
in_c1 = Ancestry(street_id=S1, community_id=C1)
in_c2 = Ancestry(street_id=S2, community_id=C2)
street_staff = Assigner(street_ids=frozenset({S1}))
community_staff = Assigner(community_ids=frozenset({C1}))


def test_street_staff_matrix():
    assert may_assign(street_staff, Role.community_staff, in_c1)
    assert may_assign(street_staff, Role.grid_worker, in_c1)
    assert may_assign(street_staff, Role.committee_member, in_c1)
    assert may_assign(street_staff, Role.supervisor, in_c1)
    assert may_assign(street_staff, Role.contractor, Ancestry(street_id=S1))  # an organisation of their street
    assert not may_assign(street_staff, Role.contractor, Ancestry())  # city-level: admins' alone
    assert not may_assign(street_staff, Role.contractor, Ancestry(street_id=S2))
    assert not may_assign(street_staff, Role.supervisor, in_c2)
    assert not may_assign(street_staff, Role.community_staff, in_c2)
    assert not may_assign(street_staff, Role.grid_worker, in_c2)
    assert not may_assign(street_staff, Role.street_staff, Ancestry(street_id=S1))
    assert not may_assign(street_staff, Role.admin, Ancestry())


def test_community_staff_matrix():
    assert may_assign(community_staff, Role.grid_worker, in_c1)
    assert may_assign(community_staff, Role.committee_member, in_c1)
    assert not may_assign(community_staff, Role.community_staff, in_c1)  # peers, not above
    assert not may_assign(community_staff, Role.grid_worker, Ancestry(street_id=S1, community_id=C2))
    assert may_assign(community_staff, Role.supervisor, in_c1)
    assert not may_assign(community_staff, Role.contractor, Ancestry(street_id=S1))


scopes = st.builds(Ancestry, st.sampled_from([None, S1, S2]), st.sampled_from([None, C1, C2]))
assigners = st.builds(
    Assigner,
    st.booleans(),
    st.frozensets(st.sampled_from([S1, S2])),
    st.frozensets(st.sampled_from([C1, C2])),
)


@given(assigners, st.sampled_from(list(Role)), scopes)
def test_invariants(assigner, role, ancestry):
    allowed = may_assign(assigner, role, ancestry)
    if role is Role.resident:
        assert not allowed
    elif assigner.is_admin:
        assert allowed
    if role in (Role.admin, Role.street_staff) and not assigner.is_admin:
        assert not allowed
    if allowed and not assigner.is_admin and role is Role.contractor:
        # An organisation's accounts are its own street's to manage.
        assert ancestry.street_id in assigner.street_ids
    if not (assigner.is_admin or assigner.street_ids or assigner.community_ids):
        assert not allowed  # only staff assign
    if allowed and not assigner.is_admin and role is not Role.contractor:
        # Strictly above: inside the assigner's street, or (not for community roles) their community.
        assert ancestry.street_id in assigner.street_ids or (
            role is not Role.community_staff and ancestry.community_id in assigner.community_ids
        )


def test_benefits_self_cases():
    from app.auth.rules import Account, benefits_self

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
    from app.auth.rules import benefits_self

    expected = (person_phone is not None and person_phone in {a.phone for a in actors}) or (
        beneficiary is not None and (beneficiary.id in {a.id for a in actors}
                                     or (beneficiary.phone is not None and beneficiary.phone in {a.phone for a in actors})))
    assert benefits_self(beneficiary, person_phone, actors) == expected
    assert not benefits_self(beneficiary, person_phone, [])  # nobody acted: nobody benefits themselves
