"""Registry business logic: scoped lists, creation with uniqueness checks, estate counts, unit details
with masking, unit corrections and grid membership. Services flush, never commit; every change they make
is appended to the audit log (app.core.audit) in the same transaction, with the acting user's id."""

import uuid

from sqlalchemy import distinct, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.core import audit, clock
from app.core.pagination import PageParams, paginate
from app.privacy import disclosures
from app.registry import access, hooks, roster
from app.registry.areas import format_area, parse_area
from app.registry.errors import (
    DUPLICATE_NAME,
    ENTRANCE_OUTSIDE_BUILDING,
    GRID_BUILDING_OUTSIDE,
    LOCATION_INCOMPLETE,
    ORGANIZATION_STREET_REQUIRED,
    UNIT_EXISTS,
)
from app.registry.masking import mask_name, mask_phone
from app.registry.models import (
    Building,
    Community,
    Entrance,
    Estate,
    Grid,
    OccupantRelation,
    Organization,
    Person,
    PropertyUnit,
    Street,
    UnitOccupant,
)
from app.registry.people import PersonMatcher, estate_persons, persons_with_phones
from app.registry.schemas import (
    BuildingCreate,
    CommunityCreate,
    EntranceCreate,
    EstateCounts,
    EstateCreate,
    EstateDetail,
    EstateLocation,
    EstatePublic,
    GridCreate,
    GridWithBuildings,
    OccupantPublic,
    OrganizationCreate,
    RosterUnit,
    StreetCreate,
    UnitCreate,
    UnitDetail,
    UnitPublic,
    UnitUpdate,
)


async def _exists(session: AsyncSession, stmt) -> bool:
    return (await session.exec(stmt.limit(1))).first() is not None


async def _add(session: AsyncSession, obj):
    session.add(obj)
    await session.flush()
    return obj


async def _created(session: AsyncSession, actor_id: uuid.UUID | None, entity_type: str, obj, estate_id=None):
    """Add ``obj`` and log its creation."""
    await _add(session, obj)
    await audit.record(
        session, actor_id=actor_id, action=f"{entity_type}.create", entity_type=entity_type, entity_id=obj.id,
        after=audit.snapshot(obj), estate_id=estate_id,
    )
    return obj


# --- streets, communities, estates -------------------------------------------------------------------


async def list_streets(session: AsyncSession, p: Principal, page: PageParams):
    stmt = select(Street).where(access.street_condition(p))
    return await paginate(session, stmt, [col(Street.district), col(Street.name), col(Street.id)], page)


async def create_street(session: AsyncSession, data: StreetCreate, *, actor_id: uuid.UUID | None) -> Street:
    if await _exists(session, select(Street.id).where(Street.district == data.district, Street.name == data.name)):
        raise DUPLICATE_NAME()
    return await _created(session, actor_id, "street", Street(district=data.district, name=data.name))


async def list_communities(session: AsyncSession, p: Principal, page: PageParams, street_id: uuid.UUID | None):
    stmt = select(Community).where(access.community_condition(p))
    if street_id is not None:
        stmt = stmt.where(Community.street_id == street_id)
    return await paginate(session, stmt, [col(Community.name), col(Community.id)], page)


async def create_community(session: AsyncSession, data: CommunityCreate, *, actor_id: uuid.UUID | None) -> Community:
    if await _exists(
        session, select(Community.id).where(Community.street_id == data.street_id, Community.name == data.name)
    ):
        raise DUPLICATE_NAME()
    return await _created(session, actor_id, "community", Community(street_id=data.street_id, name=data.name))


async def list_estates(session: AsyncSession, p: Principal, page: PageParams, community_id: uuid.UUID | None):
    stmt = select(Estate).where(access.estate_condition(p))
    if community_id is not None:
        stmt = stmt.where(Estate.community_id == community_id)
    return await paginate(session, stmt, [col(Estate.name), col(Estate.id)], page)


async def create_estate(session: AsyncSession, data: EstateCreate, *, actor_id: uuid.UUID | None) -> Estate:
    if await _exists(
        session, select(Estate.id).where(Estate.community_id == data.community_id, Estate.name == data.name)
    ):
        raise DUPLICATE_NAME()
    if (data.latitude is None) != (data.longitude is None):
        raise LOCATION_INCOMPLETE()
    estate = Estate(**data.model_dump())
    return await _created(session, actor_id, "estate", estate, estate_id=estate.id)


