"""Roles and the kinds of object their scopes are (docs/roles.md). Every domain may import this module."""

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    street_staff = "street_staff"
    community_staff = "community_staff"
    grid_worker = "grid_worker"
    supervisor = "supervisor"
    contractor = "contractor"
    committee_member = "committee_member"
    resident = "resident"


class ScopeType(StrEnum):
    global_ = "global"
    street = "street"
    community = "community"
    estate = "estate"
    grid = "grid"
    project = "project"
    organization = "organization"
    unit = "unit"


# docs/roles.md: the kind of object each role's scope is. Residents are scoped by approved unit bindings.
ROLE_SCOPE: dict[Role, ScopeType] = {
    Role.admin: ScopeType.global_,
    Role.street_staff: ScopeType.street,
    Role.community_staff: ScopeType.community,
    Role.grid_worker: ScopeType.grid,
    Role.supervisor: ScopeType.project,
    Role.contractor: ScopeType.organization,
    Role.committee_member: ScopeType.estate,
    Role.resident: ScopeType.unit,
}
