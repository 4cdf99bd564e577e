"""Access conditions are built once per scope (app.authz.condition), and a change of scope is a new key:
a role granted or removed, or a unit bound, changes what the next request may see at once."""

import uuid

from app.auth.models import RoleAssignment, User
from app.auth.principal import Binding, Principal
from app.auth.residence import BindingRelation
from app.auth.roles import ROLE_SCOPE, Role
from app.projects.access import project_condition


def _principal(user: User, *assignments: RoleAssignment, units: tuple[uuid.UUID, ...] = ()) -> Principal:
    return Principal(user=user, assignments=assignments, unit_ids=frozenset(units),
                     bindings=tuple(Binding(u, None, BindingRelation.owner) for u in units))


def _staff(user: User, community_id: uuid.UUID) -> RoleAssignment:
    return RoleAssignment(id=uuid.uuid4(), user_id=user.id, role=Role.community_staff,
                          scope_type=ROLE_SCOPE[Role.community_staff], scope_id=community_id)


def _sql(condition) -> str:
    return str(condition.compile(compile_kwargs={"literal_binds": True})).replace("-", "")


def test_one_scope_builds_its_condition_once():
    user, community = User(id=uuid.uuid4(), display_name="社区"), uuid.uuid4()
    first = project_condition(_principal(user, _staff(user, community)), "read")
    # The next request's principal is a new object with the same scope (its assignment row re-read).
    assert project_condition(_principal(user, _staff(user, community)), "read") is first
    assert project_condition(_principal(user, _staff(user, community)), "manage") is not first


def test_a_changed_scope_is_a_new_condition():
    user, community, other = User(id=uuid.uuid4(), display_name="社区"), uuid.uuid4(), uuid.uuid4()
    before = project_condition(_principal(user, _staff(user, community)), "manage")
    moved = project_condition(_principal(user, _staff(user, other)), "manage")
    removed = project_condition(_principal(user), "manage")
    assert moved is not before and removed is not before
    assert community.hex not in _sql(moved) and other.hex in _sql(moved)
    unit = uuid.uuid4()
    resident = project_condition(_principal(user, units=(unit,)), "read")
    assert resident is not project_condition(_principal(user), "read")
    assert unit.hex in _sql(resident)


def test_another_user_with_the_same_roles_gets_a_condition_of_their_own():
    """Conditions may name the caller (their own opinions, their own feedback): the user is in the key."""
    community = uuid.uuid4()
    a, b = User(id=uuid.uuid4(), display_name="甲"), User(id=uuid.uuid4(), display_name="乙")
    assert project_condition(_principal(a, _staff(a, community))) is not project_condition(_principal(b, _staff(b, community)))


# ---- what a condition holds: only the branches the caller has ---------------------------------------


def test_a_plainly_false_scope_builds_no_subquery():
    from sqlalchemy import and_, column, false, or_

    from app.auth.authz import in_ids, in_scope, plainly_false
    from app.registry.models import Estate, PropertyUnit

    x = column("x")
    assert plainly_false(in_ids(x, [])) and plainly_false(or_(false(), in_ids(x, [])))
    assert plainly_false(and_(x == 1, false()))
    assert not plainly_false(x == 1) and not plainly_false(or_(false(), x == 1))
    assert plainly_false(in_scope(Estate.id, PropertyUnit.estate_id, in_ids(PropertyUnit.id, [])))
    unit = uuid.uuid4()
    built = _sql(in_scope(Estate.id, PropertyUnit.estate_id, in_ids(PropertyUnit.id, [unit])))
    assert "SELECT property_unit.estate_id" in built and unit.hex in built


def test_a_residents_conditions_carry_no_staff_branches():
    """A resident reads their units' estates and the projects there: no subquery of managed communities,
    worked grids or supervised projects (each was built, then ended in WHERE false)."""
    from app.registry.access import estate_condition

    user, unit = User(id=uuid.uuid4(), display_name="住户"), uuid.uuid4()
    resident = _principal(user, units=(unit,))
    estate, project = _sql(estate_condition(resident, "read")), _sql(project_condition(resident, "read"))
    for sql in (estate, project):
        assert unit.hex in sql
        assert "community" not in sql and "building" not in sql and "false" not in sql.lower()
    assert _sql(project_condition(resident, "manage")) == "false"
    # Staff keep their branch: what they manage.
    community = uuid.uuid4()
    staff = _sql(project_condition(_principal(user, _staff(user, community)), "manage"))
    assert community.hex in staff and "community" in staff