async def set_location(session: AsyncSession, estate: Estate, data: EstateLocation, *, actor_id: uuid.UUID) -> Estate:
    before = audit.snapshot(estate)
    estate.latitude, estate.longitude = data.latitude, data.longitude
    session.add(estate)
    await session.flush()
    await audit.record(session, actor_id=actor_id, action="estate.locate", entity_type="estate", entity_id=estate.id,
                       before=before, after=audit.snapshot(estate), estate_id=estate.id)
    return estate


async def estate_detail(session: AsyncSession, estate: Estate) -> EstateDetail:
    buildings = (
        await session.exec(select(func.count()).select_from(Building).where(Building.estate_id == estate.id))
    ).one()
    entrances = (
        await session.exec(
            select(func.count())
            .select_from(Entrance)
            .join(Building, col(Entrance.building_id) == Building.id)
            .where(Building.estate_id == estate.id)
        )
    ).one()
    units, total_centi = (
        await session.exec(
            select(func.count(), func.coalesce(func.sum(PropertyUnit.area_centi), 0)).where(
                PropertyUnit.estate_id == estate.id
            )
        )
    ).one()
    households = (
        await session.exec(
            select(func.count(distinct(col(UnitOccupant.unit_id))))
            .join(PropertyUnit, col(UnitOccupant.unit_id) == PropertyUnit.id)
            .where(
                PropertyUnit.estate_id == estate.id,
                col(UnitOccupant.relation).in_([OccupantRelation.owner, OccupantRelation.co_owner]),
            )
        )
    ).one()
    counts = EstateCounts(
        buildings=buildings, entrances=entrances, units=units, households=households,
        total_area=format_area(int(total_centi)),
    )
    return EstateDetail(**EstatePublic.model_validate(estate).model_dump(), counts=counts)


# --- buildings, entrances, units ---------------------------------------------------------------------


async def _check_grid_for_estate(session: AsyncSession, estate: Estate, grid_id: uuid.UUID) -> None:
    grid = await session.get(Grid, grid_id)
    if grid is None or grid.community_id != estate.community_id:
        raise GRID_BUILDING_OUTSIDE(details={"grid_id": str(grid_id)})


async def list_buildings(session: AsyncSession, p: Principal, estate: Estate, page: PageParams):
    # A grid worker reads an estate through their grid, but lists only the grid's buildings.
    stmt = select(Building).where(Building.estate_id == estate.id, access.building_condition(p))
    return await paginate(session, stmt, [col(Building.name), col(Building.id)], page)


async def create_building(
    session: AsyncSession, estate: Estate, data: BuildingCreate, *, actor_id: uuid.UUID | None
) -> Building:
    if await _exists(session, select(Building.id).where(Building.estate_id == estate.id, Building.name == data.name)):
        raise DUPLICATE_NAME()
    if data.grid_id is not None:
        await _check_grid_for_estate(session, estate, data.grid_id)
    building = Building(estate_id=estate.id, name=data.name, grid_id=data.grid_id)
    return await _created(session, actor_id, "building", building, estate_id=estate.id)


async def list_entrances(session: AsyncSession, building: Building, page: PageParams):
    stmt = select(Entrance).where(Entrance.building_id == building.id)
    return await paginate(session, stmt, [col(Entrance.name), col(Entrance.id)], page)


async def create_entrance(
    session: AsyncSession, building: Building, data: EntranceCreate, *, actor_id: uuid.UUID | None
) -> Entrance:
    if await _exists(
        session, select(Entrance.id).where(Entrance.building_id == building.id, Entrance.name == data.name)
    ):
        raise DUPLICATE_NAME()
    entrance = Entrance(building_id=building.id, name=data.name)
    return await _created(session, actor_id, "entrance", entrance, estate_id=building.estate_id)


def unit_public(unit: PropertyUnit) -> UnitPublic:
    return UnitPublic(
        id=unit.id, estate_id=unit.estate_id, building_id=unit.building_id, entrance_id=unit.entrance_id,
        floor=unit.floor, room_number=unit.room_number, area=format_area(unit.area_centi), note=unit.note,
        updated_at=unit.updated_at,
    )


async def list_units(session: AsyncSession, p: Principal, building: Building, page: PageParams):
    # Residents see their own units only; committee members and staff see the whole building.
    stmt = select(PropertyUnit).where(PropertyUnit.building_id == building.id, access.unit_condition(p))
    order = [col(PropertyUnit.floor), col(PropertyUnit.room_number), col(PropertyUnit.id)]
    units, cursor = await paginate(session, stmt, order, page)
    return [unit_public(u) for u in units], cursor


