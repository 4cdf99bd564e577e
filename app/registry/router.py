"""Registry routes (API.md: Registry). Thin: loaders authorise, services do the work."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse

from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import PAYLOAD_TOO_LARGE, responses
from app.core.pagination import Page, PageDep, bounded, page_of
from app.core.spreadsheets import MEDIA, SPREADSHEET_RESPONSE, attachment
from app.privacy import disclosures
from app.registry import lookup, service
from app.registry.deps import (
    Admin,
    BuildingForManage,
    BuildingForRead,
    EstateForManage,
    EstateForRead,
    GridForContact,
    GridForManage,
    ImportForManage,
    OrganizationCreator,
    UnitForContact,
    UnitForRead,
    community_for,
    street_for,
)
from app.registry.errors import (
    DUPLICATE_NAME,
    ENTRANCE_OUTSIDE_BUILDING,
    GRID_BUILDING_OUTSIDE,
    IMPORT_FILE_INVALID,
    IMPORT_HEADER_MISSING,
    IMPORT_TOO_LARGE,
    LOOKUP_RATE_LIMITED,
    ORGANIZATION_STREET_REQUIRED,
    UNIT_EXISTS,
)
from app.registry.exporter import export_ledger
from app.registry.importer import import_ledger, parse_ledger
from app.registry.imports import import_public, queue_import
from app.registry.schemas import (
    BuildingCreate,
    BuildingPublic,
    CommunityCreate,
    CommunityPublic,
    EntranceCreate,
    EntrancePublic,
    EstateCreate,
    EstateDetail,
    EstateLocation,
    EstateLookup,
    EstatePublic,
    GridBuildingsUpdate,
    GridCreate,
    GridPublic,
    GridWithBuildings,
    ImportReport,
    OrganizationCreate,
    OrganizationPublic,
    PlaceLookup,
    RegistryImportPublic,
    RoomLookup,
    RosterUnit,
    StreetCreate,
    StreetPublic,
    UnitCreate,
    UnitDetail,
    UnitPublic,
    UnitUpdate,
)

router = APIRouter(tags=["registry"], responses=responses(*AUTHENTICATED, 422))

READ = responses(404)
WRITE = responses(403, 404, DUPLICATE_NAME)


# --- streets, communities, estates -------------------------------------------------------------------


@router.get("/streets", response_model=Page[StreetPublic])
async def list_streets(session: SessionDep, principal: CurrentPrincipal, page: PageDep):
    return page_of(StreetPublic, *await service.list_streets(session, principal, page))


@router.post("/streets", response_model=StreetPublic, status_code=status.HTTP_201_CREATED, responses=WRITE)
async def create_street(data: StreetCreate, session: SessionDep, principal: Admin):
    return await service.create_street(session, data, actor_id=principal.id)


@router.get("/communities", response_model=Page[CommunityPublic])
async def list_communities(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep, street_id: uuid.UUID | None = None
):
    return page_of(CommunityPublic, *await service.list_communities(session, principal, page, street_id))


@router.post("/communities", response_model=CommunityPublic, status_code=status.HTTP_201_CREATED, responses=WRITE)
async def create_community(data: CommunityCreate, session: SessionDep, principal: CurrentPrincipal):
    await street_for(session, principal, data.street_id, "manage")
    return await service.create_community(session, data, actor_id=principal.id)


@router.get("/estates", response_model=Page[EstatePublic])
async def list_estates(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep, community_id: uuid.UUID | None = None
):
    return page_of(EstatePublic, *await service.list_estates(session, principal, page, community_id))


@router.post("/estates", response_model=EstatePublic, status_code=status.HTTP_201_CREATED, responses=WRITE)
async def create_estate(data: EstateCreate, session: SessionDep, principal: CurrentPrincipal):
    await community_for(session, principal, data.community_id, "manage")
    return await service.create_estate(session, data, actor_id=principal.id)


@router.get("/estates/{estate_id}", response_model=EstateDetail, responses=READ)
async def get_estate(estate: EstateForRead, session: SessionDep):
    return await service.estate_detail(session, estate)


@router.put("/estates/{estate_id}/location", response_model=EstatePublic, responses=WRITE)
async def set_estate_location(data: EstateLocation, estate: EstateForManage, session: SessionDep,
                              principal: CurrentPrincipal):
    """Where the estate is: supervisors' inspections filed more than a kilometre from it are flagged."""
    return await service.set_location(session, estate, data, actor_id=principal.id)


# --- buildings, entrances, units ---------------------------------------------------------------------


@router.get("/estates/{estate_id}/buildings", response_model=Page[BuildingPublic], responses=READ)
async def list_buildings(estate: EstateForRead, session: SessionDep, principal: CurrentPrincipal, page: PageDep):
    return page_of(BuildingPublic, *await service.list_buildings(session, principal, estate, page))


