"""Who is calling: the user, their role assignments and the units they are bound to."""

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Role, RoleAssignment, User
from app.auth.residence import RANK, Assurance, BindingRelation

STAFF_ROLES = frozenset({Role.admin, Role.street_staff, Role.community_staff, Role.grid_worker})


class Binding(NamedTuple):
    """An approved binding of the caller's: the unit, the person on record it names (if any), the relation,
    and how the person was verified."""

    unit_id: uuid.UUID
    person_id: uuid.UUID | None
    relation: BindingRelation
    assurance: Assurance | None = None


@dataclass(frozen=True)
class Principal:
    user: User
    assignments: tuple[RoleAssignment, ...] = ()
    unit_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)  # approved bindings
    bindings: tuple[Binding, ...] = ()  # the same bindings in full (from the request's principal)

    @cached_property
    def scope_key(self) -> tuple:
        """Everything about the caller that an access condition may read: the user, each assignment's role
        and scope, the bound units and persons. Two principals with one key get the same conditions."""
        return (self.user.id, frozenset((a.role, a.scope_id) for a in self.assignments), self.unit_ids, self.bindings)

    @cached_property
    def shape(self) -> tuple[frozenset[Role], frozenset[Role]]:
        """What the *text* of an access condition built for the caller depends on: their roles, and the
        roles (the resident's too) whose scopes hold any ids. ``app.auth.authz`` builds one condition per
        shape and level for the request's caller, with the ids bound when the statement runs."""
        return self.roles, frozenset(role for role in Role if self.scope_ids(role))

    @property
    def unit_relations(self) -> dict[uuid.UUID, BindingRelation]:
        """The units bound to, each with the relation bound in."""
        return {b.unit_id: b.relation for b in self.bindings}

    @property
    def bound_persons(self) -> dict[uuid.UUID, BindingRelation]:
        """The persons on record bound as (bindings that name one), with the relation."""
        return {b.person_id: b.relation for b in self.bindings if b.person_id is not None}

    def assurance_as(self, person_ids: set[uuid.UUID]) -> Assurance | None:
        """The strongest assurance of the caller's bindings naming one of ``person_ids``."""
        held = [b.assurance for b in self.bindings if b.person_id in person_ids and b.assurance is not None]
        return max(held, key=RANK.__getitem__, default=None)

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def roles(self) -> frozenset[Role]:
        roles = {a.role for a in self.assignments}
        if self.unit_ids:
            roles.add(Role.resident)
        return frozenset(roles)

    @property
    def is_admin(self) -> bool:
        return Role.admin in self.roles

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def scope_ids(self, role: Role) -> frozenset[uuid.UUID]:
        """The ids of the objects this principal's assignments of ``role`` are scoped to."""
        if role is Role.resident:
            return self.unit_ids
        return frozenset(a.scope_id for a in self.assignments if a.role == role and a.scope_id is not None)


def versions_move(session: AsyncSession) -> bool:
    """Whether a user's ``principal_version`` moves with every change of what they may do (PostgreSQL's
    triggers, migrations 0019 and 0021; ``app.auth.caller_cache``): what a domain keeps per caller and
    version then stays true until the version moves. SQLite keeps no versions."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


# The caller of the request under way, set by ``app.auth.deps.get_principal``: the access conditions built
# for it read its ids from here when their statement runs (``app.auth.authz.condition``).
CALLER: ContextVar[Principal | None] = ContextVar("caller", default=None)