async def create_unit(
    session: AsyncSession, building: Building, data: UnitCreate, *, actor_id: uuid.UUID | None
) -> PropertyUnit:
    entrance = await session.get(Entrance, data.entrance_id)
    if entrance is None or entrance.building_id != building.id:
        raise ENTRANCE_OUTSIDE_BUILDING(details={"entrance_id": str(data.entrance_id)})
    if await _exists(
        session,
        select(PropertyUnit.id).where(
            PropertyUnit.entrance_id == entrance.id, PropertyUnit.room_number == data.room_number
        ),
    ):
        raise UNIT_EXISTS()
    now = clock.now()
    return await _created(
        session, actor_id, "unit",
        PropertyUnit(
            estate_id=building.estate_id, building_id=building.id, entrance_id=entrance.id, floor=data.floor,
            room_number=data.room_number, area_centi=parse_area(data.area), note=data.note, created_at=now,
            updated_at=now,
        ),
        estate_id=building.estate_id,
    )


async def unit_detail(session: AsyncSession, p: Principal, unit: PropertyUnit) -> UnitDetail:
    """The unit with its people: in full for callers at contact level (the read recorded: who looked),
    masked for everyone else."""
    building = await session.get(Building, unit.building_id)
    entrance = await session.get(Entrance, unit.entrance_id)
    assert building is not None and entrance is not None
    full = await _exists(
        session, select(PropertyUnit.id).where(PropertyUnit.id == unit.id, access.unit_condition(p, "contact"))
    )
    links = (
        await session.exec(
            select(UnitOccupant, Person)
            .join(Person, col(UnitOccupant.person_id) == Person.id)
            .where(UnitOccupant.unit_id == unit.id)
            .order_by(col(UnitOccupant.relation), col(UnitOccupant.created_at), col(UnitOccupant.id))
        )
    ).all()
    occupants = [
        OccupantPublic(
            person_id=person.id, relation=link.relation, kind=person.kind,
            name=person.name if full else mask_name(person.name) or "",
            phone=person.phone if full else mask_phone(person.phone), masked=not full,
        )
        for link, person in links
    ]
    if full:
        await disclosures.record(session, p.id, persons=[person.id for _, person in links])
    return UnitDetail(
        **unit_public(unit).model_dump(), building_name=building.name, entrance_name=entrance.name,
        occupants=occupants,
    )


async def _unit_state(session: AsyncSession, unit: PropertyUnit) -> dict:
    """The unit's fields and its people (ids and relations only: the log is no copy of personal data)."""
    links = (
        await session.exec(select(UnitOccupant.person_id, UnitOccupant.relation).where(UnitOccupant.unit_id == unit.id))
    ).all()
    state = audit.snapshot(unit) or {}
    state["occupants"] = sorted(({"person_id": str(pid), "relation": str(rel)} for pid, rel in links),
                                key=lambda o: (o["relation"], o["person_id"]))
    return state


async def update_unit(
    session: AsyncSession, unit: PropertyUnit, data: UnitUpdate, *, actor_id: uuid.UUID | None
) -> PropertyUnit:
    before = await _unit_state(session, unit)
    fields = data.model_dump(exclude_unset=True)
    if fields.get("area") is not None:
        unit.area_centi = parse_area(fields["area"])
    if fields.get("floor") is not None:
        unit.floor = fields["floor"]
    if "note" in fields:
        unit.note = fields["note"] or None
    if data.occupants is not None:
        await _replace_occupants(session, unit, data, actor_id)
    unit.updated_at = clock.now()
    session.add(unit)
    await session.flush()
    await audit.record(
        session, actor_id=actor_id, action="unit.update", entity_type="unit", entity_id=unit.id,
        before=before, after=await _unit_state(session, unit), estate_id=unit.estate_id,
    )
    return unit


async def _replace_occupants(
    session: AsyncSession, unit: PropertyUnit, data: UnitUpdate, actor_id: uuid.UUID | None
) -> None:
    """The sent list becomes the unit's people, matched to persons on record by the rule of
    app.registry.people (a name without a phone never reaches a person with one, nor another estate).

    A person kept in the same relation keeps their record (and who recorded it); a new or changed one is
    recorded by ``actor_id``. Whoever was taken off the record, or changed relation, is reported to the
    hooks (bindings naming them go back to be checked): a binding never follows a unit to a new person.
    """
    assert data.occupants is not None
    # Read the estate's people before unlinking this unit's, so that re-sent people keep their record.
    people = PersonMatcher(
        await estate_persons(session, unit.estate_id),
        await persons_with_phones(session, {item.phone for item in data.occupants if item.phone}),
    )
    desired: dict[uuid.UUID, OccupantRelation] = {}
    for item in data.occupants:
        desired.setdefault(people.get(item.name, item.phone, item.kind).id, item.relation)
    if people.new:
        session.add_all(people.new)
        await session.flush()
    current = (await session.exec(select(UnitOccupant).where(UnitOccupant.unit_id == unit.id))).all()
    removed = [link.person_id for link in current if desired.get(link.person_id) != link.relation]
    kept = {link.person_id for link in current if desired.get(link.person_id) == link.relation}
    for link in current:
        if link.person_id not in kept:
            await session.delete(link)
    await session.flush()
    session.add_all([UnitOccupant(unit_id=unit.id, person_id=pid, relation=rel, recorded_by=actor_id)
                     for pid, rel in desired.items() if pid not in kept])
    await session.flush()
    await hooks.persons_removed(session, unit.id, removed, actor_id)


