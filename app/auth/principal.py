"""Who is calling: the user, their role assignments and the units they are bound to."""

import uuid
from dataclasses import dataclass, field

from app.auth.models import Role, RoleAssignment, User

STAFF_ROLES = frozenset({Role.admin, Role.street_staff, Role.community_staff, Role.grid_worker})


@dataclass(frozen=True)
class Principal:
    user: User
    assignments: tuple[RoleAssignment, ...] = ()
    unit_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)  # approved bindings

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
