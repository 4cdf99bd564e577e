"""Permission matrix: every registry endpoint, called by every role from inside and outside its scope.

Targets are in world A. "in" callers are scoped to A, "out" callers to the separate world B.
Expected: an HTTP status, or for lists "seen"/"hidden" (200, and whether A's object is in the items).
Outside the scope is 404 (never 403); a caller who sees an object but may not change it gets 403.
"""

import pytest

from tests.matrix import Matrix, Route, mismatches, unauthenticated

VARIANTS = [
    "admin",
    "street_staff:in", "street_staff:out",
    "community_staff:in", "community_staff:out",
    "grid_worker:in", "grid_worker:out",
    "supervisor",
    "contractor:in", "contractor:out",
    "committee_member:in", "committee_member:out",
    "resident:in", "resident:out",
]
MANAGE = {"admin", "street_staff:in", "community_staff:in"}
CONTACT = MANAGE | {"grid_worker:in"}
READ = CONTACT | {"committee_member:in", "resident:in"}
STAFF = {"admin", "street_staff:in", "street_staff:out", "community_staff:in", "community_staff:out",
         "grid_worker:in", "grid_worker:out"}


_matrix = Matrix(VARIANTS, manage=MANAGE, read=READ)
expect, read, write, listed = _matrix.expect, _matrix.read, _matrix.write, _matrix.listed
# Places without people (streets, communities, estates, buildings, entrances): a supervisor reads those of
# the project they supervise (its estate and what contains it), and changes nothing.
_places = Matrix(VARIANTS, manage=MANAGE, read=READ | {"supervisor"})
place_read, place_write, place_listed = _places.read, _places.write, _places.listed


LEDGER = "楼栋,单元,楼层,房号,建筑面积(㎡)\n9栋,1单元,1,101,50.00\n".encode()

# item: the object of A a list must show ("seen") or not ("hidden")
ENDPOINTS = {
    "list_streets": Route("GET", "/streets", place_listed(READ | {"supervisor"}), item="street"),
    "create_street": Route("POST", "/streets", expect(default=403, rules=[(201, {"admin"})]),
                           body={"district": "区", "name": "新街道"}),
    "list_communities": Route("GET", "/communities", place_listed(READ | {"supervisor"}),
                              params={"street_id": "{street}"}, item="community"),
    "create_community": Route("POST", "/communities", place_write(201, allowed={"admin", "street_staff:in"}),
                              body={"street_id": "{street}", "name": "新社区"}),
    "list_estates": Route("GET", "/estates", place_listed(READ | {"supervisor"}), params={"community_id": "{community}"},
                          item="estate"),
    "create_estate": Route("POST", "/estates", place_write(201), body={"community_id": "{community}", "name": "新小区"}),
    "get_estate": Route("GET", "/estates/{estate}", place_read()),
    "set_estate_location": Route("PUT", "/estates/{estate}/location", place_write(200),
                                 body={"latitude": 31.23, "longitude": 121.47}),
    "list_buildings": Route("GET", "/estates/{estate}/buildings", place_read()),
    "create_building": Route("POST", "/estates/{estate}/buildings", place_write(201), body={"name": "新楼"}),
    "list_entrances": Route("GET", "/buildings/{building}/entrances", place_read()),
    "create_entrance": Route("POST", "/buildings/{building}/entrances", place_write(201), body={"name": "新单元"}),
    "list_units": Route("GET", "/buildings/{building}/units", place_read()),  # its units: none
    "create_unit": Route("POST", "/buildings/{building}/units", place_write(201),
                         body={"entrance_id": "{entrance}", "floor": 9, "room_number": "901", "area": "86.50"}),
    "get_unit": Route("GET", "/units/{unit}", read()),
    "update_unit": Route("PATCH", "/units/{unit}", write(200, allowed=CONTACT), body={"note": "已核实"}),
    "import_registry": Route("POST", "/estates/{estate}/registry-imports", place_write(200),
                             files={"file": ("ledger.csv", LEDGER, "text/csv")}),
    "export_registry": Route("GET", "/estates/{estate}/registry-export", place_write(200), params={"format": "csv"}),
    "list_grids": Route("GET", "/grids", listed(CONTACT), params={"community_id": "{community}"}, item="grid"),
    "create_grid": Route("POST", "/grids", place_write(201), body={"community_id": "{community}", "name": "新网格"}),
    "set_grid_buildings": Route("PUT", "/grids/{grid}/buildings", write(200, visible={"grid_worker:in"}),
                                body={"building_ids": ["{building}"]}),
    "list_organizations": Route("GET", "/organizations", listed(STAFF | {"contractor:in"}), item="organization"),
    "create_organization": Route("POST", "/organizations",
                                 expect(default=403, rules=[(201, {"admin", "street_staff:in", "street_staff:out"})]),
                                 body={"name": "新监理公司", "kind": "supervision"}),
}


def _ids(world) -> dict[str, str]:
    """World A's registry chain and contractor: the ids for the paths and bodies."""
    a = world.a
    return {"street": str(a.street.id), "community": str(a.community.id), "estate": str(a.estate.id),
            "building": str(a.building.id), "entrance": str(a.entrance.id), "unit": str(a.unit.id),
            "grid": str(a.grid.id), "organization": str(a.organization.id)}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_permission_matrix(client, db, world, endpoint):
    """Every role against one endpoint, each from the same state (its changes rolled back after it)."""
    assert await mismatches(client, db, world, ENDPOINTS[endpoint], _ids(world)) == []


async def test_anonymous_callers_get_401(client, world):
    assert await unauthenticated(client, ENDPOINTS, _ids(world)) == []