async def grid_roster(
    session: AsyncSession, grid: Grid, page: PageParams, *, building_id: uuid.UUID | None, unbound: bool,
    q: str | None,
) -> tuple[list[RosterUnit], str | None]:
    """The grid's units with their people and bound accounts, one page in one query (app.registry.roster):
    optionally one building, only units nobody is bound to, or a room or name containing ``q``."""
    return await roster.page(session, grid.id, page, building_id=building_id, unbound=unbound, q=q)


# --- grids -----------------------------------------------------------------------------------------------


async def list_grids(session: AsyncSession, p: Principal, page: PageParams, community_id: uuid.UUID | None):
    stmt = select(Grid).where(access.grid_condition(p))
    if community_id is not None:
        stmt = stmt.where(Grid.community_id == community_id)
    return await paginate(session, stmt, [col(Grid.name), col(Grid.id)], page)


async def create_grid(session: AsyncSession, data: GridCreate, *, actor_id: uuid.UUID | None) -> Grid:
    if await _exists(session, select(Grid.id).where(Grid.community_id == data.community_id, Grid.name == data.name)):
        raise DUPLICATE_NAME()
    return await _created(session, actor_id, "grid", Grid(community_id=data.community_id, name=data.name))


async def set_grid_buildings(
    session: AsyncSession, grid: Grid, building_ids: list[uuid.UUID], *, actor_id: uuid.UUID | None
) -> GridWithBuildings:
    """The grid becomes exactly these buildings; all must be in estates of the grid's community."""
    wanted = set(building_ids)
    if wanted:
        inside = set(
            (
                await session.exec(
                    select(Building.id)
                    .join(Estate, col(Building.estate_id) == Estate.id)
                    .where(col(Building.id).in_(wanted), Estate.community_id == grid.community_id)
                )
            ).all()
        )
        outside = sorted(str(i) for i in wanted - inside)
        if outside:
            raise GRID_BUILDING_OUTSIDE(details={"building_ids": outside})
    current_or_wanted = col(Building.grid_id) == grid.id
    if wanted:
        current_or_wanted = current_or_wanted | col(Building.id).in_(wanted)
    members = (await session.exec(select(Building).where(current_or_wanted))).all()
    before = sorted(str(b.id) for b in members if b.grid_id == grid.id)
    for building in members:
        building.grid_id = grid.id if building.id in wanted else None
        session.add(building)
    await session.flush()
    await audit.record(
        session, actor_id=actor_id, action="grid.buildings_set", entity_type="grid", entity_id=grid.id,
        before={"building_ids": before}, after={"building_ids": sorted(str(i) for i in wanted)},
    )
    return GridWithBuildings(
        id=grid.id, community_id=grid.community_id, name=grid.name, created_at=grid.created_at,
        building_ids=sorted(wanted, key=str),
    )


# --- organizations ---------------------------------------------------------------------------------------


async def list_organizations(session: AsyncSession, p: Principal, page: PageParams):
    stmt = select(Organization).where(access.organization_condition(p))
    return await paginate(session, stmt, [col(Organization.name), col(Organization.id)], page)


async def create_organization(session: AsyncSession, p: Principal, data: OrganizationCreate) -> Organization:
    street_id = data.street_id
    if not p.is_admin:
        own = p.scope_ids(Role.street_staff)
        if street_id is None and len(own) == 1:
            street_id = next(iter(own))
        if street_id not in own:
            raise ORGANIZATION_STREET_REQUIRED(details={"street_ids": sorted(str(s) for s in own)})
    elif street_id is not None and await session.get(Street, street_id) is None:
        raise ORGANIZATION_STREET_REQUIRED(details={"street_id": str(street_id)})
    if await _exists(session, select(Organization.id).where(Organization.name == data.name)):
        raise DUPLICATE_NAME()
    organization = Organization(**data.model_dump(exclude={"street_id"}), street_id=street_id)
    return await _created(session, p.id, "organization", organization)
