"""The registry's scope kinds for role assignment (``app.auth.scopes``): streets, communities, estates,
grids, organisations (contractor accounts), and units (residents' scopes, which are never assigned)."""

import uuid
from collections.abc import Collection

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.authz import in_ids
from app.auth.principal import Principal
from app.auth.roles import Role, ScopeType
from app.auth.rules import Ancestry
from app.auth.scopes import ScopeKind
from app.registry import access
from app.registry.models import Community, Estate, Grid, Organization, Street
from app.registry.reads import unit_labels


def _names_of(table):
    async def names(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await session.exec(select(table.id, table.name).where(table.id.in_(list(ids))))
        return dict(rows.all())

    return names


def _managed(table, condition):
    return lambda p: select(table.id).where(condition(p, "manage"))


async def _locate_street(session: AsyncSession, p: Principal, street_id: uuid.UUID) -> Ancestry | None:
    found = (await session.exec(select(Street.id).where(Street.id == street_id, access.street_condition(p)))).first()
    return Ancestry(street_id=found) if found else None


async def _locate_community(session: AsyncSession, p: Principal, community_id: uuid.UUID) -> Ancestry | None:
    row = (
        await session.exec(
            select(Community.street_id, Community.id)
            .where(Community.id == community_id, access.community_condition(p))
        )
    ).first()
    return Ancestry(street_id=row[0], community_id=row[1]) if row else None


def _locate_in_community(table, condition):
    """Estates and grids sit in a community."""

    async def locate(session: AsyncSession, p: Principal, obj_id: uuid.UUID) -> Ancestry | None:
        row = (
            await session.exec(
                select(Community.street_id, Community.id)
                .join(table, table.community_id == Community.id)
                .where(table.id == obj_id, condition(p))
            )
        ).first()
        return Ancestry(street_id=row[0], community_id=row[1]) if row else None

    return locate


async def _locate_organization(session: AsyncSession, p: Principal, organization_id: uuid.UUID) -> Ancestry | None:
    """An organisation sits in the street that registered it (none: city-level, admins' alone)."""
    row = (
        await session.exec(
            select(Organization.id, Organization.street_id)
            .where(Organization.id == organization_id, access.organization_condition(p))
        )
    ).first()
    return Ancestry(street_id=row[1]) if row else None


def _organizations_of_streets(p: Principal):
    """Street staff manage the accounts of their streets' organisations."""
    return select(Organization.id).where(in_ids(Organization.street_id, p.scope_ids(Role.street_staff)))


async def _unit_names(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {uid: lab.full for uid, lab in (await unit_labels(session, ids)).items()}


# The registry's kinds, installed from its manifest.
SCOPE_KINDS = (
    ScopeKind(ScopeType.street, _names_of(Street), _locate_street, _managed(Street, access.street_condition)),
    ScopeKind(ScopeType.community, _names_of(Community), _locate_community,
              _managed(Community, access.community_condition)),
    ScopeKind(ScopeType.estate, _names_of(Estate), _locate_in_community(Estate, access.estate_condition),
              _managed(Estate, access.estate_condition)),
    ScopeKind(ScopeType.grid, _names_of(Grid), _locate_in_community(Grid, access.grid_condition),
              _managed(Grid, access.grid_condition)),
    ScopeKind(ScopeType.organization, _names_of(Organization), _locate_organization, _organizations_of_streets),
    ScopeKind(ScopeType.unit, _unit_names),
)