@router.post(
    "/estates/{estate_id}/buildings", response_model=BuildingPublic, status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, DUPLICATE_NAME, GRID_BUILDING_OUTSIDE),
)
async def create_building(
    data: BuildingCreate, estate: EstateForManage, session: SessionDep, principal: CurrentPrincipal
):
    return await service.create_building(session, estate, data, actor_id=principal.id)


@router.get("/buildings/{building_id}/entrances", response_model=Page[EntrancePublic], responses=READ)
async def list_entrances(building: BuildingForRead, session: SessionDep, page: PageDep):
    return page_of(EntrancePublic, *await service.list_entrances(session, building, page))


@router.post(
    "/buildings/{building_id}/entrances", response_model=EntrancePublic, status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
async def create_entrance(
    data: EntranceCreate, building: BuildingForManage, session: SessionDep, principal: CurrentPrincipal
):
    return await service.create_entrance(session, building, data, actor_id=principal.id)


@router.get("/buildings/{building_id}/units", response_model=Page[UnitPublic], responses=READ)
async def list_units(building: BuildingForRead, session: SessionDep, principal: CurrentPrincipal, page: PageDep):
    items, cursor = await service.list_units(session, principal, building, page)
    return Page[UnitPublic](items=items, next_cursor=cursor)


@router.post(
    "/buildings/{building_id}/units", response_model=UnitPublic, status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, UNIT_EXISTS, ENTRANCE_OUTSIDE_BUILDING),
)
async def create_unit(data: UnitCreate, building: BuildingForManage, session: SessionDep, principal: CurrentPrincipal):
    return service.unit_public(await service.create_unit(session, building, data, actor_id=principal.id))


@router.get("/units/{unit_id}", response_model=UnitDetail, responses=READ)
async def get_unit(unit: UnitForRead, session: SessionDep, principal: CurrentPrincipal):
    """Names and phones are in full for staff in scope and the unit's grid worker (the read is recorded:
    ``/me/data-access``), masked otherwise."""
    return await service.unit_detail(session, principal, unit)


@router.patch("/units/{unit_id}", response_model=UnitDetail, responses=responses(403, 404))
async def update_unit(data: UnitUpdate, unit: UnitForContact, session: SessionDep, principal: CurrentPrincipal):
    await service.update_unit(session, unit, data, actor_id=principal.id)
    return await service.unit_detail(session, principal, unit)


# --- finding one's unit (any account, before any binding) ------------------------------------------

LOOKUP = responses(404, LOOKUP_RATE_LIMITED)


@router.get("/lookup/estates", response_model=bounded(EstateLookup, "the first 20 matches", 20), responses=LOOKUP)
async def lookup_estates(
    session: SessionDep, principal: CurrentPrincipal,
    q: Annotated[str, Query(min_length=2, max_length=50, description="part of the estate's name, address or community")],
    district: Annotated[str | None, Query(max_length=100)] = None,
):
    """Estates a resident can pick theirs from (at most 20; no people, no counts). Every lookup counts
    towards 200 an hour per account."""
    await lookup.count_lookup(principal)
    return await lookup.find_estates(session, q, district)


@router.get("/lookup/estates/by-code/{code}", response_model=EstateLookup, responses=LOOKUP)
async def lookup_estate_by_code(code: Annotated[str, Path(min_length=4, max_length=8)], session: SessionDep,
                                principal: CurrentPrincipal):
    """The estate of a short code (the QR code on the estate's notices)."""
    await lookup.count_lookup(principal)
    return await lookup.estate_by_code(session, code)


@router.get("/lookup/estates/{estate_id}/buildings", response_model=bounded(PlaceLookup, "the buildings of one estate"), responses=LOOKUP)
async def lookup_buildings(estate_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal):
    await lookup.count_lookup(principal)
    return await lookup.buildings(session, estate_id)


@router.get("/lookup/buildings/{building_id}/entrances", response_model=bounded(PlaceLookup, "the entrances of one building"), responses=LOOKUP)
async def lookup_entrances(building_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal):
    await lookup.count_lookup(principal)
    return await lookup.entrances(session, building_id)


@router.get("/lookup/entrances/{entrance_id}/units", response_model=bounded(RoomLookup, "the rooms of one entrance"), responses=LOOKUP)
async def lookup_rooms(entrance_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal):
    """The rooms of an entrance (floor and room number only): ask to bind with ``POST /me/unit-bindings``."""
    await lookup.count_lookup(principal)
    return await lookup.rooms(session, entrance_id)


# --- ledger import and export ------------------------------------------------------------------------


