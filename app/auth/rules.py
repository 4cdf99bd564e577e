"""Who may assign which role where (docs/roles.md): a pure rule, no database, no FastAPI.

A role is assignable by an admin, or by staff *strictly above* its scope: street staff hand out
community, grid, estate and project (supervisor) roles inside their street; community staff hand out
grid, estate and project roles inside their community. A contractor account belongs to an organisation,
whose accounts the street that registered it manages (a city-level organisation's, admins). Admin and
street staff are made by admins only. The service looks up the scope's
ancestry and asks here.
"""

import uuid
from dataclasses import dataclass

from app.auth.roles import Role
from app.core.phones import PHONE_RE


def is_mobile_phone(value: str) -> bool:
    """Staff accounts, password logins and WeChat-verified phones: a mainland mobile number."""
    return PHONE_RE.fullmatch(value) is not None


@dataclass(frozen=True)
class Assigner:
    is_admin: bool = False
    street_ids: frozenset[uuid.UUID] = frozenset()  # streets where the assigner is street staff
    community_ids: frozenset[uuid.UUID] = frozenset()  # communities where the assigner is community staff


@dataclass(frozen=True)
class Ancestry:
    """Where a scope object sits: the street and community containing it (or being it); an organisation's
    street is the one that registered it."""

    street_id: uuid.UUID | None = None
    community_id: uuid.UUID | None = None


# Residents come from approved unit bindings, never from an assignment.
NEVER_ASSIGNED = frozenset({Role.resident})
ADMIN_ONLY = frozenset({Role.admin, Role.street_staff})


def may_assign(assigner: Assigner, role: Role, ancestry: Ancestry) -> bool:
    if role in NEVER_ASSIGNED:
        return False
    if assigner.is_admin:
        return True
    if role in ADMIN_ONLY:
        return False
    in_street = ancestry.street_id is not None and ancestry.street_id in assigner.street_ids
    if role is Role.contractor:
        # An organisation's accounts are managed by the street that registered it (city-level ones by admins).
        return in_street
    if role is Role.community_staff:
        # Community staff are peers of each other, not above: only the street (or an admin) appoints them.
        return in_street
    if role in (Role.grid_worker, Role.committee_member, Role.supervisor):
        in_community = ancestry.community_id is not None and ancestry.community_id in assigner.community_ids
        return in_street or in_community
    return False
