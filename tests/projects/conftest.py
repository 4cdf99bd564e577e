"""Two separate worlds for project scope tests: A holds the target project, B is "elsewhere".

Ids are kept as plain values: an error response rolls its request back, which expires ORM objects.
"""

import uuid
from dataclasses import dataclass

import pytest

from app.auth.models import Role
from app.projects import lifecycle
from app.projects.lifecycle import Guard
from app.projects.models import ProjectOrganizationRole
from app.registry.models import OrganizationKind
from tests import factories as f


@dataclass
class Side:
    street_id: uuid.UUID
    community_id: uuid.UUID
    estate_id: uuid.UUID
    grid_id: uuid.UUID
    unit: object
    organization_id: uuid.UUID  # in A: linked to the project as its contractor
    designer_id: uuid.UUID  # in A: linked to the project as its designer
    project_id: uuid.UUID


async def make_side(db) -> Side:
    t = await f.tree(db)
    organization = await f.organization(db)
    designer = await f.organization(db, kind=OrganizationKind.designer)
    project = await f.project(db, t.estate.id)
    return Side(t.street.id, t.community.id, t.estate.id, t.grid.id, t.unit, organization.id, designer.id, project.id)


@dataclass
class World:
    a: Side
    b: Side

    async def user_for(self, db, variant: str):
        """``variant`` is "admin" or "<role>:in" / "<role>:out"; "contractor:designer" works for A's designer."""
        role_name, _, where = variant.partition(":")
        role = Role(role_name)
        side = self.b if where == "out" else self.a
        if role is Role.resident:
            user = await f.user(db)
            await f.bind(db, user, side.unit)
            return user
        scope = {
            Role.admin: None,
            Role.street_staff: side.street_id,
            Role.community_staff: side.community_id,
            Role.grid_worker: side.grid_id,
            Role.supervisor: side.project_id,
            Role.contractor: side.designer_id if where == "designer" else side.organization_id,
            Role.committee_member: side.estate_id,
        }[role]
        return await f.user(db, (role, scope))

    async def headers_for(self, db, variant: str) -> dict[str, str]:
        return await f.headers(db, await self.user_for(db, variant))


@pytest.fixture
async def world(db) -> World:
    a, b = await make_side(db), await make_side(db)
    # A's project works with A's contractor and designer; B's organisations work on nothing of A.
    await f.project_organization(db, a.project_id, a.organization_id, ProjectOrganizationRole.contractor)
    await f.project_organization(db, a.project_id, a.designer_id, ProjectOrganizationRole.designer)
    return World(a, b)


class LaterGuards:
    """Test checks standing in for the guards of domains not built yet (``PROVIDED_BY_LATER_DOMAINS``).

    Each refuses until ``allow(name)``; ``refuse(name)`` closes it again.
    """

    def __init__(self) -> None:
        self.allowed: set[str] = set()

    def allow(self, *names: str) -> None:
        self.allowed |= set(names)

    def refuse(self, *names: str) -> None:
        self.allowed -= set(names)


@pytest.fixture
def later_guards():
    """Register the stand-ins for this test only, and put back whatever was registered before."""
    control = LaterGuards()
    saved = {name: lifecycle.registry.get(name) for name in sorted(lifecycle.PROVIDED_BY_LATER_DOMAINS)}
    for name in saved:
        async def check(session, project, name=name) -> bool:
            return name in control.allowed

        lifecycle.registry.unregister(name)
        lifecycle.registry.register(Guard(name, lifecycle.registry.edges_requiring(name),
                                          f"测试：{name} 未满足", f"test: {name} not met", check))
    try:
        yield control
    finally:
        for name, guard in saved.items():
            lifecycle.registry.unregister(name)
            if guard is not None:
                lifecycle.registry.register(guard)
