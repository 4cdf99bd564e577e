"""The pure role-assignment rule."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from app.auth.roles import Role
from app.auth.rules import Ancestry, Assigner, may_assign

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
