"""Two separate worlds, A and B, that every domain's permission matrix reuses: the target objects live in
A, B is "elsewhere". Each side is a whole registry chain (street > community > estate with a grid >
building > entrance > unit with an owner on record), a contractor and a designer organisation, and a
project on the estate; in A both organisations are linked to the project.

Objects are kept as plain snapshots: an error response rolls its request back, which expires ORM objects.
"""

import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from sqlmodel import select

from app.auth.models import RoleAssignment
from app.auth.principal import Principal
from app.auth.roles import Role
from app.privacy.models import Purpose
from app.projects.models import ProjectOrganizationRole
from app.registry.models import OrganizationKind
from app.residency.models import BindingStatus, UnitBinding
from tests import factories as f


def _snapshot(obj) -> SimpleNamespace:
    return SimpleNamespace(**obj.model_dump())


@dataclass
class Side:
    street: SimpleNamespace
    community: SimpleNamespace
    estate: SimpleNamespace
    grid: SimpleNamespace
    building: SimpleNamespace
    entrance: SimpleNamespace
    unit: SimpleNamespace
    organization: SimpleNamespace  # a contractor; in A linked to the project as its contractor
    designer: SimpleNamespace  # in A linked to the project as its designer
    project: SimpleNamespace

    @property
    def street_id(self) -> uuid.UUID:
        return self.street.id

    @property
    def community_id(self) -> uuid.UUID:
        return self.community.id

    @property
    def estate_id(self) -> uuid.UUID:
        return self.estate.id

    @property
    def grid_id(self) -> uuid.UUID:
        return self.grid.id

    @property
    def organization_id(self) -> uuid.UUID:
        return self.organization.id

    @property
    def designer_id(self) -> uuid.UUID:
        return self.designer.id

    @property
    def project_id(self) -> uuid.UUID:
        return self.project.id


async def make_side(db) -> Side:
    t = await f.tree(db)
    await f.owner(db, t.unit, name="黄军强", phone="13184986729")
    # The side's street registered both: they serve its projects, and its staff manage their accounts.
    organization = await f.organization(db, street_id=t.street.id)
    designer = await f.organization(db, kind=OrganizationKind.designer, street_id=t.street.id)
    project = await f.project(db, t.estate.id)
    objs = (t.street, t.community, t.estate, t.grid, t.building, t.entrance, t.unit, organization, designer, project)
    return Side(*[_snapshot(o) for o in objs])


@dataclass
class World:
    a: Side
    b: Side

    async def user_for(self, db, variant: str):
        """``variant`` is "admin", or "<role>" / "<role>:in" (scoped to A), "<role>:out" (scoped to B);
        "contractor:designer" is a staff member of A's designer."""
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
        user = await f.user(db, (role, scope))
        if role is Role.supervisor:  # appointed, and agreed that inspections record their position
            await f.consent(db, user, Purpose.location)
        return user

    async def headers_for(self, db, variant: str) -> dict[str, str]:
        return await f.headers(db, await self.user_for(db, variant))

    async def principal_for(self, db, variant: str) -> Principal:
        """The ``Principal`` a request of this variant's user would get, for calling read APIs directly."""
        return await principal_of(db, await self.user_for(db, variant))


async def principal_of(db, user) -> Principal:
    assignments = (await db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id))).all()
    units = (await db.exec(select(UnitBinding.unit_id).where(
        UnitBinding.user_id == user.id, UnitBinding.status == BindingStatus.approved))).all()
    return Principal(user=user, assignments=tuple(assignments), unit_ids=frozenset(units))


async def make_world(db) -> World:
    a, b = await make_side(db), await make_side(db)
    # A's project works with A's contractor and designer; B's organisations work on nothing of A.
    await f.project_organization(db, a.project_id, a.organization_id, ProjectOrganizationRole.contractor)
    await f.project_organization(db, a.project_id, a.designer_id, ProjectOrganizationRole.designer)
    return World(a, b)


@pytest.fixture
async def world(db) -> World:
    return await make_world(db)
