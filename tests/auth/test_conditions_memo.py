"""Access conditions are built once per scope (app.authz.condition), and a change of scope is a new key:
a role granted or removed, or a unit bound, changes what the next request may see at once."""

import uuid

import pytest

from app.auth.models import RoleAssignment, User
from app.auth.principal import CALLER, Binding, Principal
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


# ---- the request's caller: one condition per shape, the ids bound when the statement runs -----------


@pytest.fixture(autouse=True)
def _no_caller_after():
    yield
    CALLER.set(None)


def _as_caller(p: Principal) -> Principal:
    CALLER.set(p)
    return p


def test_the_request_callers_of_one_shape_share_a_condition_without_their_ids_in_it():
    """2,000 residents in turn used to build 2,000 conditions; now they share one per level, with no id in
    its text (each is bound from the caller when the statement runs)."""
    from app.registry.access import estate_condition

    a, b = User(id=uuid.uuid4(), display_name="甲"), User(id=uuid.uuid4(), display_name="乙")
    unit_a, unit_b = uuid.uuid4(), uuid.uuid4()
    first = estate_condition(_as_caller(_principal(a, units=(unit_a,))), "read")
    second = estate_condition(_as_caller(_principal(b, units=(unit_b, uuid.uuid4()))), "read")
    assert second is first
    assert "authz_resident_ids" in str(first.compile())
    # Its values are the caller's at the time it runs: now b's.
    assert unit_b.hex in _sql(first) and unit_a.hex not in _sql(first)
    # Another shape (a grid worker who is also a resident) is another condition, with the grid branch.
    grid = RoleAssignment(id=uuid.uuid4(), user_id=a.id, role=Role.grid_worker,
                          scope_type=ROLE_SCOPE[Role.grid_worker], scope_id=uuid.uuid4())
    worker = estate_condition(_as_caller(_principal(a, grid, units=(unit_a,))), "read")
    assert worker is not first and "authz_grid_worker_ids" in str(worker.compile())


def test_a_principal_other_than_the_caller_gets_its_ids_written_in():
    """The worker, or a principal made in code during a request: no caller to bind from, so the ids are in
    the condition (memoised by the whole scope, as before)."""
    from app.registry.access import estate_condition

    user, unit = User(id=uuid.uuid4(), display_name="住户"), uuid.uuid4()
    _as_caller(_principal(User(id=uuid.uuid4(), display_name="别人"), units=(uuid.uuid4(),)))
    other = estate_condition(_principal(user, units=(unit,)), "read")
    assert unit.hex in _sql(other) and "authz_" not in str(other.compile())
    CALLER.set(None)
    assert unit.hex in _sql(estate_condition(_principal(user, units=(unit,)), "read"))


def test_a_callers_condition_gives_nothing_outside_its_request():
    """Run where no caller is set (the statement escaped its request), the bound ids fail the statement
    rather than match anything."""
    from app.registry.access import estate_condition

    built = estate_condition(_as_caller(_principal(User(id=uuid.uuid4(), display_name="甲"), units=(uuid.uuid4(),))))
    CALLER.set(None)
    params = built.compile().binds
    with pytest.raises(RuntimeError, match="outside the request"):
        next(p.effective_value for p in params.values() if p.key == "authz_resident_ids")


def test_a_shape_has_no_ids_to_give_while_a_condition_is_built():
    """A condition that reads the ids in Python (to count them, say) would write one caller's ids into a
    condition every caller of the shape shares: it fails instead."""
    from app.auth.authz import CallerShape

    p = _principal(User(id=uuid.uuid4(), display_name="甲"), units=(uuid.uuid4(),))
    shape = CallerShape(p.shape)
    assert shape.unit_ids and not shape.scope_ids(Role.grid_worker)
    with pytest.raises(TypeError):
        list(shape.unit_ids)
    with pytest.raises(AttributeError):
        shape.bindings  # noqa: B018


async def test_callers_of_one_shape_each_read_their_own_estate(db):
    """One shared condition, run for two residents of different estates in turn: each reads their own."""
    from sqlmodel import select

    from app.registry.access import estate_condition
    from app.registry.models import Estate
    from tests import factories as f

    here, there = await f.tree(db), await f.tree(db)
    a = _principal(User(id=uuid.uuid4(), display_name="甲"), units=(here.unit.id,))
    b = _principal(User(id=uuid.uuid4(), display_name="乙"), units=(there.unit.id,))
    statement = select(Estate.id).where(estate_condition(_as_caller(a)))
    assert estate_condition(_as_caller(b)) is estate_condition(_as_caller(a))
    assert set((await db.exec(statement)).all()) == {here.estate.id}
    _as_caller(b)
    assert set((await db.exec(statement)).all()) == {there.estate.id}


async def test_a_statement_kept_per_shape_reads_each_callers_own_rows(db):
    """``scoped_statement``: a whole statement around the caller's conditions, built once per shape like a
    condition; run for two residents in turn it answers each one's own rows, and for a principal that is
    not the caller it is built anew with the ids written in."""
    from sqlmodel import select

    from app.auth.authz import scoped_statement
    from app.registry.access import estate_condition
    from app.registry.models import Estate
    from tests import factories as f

    built: list[Principal] = []

    @scoped_statement
    def estates(p: Principal):
        built.append(p)
        return select(Estate.id).where(estate_condition(p))

    here, there = await f.tree(db), await f.tree(db)
    a = _principal(User(id=uuid.uuid4(), display_name="甲"), units=(here.unit.id,))
    b = _principal(User(id=uuid.uuid4(), display_name="乙"), units=(there.unit.id,))
    statement = estates(_as_caller(a))
    assert set((await db.exec(statement)).all()) == {here.estate.id}
    assert estates(_as_caller(b)) is statement and len(built) == 1
    assert set((await db.exec(statement)).all()) == {there.estate.id}
    other = estates(_principal(User(id=uuid.uuid4(), display_name="丙"), units=(here.unit.id,)))  # b is the caller
    assert other is not statement and len(built) == 2
    assert set((await db.exec(other)).all()) == {here.estate.id}


async def test_load_scoped_keeps_one_statement_per_shape_and_answers_each_caller(db):
    """``load_scoped`` runs a statement kept per model, condition, level and shape of caller, the object's id
    bound: two residents of the same shape in turn each load their own estate and get 404 for the other's."""
    from app.auth import authz
    from app.core.errors import NotFound
    from app.registry.access import estate_condition
    from app.registry.models import Estate
    from tests import factories as f

    here, there = await f.tree(db), await f.tree(db)
    a = _principal(User(id=uuid.uuid4(), display_name="甲"), units=(here.unit.id,))
    b = _principal(User(id=uuid.uuid4(), display_name="乙"), units=(there.unit.id,))
    for caller, own, other in ((a, here, there), (b, there, here), (a, here, there)):
        _as_caller(caller)
        statement = authz._load_statement(Estate, estate_condition, "read", False)(caller)
        assert (await authz.load_scoped(db, Estate, own.estate.id, estate_condition, caller)).id == own.estate.id
        with pytest.raises(NotFound):
            await authz.load_scoped(db, Estate, other.estate.id, estate_condition, caller)
        assert authz._load_statement(Estate, estate_condition, "read", False)(caller) is statement
    assert authz._load_statement(Estate, estate_condition, "read", False)(a) is statement  # one shape, one statement
