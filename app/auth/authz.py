"""The authorization kit every domain builds on (docs/roles.md).

A domain states *who may see or change what* once, in its ``access.py``, as **conditions**: functions
``(principal, level) -> SQL condition`` selecting the rows of one table a principal may touch at a level
("read", "manage", or a level of the domain's own such as "progress"). Its ``deps.py`` then turns each
condition into Annotated loaders with ``loader``::

    ProjectForRead = Annotated[Project, loader(Project, access.project_condition, "read", param="project_id")]

A loader fetches the object named by the path parameter with the condition in the query: an object
outside the caller's *read* scope is simply not found (404), so ids of other estates leak nothing; an
object the caller can read but not touch at the route's level answers 403.

A condition is decorated with ``@condition``: what it builds depends only on the caller's scope (never on
data, which the query reads when it runs), so the expression built once serves many requests - building
one costs more than running the query it goes into. For the request's caller it is built once per
*shape* of scope (which roles, which scopes hold ids) and level, the ids bound as parameters read from the
caller when the statement runs (``CallerShape``); for anyone else (the worker, a principal made in code) it
is built with the ids written in, memoised per scope.

Role checks that are not about one object (creating a street, reading the audit log) are dependencies
too: ``Annotated[Principal, require_roles(Role.admin)]``.
"""

import functools
import inspect
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar, cast

from fastapi import Depends
from sqlalchemy import Executable, bindparam, case, false
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import AsBoolean, BindParameter, ColumnElement, False_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.deps import CurrentPrincipal
from app.auth.principal import CALLER, Principal
from app.auth.roles import Role
from app.core.db import SessionDep
from app.core.errors import Forbidden, NotFound


class _HasId(Protocol):
    id: uuid.UUID


M = TypeVar("M", bound=_HasId)  # a table model, found by its ``id``
T = TypeVar("T")
S = TypeVar("S", bound=Executable)
# A level is a domain's word for what the caller wants to do; "read" is the one every domain has.
Level = str


class Condition(Protocol):
    """``(principal, level) -> SQL condition``, the level "read" unless given."""

    def __call__(self, p: Principal, level: Any = "read") -> ColumnElement[bool]: ...

    def __hash__(self) -> int: ...  # a key of memoised statements (``_load_statement``)


def _request_caller() -> Principal:
    caller = CALLER.get()
    if caller is None:  # a statement built in a request, run outside it: nothing to read the ids from
        raise RuntimeError("an access condition built for the request's caller ran outside the request")
    return caller


class _CallerIds:
    """The ids of one of the request caller's scopes (a role's, or their bound units), bound when the
    statement runs; ``in_ids`` makes them ``column IN (...)``. It stands only for ids that exist (the
    caller's shape says so), and has none to give while a condition is built."""

    __slots__ = ("param",)

    def __init__(self, role: Role):
        self.param: BindParameter[Any] = bindparam(
            f"authz_{role.value}_ids", expanding=True, callable_=functools.partial(_caller_ids, role))

    def __bool__(self) -> bool:
        return True

    def __iter__(self):
        raise TypeError("the caller's ids are bound when the statement runs: use authz.in_ids")


def _caller_ids(role: Role) -> list[uuid.UUID]:
    return list(_request_caller().scope_ids(role))


_CALLER_IDS = {role: _CallerIds(role) for role in Role}
_CALLER_ID: BindParameter[Any] = bindparam("authz_caller_id", callable_=lambda: _request_caller().id)


class CallerShape:
    """Stands in for the request's caller while a condition is built. The roles (``is_admin``, ``roles``)
    and whether each scope holds ids are the caller's; the ids - ``scope_ids``, ``unit_ids``, ``id`` - are
    parameters bound from ``CALLER`` when the statement runs. So one condition serves every caller of a
    shape: 2,000 residents in turn share one, where each used to build their own. What a condition reads
    of a principal beyond these fails here, loudly, rather than being written into a shared condition."""

    def __init__(self, shape: tuple[frozenset[Role], frozenset[Role]]):
        self.roles, self._held = shape
        self.scope_key = ("shape", *shape)
        self.is_admin = Role.admin in self.roles
        self.unit_ids = self.scope_ids(Role.resident)
        self.id = _CALLER_ID

    def scope_ids(self, role: Role) -> Any:
        return _CALLER_IDS[role] if role in self._held else frozenset()


_SHAPES: dict[tuple, CallerShape] = {}  # a handful: the combinations of roles callers hold


def _standing_for(p: Principal) -> Principal:
    """What a condition is built with for ``p``: its shape if ``p`` is the request's caller (or a shape
    already), else ``p`` itself."""
    if isinstance(p, CallerShape) or p is not CALLER.get():
        return p
    shape = _SHAPES.get(p.shape)
    if shape is None:
        shape = _SHAPES[p.shape] = CallerShape(p.shape)
    return cast(Principal, shape)


def _memoised(build: Callable[[Principal, Any], T]) -> Callable[[Principal, Any], T]:
    """``build`` memoised by the scope it is built for (``_standing_for``: the request caller's shape, else
    the principal's ``scope_key``) and the level: the most recent 256 of each (a few KB each: about 1 MB a
    condition in a worker process, a bound the soak test checks)."""
    built: OrderedDict[tuple, T] = OrderedDict()

    @functools.wraps(build)
    def cached(p: Principal, level: Any = "read") -> T:
        p = _standing_for(p)
        key = (p.scope_key, level)
        if key in built:
            built.move_to_end(key)
            return built[key]
        built[key] = made = build(p, level)
        if len(built) > 256:
            built.popitem(last=False)
        return made

    return cached


