"""Object-level access to the registry, in one place (docs/roles.md).

Each function returns a SQL condition selecting the rows of one table that a principal may see or
change. Loaders add it to an ``id ==`` query: a row outside the scope is simply not found (404), so ids
of other estates do not leak.

Levels:
- ``manage``: create and change the ledger, see personal data in full - admin, street staff (their
  street), community staff (their community).
- ``contact``: see personal data in full and correct units - the above plus grid workers (their grids).
- ``read``: see the object - the above plus committee members (their estate) and residents (their
  bound units, and the estate and buildings around them).
"""

from typing import Any, Literal

from sqlalchemy import or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.auth.authz import condition, in_scope
from app.auth.authz import in_ids as _in
from app.auth.principal import Principal
from app.auth.roles import Role
from app.registry import hooks
from app.registry.models import (
    Building,
    Community,
    Estate,
    Grid,
    Organization,
    PropertyUnit,
    RegistryImport,
    Street,
)

Level = Literal["manage", "contact", "read"]


def _managed_communities(p: Principal) -> ColumnElement[bool]:
    """Condition on ``Community``: those a principal manages (their own, or those of their street)."""
    return or_(_in(Community.id, p.scope_ids(Role.community_staff)), _in(Community.street_id, p.scope_ids(Role.street_staff)))


def _other_readers(p: Principal, column: Any) -> list[ColumnElement[bool]]:
    """``column`` (an estate id) among the estates other domains let ``p`` read (``hooks.EstateReaders``)."""
    return [col(column).in_(q) for q in (readers(p) for readers in hooks.estate_readers()) if q is not None]


@condition
def street_condition(p: Principal, level: Level = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    own = _in(Street.id, p.scope_ids(Role.street_staff))
    if level == "manage":
        return own
    # Anyone with something inside a street may read the street's name.
    return or_(own, in_scope(Street.id, Community.street_id, community_condition(p, level)))


@condition
def community_condition(p: Principal, level: Level = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    managed = _managed_communities(p)
    if level == "manage":
        return managed
    return or_(managed, in_scope(Community.id, Estate.community_id, estate_condition(p, level)))


@condition
def estate_condition(p: Principal, level: Level = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    managed = in_scope(Estate.community_id, Community.id, _managed_communities(p))
    if level == "manage":
        return managed
    grid = in_scope(Estate.id, Building.estate_id, _in(Building.grid_id, p.scope_ids(Role.grid_worker)))
    if level == "contact":
        return or_(managed, grid)
    committee = _in(Estate.id, p.scope_ids(Role.committee_member))
    resident = in_scope(Estate.id, PropertyUnit.estate_id, _in(PropertyUnit.id, p.unit_ids))
    return or_(managed, grid, committee, resident, *_other_readers(p, Estate.id))


@condition
def building_condition(p: Principal, level: Level = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    managed = in_scope(Building.estate_id, Estate.id, estate_condition(p, "manage"))
    if level == "manage":
        return managed
    grid = _in(Building.grid_id, p.scope_ids(Role.grid_worker))
    if level == "contact":
        return or_(managed, grid)
    committee = _in(Building.estate_id, p.scope_ids(Role.committee_member))
    resident = in_scope(Building.estate_id, PropertyUnit.estate_id, _in(PropertyUnit.id, p.unit_ids))
    return or_(managed, grid, committee, resident, *_other_readers(p, Building.estate_id))


@condition
def unit_condition(p: Principal, level: Level = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    managed = in_scope(PropertyUnit.estate_id, Estate.id, estate_condition(p, "manage"))
    if level == "manage":
        return managed
    grid = in_scope(PropertyUnit.building_id, Building.id, _in(Building.grid_id, p.scope_ids(Role.grid_worker)))
    if level == "contact":
        return or_(managed, grid)
    committee = _in(PropertyUnit.estate_id, p.scope_ids(Role.committee_member))
    return or_(managed, grid, committee, _in(PropertyUnit.id, p.unit_ids))


@condition
def grid_condition(p: Principal, level: Level = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    managed = in_scope(Grid.community_id, Community.id, _managed_communities(p))
    if level == "manage":
        return managed
    return or_(managed, _in(Grid.id, p.scope_ids(Role.grid_worker)))


@condition
def organization_condition(p: Principal, level: Level = "read") -> ColumnElement[bool]:
    """Staff pick organisations for projects, so they read them all; contractors read their own only.

    Creating one is a role check (admin, street staff: the client of the works), not a scope.
    """
    if p.roles & {Role.admin, Role.street_staff, Role.community_staff, Role.grid_worker}:
        return true()
    return _in(Organization.id, p.scope_ids(Role.contractor))


@condition
def import_condition(p: Principal, level: Level = "read") -> ColumnElement[bool]:
    """A ledger import is its estate's managers' business, to read as to make."""
    if p.is_admin:
        return true()
    return in_scope(RegistryImport.estate_id, Estate.id, estate_condition(p, "manage"))
