"""Factories for test data: registry objects, users with roles, and their bearer headers."""

import uuid
from dataclasses import dataclass
from itertools import count

from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import (
    ROLE_SCOPE,
    AuthSession,
    BindingMethod,
    BindingRelation,
    BindingStatus,
    Role,
    RoleAssignment,
    UnitBinding,
    User,
)
from app.core.security import create_access_token, hash_password
from app.registry.models import (
    Building,
    Community,
    Entrance,
    Estate,
    Grid,
    OccupantRelation,
    Person,
    PropertyUnit,
    Street,
    UnitOccupant,
)

_seq = count(1)


def _n() -> int:
    return next(_seq)


async def _add(db: AsyncSession, obj):
    db.add(obj)
    await db.flush()
    return obj


async def street(db, **kw) -> Street:
    return await _add(db, Street(**{"district": "测试区", "name": f"测试街道{_n()}", **kw}))


async def community(db, street_id: uuid.UUID | None = None, **kw) -> Community:
    street_id = street_id or (await street(db)).id
    return await _add(db, Community(**{"street_id": street_id, "name": f"测试社区{_n()}", **kw}))


async def estate(db, community_id: uuid.UUID | None = None, **kw) -> Estate:
    community_id = community_id or (await community(db)).id
    return await _add(db, Estate(**{"community_id": community_id, "name": f"测试小区{_n()}", **kw}))


async def grid(db, community_id: uuid.UUID, **kw) -> Grid:
    return await _add(db, Grid(**{"community_id": community_id, "name": f"第{_n()}网格", **kw}))


async def building(db, estate_id: uuid.UUID, grid_id: uuid.UUID | None = None, **kw) -> Building:
    return await _add(db, Building(**{"estate_id": estate_id, "grid_id": grid_id, "name": f"{_n()}栋", **kw}))


async def entrance(db, building_id: uuid.UUID, **kw) -> Entrance:
    return await _add(db, Entrance(**{"building_id": building_id, "name": f"{_n()}单元", **kw}))


async def unit(db, entrance_obj: Entrance, estate_id: uuid.UUID, **kw) -> PropertyUnit:
    values = {
        "estate_id": estate_id,
        "building_id": entrance_obj.building_id,
        "entrance_id": entrance_obj.id,
        "floor": 1,
        "room_number": str(100 + _n()),
        "area_centi": 8650,
        **kw,
    }
    return await _add(db, PropertyUnit(**values))


@dataclass
class Tree:
    """One chain of the registry: street > community > estate (with a grid) > building > entrance > unit."""

    street: Street
    community: Community
    estate: Estate
    grid: Grid
    building: Building
    entrance: Entrance
    unit: PropertyUnit


async def tree(db) -> Tree:
    street_obj = await street(db)
    community_obj = await community(db, street_obj.id)
    estate_obj = await estate(db, community_obj.id)
    grid_obj = await grid(db, community_obj.id)
    building_obj = await building(db, estate_obj.id, grid_obj.id)
    entrance_obj = await entrance(db, building_obj.id)
    unit_obj = await unit(db, entrance_obj, estate_obj.id)
    return Tree(street_obj, community_obj, estate_obj, grid_obj, building_obj, entrance_obj, unit_obj)


async def owner(db, unit_obj: PropertyUnit, name: str = "张三", phone: str | None = "13800138000",
                relation: OccupantRelation = OccupantRelation.owner) -> Person:
    person = await _add(db, Person(name=name, phone=phone))
    await _add(db, UnitOccupant(unit_id=unit_obj.id, person_id=person.id, relation=relation))
    return person


async def user(db, *roles: tuple[Role, uuid.UUID | None], password: str | None = None, **kw) -> User:
    """A user holding ``roles`` given as (role, scope_id) pairs."""
    values = {"display_name": f"用户{_n()}", **kw}
    if password is not None:
        values["password_hash"] = hash_password(password)
    u = await _add(db, User(**values))
    for role, scope_id in roles:
        await _add(db, RoleAssignment(user_id=u.id, role=role, scope_type=ROLE_SCOPE[role], scope_id=scope_id))
    return u


async def bind(db, u: User, unit_obj: PropertyUnit, relation=BindingRelation.owner) -> UnitBinding:
    """An approved binding: ``u`` becomes a resident of ``unit_obj``."""
    return await _add(
        db,
        UnitBinding(user_id=u.id, unit_id=unit_obj.id, relation=relation, status=BindingStatus.approved,
                    method=BindingMethod.invite_code),
    )


async def headers(db, u: User) -> dict[str, str]:
    """Bearer headers for ``u`` (a fresh login session)."""
    login = await _add(db, AuthSession(user_id=u.id, channel="password"))
    token, _ = create_access_token(u.id, login.id)
    return {"Authorization": f"Bearer {token}"}


# --- projects ----------------------------------------------------------------------------------------


async def organization(db, kind=None, **kw):
    from app.registry.models import Organization, OrganizationKind

    return await _add(db, Organization(**{"name": f"测试单位{_n()}", "kind": kind or OrganizationKind.contractor, **kw}))


async def project(db, estate_id: uuid.UUID, **kw):
    from app.projects.models import Project

    return await _add(db, Project(**{"estate_id": estate_id, "name": f"测试改造项目{_n()}", "year": 2025, **kw}))


async def project_item(db, project_id: uuid.UUID, item_code: str = "basic.roads", **kw):
    from app.projects.models import FundingSource, ProjectItem

    values = {"project_id": project_id, "item_code": item_code, "estimated_cost_fen": 100_000_00,
              "funding_source": FundingSource.central_provincial, **kw}
    return await _add(db, ProjectItem(**values))


async def project_organization(db, project_id: uuid.UUID, organization_id: uuid.UUID, role=None):
    from app.projects.models import ProjectOrganization, ProjectOrganizationRole

    return await _add(db, ProjectOrganization(project_id=project_id, organization_id=organization_id,
                                              role=role or ProjectOrganizationRole.contractor))