@router.post(
    "/estates/{estate_id}/registry-imports", response_model=ImportReport,
    responses={**responses(403, 404, PAYLOAD_TOO_LARGE, IMPORT_FILE_INVALID, IMPORT_HEADER_MISSING, IMPORT_TOO_LARGE),
               202: {"model": RegistryImportPublic, "description": "Queued: a large ledger the worker applies"}},
)
async def import_registry(
    estate: EstateForManage,
    session: SessionDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="XLSX or CSV ledger")],
):
    """Row errors are reported and skipped; the other rows are imported. Re-import updates in place.

    A ledger of up to ``APP_IMPORT_SYNC_MAX_ROWS`` rows is imported at once (200, the report); a larger one
    is checked now and applied by the worker in chunks (202; follow ``GET /registry-imports/{id}``)."""
    limit = get_settings().import_max_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise PAYLOAD_TOO_LARGE(details={"max_bytes": limit})
    filename = file.filename or ""
    parsed = await parse_ledger(filename, content)
    if len(parsed.rows) > get_settings().import_sync_max_rows:
        job = await queue_import(session, estate.id, filename, parsed, principal.id)
        return JSONResponse(import_public(job).model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)
    return await import_ledger(session, estate.id, filename, content, actor_id=principal.id, parsed=parsed)


@router.get("/registry-imports/{import_id}", response_model=RegistryImportPublic, responses=READ)
async def get_registry_import(registry_import: ImportForManage):
    """A queued ledger import: its progress, and its report once done."""
    return import_public(registry_import)


@router.get(
    "/estates/{estate_id}/registry-export",
    response_class=Response,
    responses={**responses(403, 404), **SPREADSHEET_RESPONSE},
)
async def export_registry(
    estate: EstateForManage, session: SessionDep, principal: CurrentPrincipal,
    format: Annotated[Literal["xlsx", "csv"], Query()] = "xlsx",
):
    """The estate's ledger as the import reads it, owners' names and phones in full (the read is recorded
    for each of them: who looked)."""
    body, persons = await export_ledger(session, estate.id, format)
    await disclosures.record(session, principal.id, persons=persons)
    return Response(body, media_type=MEDIA[format], headers=attachment(f"ledger.{format}", f"{estate.name}台账.{format}"))


# --- grids and organizations -------------------------------------------------------------------------


@router.get("/grids", response_model=Page[GridPublic])
async def list_grids(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep, community_id: uuid.UUID | None = None
):
    return page_of(GridPublic, *await service.list_grids(session, principal, page, community_id))


@router.post("/grids", response_model=GridPublic, status_code=status.HTTP_201_CREATED, responses=WRITE)
async def create_grid(data: GridCreate, session: SessionDep, principal: CurrentPrincipal):
    await community_for(session, principal, data.community_id, "manage")
    return await service.create_grid(session, data, actor_id=principal.id)


@router.get("/grids/{grid_id}/roster", response_model=Page[RosterUnit], responses=READ)
async def get_grid_roster(
    grid: GridForContact, session: SessionDep, page: PageDep, principal: CurrentPrincipal,
    building_id: uuid.UUID | None = None,
    unbound: bool = False, q: Annotated[str | None, Query(max_length=50, description="room or name contains")] = None,
):
    """The grid's units for the grid worker's tablet, in pages: building, entrance, room, the people on
    record with their phones (in full: the grid worker visits them), how many accounts are bound and
    whether the owner is. ``unbound=true`` lists only units nobody is bound to. Each page read is recorded
    for the people on it (who looked)."""
    items, cursor = await service.grid_roster(session, grid, page, building_id=building_id, unbound=unbound, q=q)
    await disclosures.record(session, principal.id, persons={o.person_id for unit in items for o in unit.occupants})
    return Page[RosterUnit](items=items, next_cursor=cursor)


@router.put("/grids/{grid_id}/buildings", response_model=GridWithBuildings,
            responses=responses(403, 404, GRID_BUILDING_OUTSIDE))
async def set_grid_buildings(
    data: GridBuildingsUpdate, grid: GridForManage, session: SessionDep, principal: CurrentPrincipal
):
    return await service.set_grid_buildings(session, grid, data.building_ids, actor_id=principal.id)


@router.get("/organizations", response_model=Page[OrganizationPublic])
async def list_organizations(session: SessionDep, principal: CurrentPrincipal, page: PageDep):
    """Staff see every organisation; contractors see their own."""
    return page_of(OrganizationPublic, *await service.list_organizations(session, principal, page))


@router.post(
    "/organizations", response_model=OrganizationPublic, status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, DUPLICATE_NAME, ORGANIZATION_STREET_REQUIRED),
)
async def create_organization(data: OrganizationCreate, session: SessionDep, principal: OrganizationCreator):
    return await service.create_organization(session, principal, data)
