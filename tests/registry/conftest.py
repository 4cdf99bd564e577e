"""Two separate registry worlds, A and B, for scope tests: the target objects live in A."""

import uuid
from dataclasses import dataclass

import pytest

from app.auth.models import Role
from app.registry.models import Organization, OrganizationKind
from tests import factories as f


@dataclass
class Side:
    street: object
    community: object
    estate: object
    grid: object
    building: object
    entrance: object
    unit: object
    organization: object


async def make_side(db, tag: str) -> Side:
    t = await f.tree(db)
    await f.owner(db, t.unit, name="黄军强", phone="13184986729")
    organization = Organization(name=f"施工单位{tag}{uuid.uuid4().hex[:6]}", kind=OrganizationKind.contractor)
    db.add(organization)
    await db.flush()
    return Side(t.street, t.community, t.estate, t.grid, t.building, t.entrance, t.unit, organization)


@dataclass
class World:
    a: Side
    b: Side

    async def headers_for(self, db, variant: str) -> dict[str, str]:
        """``variant`` is "admin", "supervisor", or "<role>:in" / "<role>:out" (scoped to A or to B)."""
        role_name, _, where = variant.partition(":")
        role = Role(role_name)
        side = self.a if where != "out" else self.b
        if role is Role.resident:
            user = await f.user(db)
            await f.bind(db, user, side.unit)
        else:
            scope = {
                Role.admin: None,
                Role.street_staff: side.street.id,
                Role.community_staff: side.community.id,
                Role.grid_worker: side.grid.id,
                Role.supervisor: uuid.uuid4(),  # a project: gives no registry access
                Role.contractor: side.organization.id,
                Role.committee_member: side.estate.id,
            }[role]
            user = await f.user(db, (role, scope))
        return await f.headers(db, user)


@pytest.fixture
async def world(db) -> World:
    return World(await make_side(db, "A"), await make_side(db, "B"))