def condition(build: Condition) -> Condition:
    """A condition, memoised (``_memoised``): built once per shape of caller and level."""
    return cast(Condition, _memoised(build))


def scoped_statement(build: Callable[[Principal], S]) -> Callable[[Principal], S]:
    """A statement built around a principal's conditions and nothing else of it, memoised as a condition is:
    one per shape of caller, so a request runs it without building it."""
    memo = _memoised(lambda p, _level: build(p))
    return functools.wraps(build)(lambda p: memo(p, None))


def in_ids(column: Any, ids: Iterable[uuid.UUID]) -> ColumnElement[bool]:
    """``column IN ids``, or plain false for no ids (an empty IN is not portable SQL); the request caller's
    ids (``CallerShape``) as a parameter bound when the statement runs."""
    if isinstance(ids, _CallerIds):
        return col(column).in_(ids.param)
    ids = list(ids)
    return column.in_(ids) if ids else false()


def plainly_false(condition: ColumnElement[bool]) -> bool:
    """Whether ``condition`` is the constant false, as ``in_ids``, ``or_`` and ``and_`` leave it for a
    caller without the scope in question."""
    while isinstance(condition, AsBoolean) and condition.operator is operators.is_true:
        condition = condition.element
    return isinstance(condition, False_)


def in_scope(column: Any, ids: Any, scope: ColumnElement[bool]) -> ColumnElement[bool]:
    """``column IN (SELECT ids WHERE scope)``, or plain false when ``scope`` is: a branch the caller cannot
    have (no grid, no unit, nothing managed) is not built at all - building one costs more than running the
    query it goes into - and ``or_`` drops it, so a resident's conditions carry no staff branches."""
    return false() if plainly_false(scope) else col(column).in_(select(ids).where(scope))


@functools.cache
def _load_statement(model: type[M], condition: Condition, level: Level, held: bool) -> Callable[[Principal], Any]:
    """``load_scoped``'s statement for one model, condition, level and lock, memoised per shape of caller
    (``scoped_statement``), the object's id bound when it runs: a request loads its object without building
    the query."""

    def build(p: Principal) -> Any:
        readable = (model.id == bindparam("obj_id"), condition(p, "read"))
        if level == "read":
            stmt = select(model).where(*readable)
            return stmt.with_for_update(read=True, key_share=True) if held else stmt
        leveled = select(model, case((condition(p, level), True), else_=False)).where(*readable)
        return leveled.with_for_update(read=True, key_share=True, of=model) if held else leveled

    return scoped_statement(build)


async def load_scoped(
    session: AsyncSession, model: type[M], obj_id: uuid.UUID, condition: Condition, principal: Principal,
    level: Level = "read", *, held: bool = False,
) -> M:
    """The object, if the principal may read it (else 404) and act on it at ``level`` (else 403): one query,
    the level's condition read beside the object. ``held``: its row is locked FOR KEY SHARE to the end of
    the transaction (a change of its state, which takes it FOR UPDATE, waits; on SQLite a no-op)."""
    stmt = _load_statement(model, condition, level, held)(principal)
    row = (await session.exec(stmt, params={"obj_id": obj_id})).first()
    if row is None:
        raise NotFound()
    if level == "read":
        return cast(M, row)
    if not row[1]:
        raise Forbidden()
    return cast(M, row[0])


async def permits(
    session: AsyncSession, model: type[M], obj_id: uuid.UUID, condition: Condition, principal: Principal,
    level: Level,
) -> bool:
    """Whether the principal may act on the object at ``level`` (a manager sees results early, say)."""
    return (await session.exec(select(model.id).where(model.id == obj_id, condition(principal, level)))).first() \
        is not None


def loader(model: type[M], condition: Condition, level: Level, *, param: str, held: bool = False) -> Any:
    """The dependency loading ``model`` by the path parameter ``param`` at ``level`` (``held``: locked FOR KEY
    SHARE, see ``load_scoped``), for ``Annotated[model, loader(model, ...)]`` (written out, the type is one a
    type checker reads)."""

    async def load(session: AsyncSession, principal: Principal, **path: uuid.UUID) -> M:
        return await load_scoped(session, model, path[param], condition, principal, level, held=held)

    # FastAPI reads the parameters from the signature: the path parameter by its route's name.
    load.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, annotation=uuid.UUID),
        inspect.Parameter("session", inspect.Parameter.KEYWORD_ONLY, annotation=SessionDep),
        inspect.Parameter("principal", inspect.Parameter.KEYWORD_ONLY, annotation=CurrentPrincipal),
    ])
    load.__name__ = f"{model.__name__.lower()}_for_{level}" + ("_held" if held else "")
    return Depends(load)


def require_roles(*roles: Role):
    """Dependency refusing callers who hold none of ``roles`` (403; scope is checked by loaders)."""

    async def _check(principal: CurrentPrincipal) -> Principal:
        if not principal.roles & set(roles):
            raise Forbidden()
        return principal

    return Depends(_check)
