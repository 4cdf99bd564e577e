"""Permission matrix: every registry endpoint, called by every role from inside and outside its scope.

Targets are in world A. "in" callers are scoped to A, "out" callers to the separate world B.
Expected: an HTTP status, or for lists "seen"/"hidden" (200, and whether A's object is in the items).
Outside the scope is 404 (never 403); a caller who sees an object but may not change it gets 403.
"""

import pytest

from tests.matrix import Matrix

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

# name: (method, path, request kwargs, object in A a list must show, expected per variant)
ENDPOINTS = {
    "list_streets": ("GET", "/streets", lambda a: {}, lambda a: a.street.id, place_listed(READ | {"supervisor"})),
    "create_street": ("POST", "/streets", lambda a: {"json": {"district": "区", "name": "新街道"}}, None,
                      expect(default=403, rules=[(201, {"admin"})])),
    "list_communities": ("GET", "/communities", lambda a: {"params": {"street_id": str(a.street.id)}},
                         lambda a: a.community.id, place_listed(READ | {"supervisor"})),
    "create_community": ("POST", "/communities", lambda a: {"json": {"street_id": str(a.street.id), "name": "新社区"}},
                         None, place_write(201, allowed={"admin", "street_staff:in"})),
    "list_estates": ("GET", "/estates", lambda a: {"params": {"community_id": str(a.community.id)}},
                     lambda a: a.estate.id, place_listed(READ | {"supervisor"})),
    "create_estate": ("POST", "/estates", lambda a: {"json": {"community_id": str(a.community.id), "name": "新小区"}},
                      None, place_write(201)),
    "get_estate": ("GET", "/estates/{estate}", lambda a: {}, None, place_read()),
    "set_estate_location": ("PUT", "/estates/{estate}/location",
                            lambda a: {"json": {"latitude": 31.23, "longitude": 121.47}}, None, place_write(200)),
    "list_buildings": ("GET", "/estates/{estate}/buildings", lambda a: {}, None, place_read()),
    "create_building": ("POST", "/estates/{estate}/buildings", lambda a: {"json": {"name": "新楼"}}, None,
                        place_write(201)),
    "list_entrances": ("GET", "/buildings/{building}/entrances", lambda a: {}, None, place_read()),
    "create_entrance": ("POST", "/buildings/{building}/entrances", lambda a: {"json": {"name": "新单元"}}, None,
                        place_write(201)),
    "list_units": ("GET", "/buildings/{building}/units", lambda a: {}, None, place_read()),  # its units: none
    "create_unit": ("POST", "/buildings/{building}/units",
                    lambda a: {"json": {"entrance_id": str(a.entrance.id), "floor": 9, "room_number": "901",
                                        "area": "86.50"}}, None, place_write(201)),
    "get_unit": ("GET", "/units/{unit}", lambda a: {}, None, read()),
    "update_unit": ("PATCH", "/units/{unit}", lambda a: {"json": {"note": "已核实"}}, None,
                    write(200, allowed=CONTACT)),
    "import_registry": ("POST", "/estates/{estate}/registry-imports",
                        lambda a: {"files": {"file": ("ledger.csv", LEDGER, "text/csv")}}, None, place_write(200)),
    "export_registry": ("GET", "/estates/{estate}/registry-export", lambda a: {"params": {"format": "csv"}}, None,
                        place_write(200)),
    "list_grids": ("GET", "/grids", lambda a: {"params": {"community_id": str(a.community.id)}},
                   lambda a: a.grid.id, listed(CONTACT)),
    "create_grid": ("POST", "/grids", lambda a: {"json": {"community_id": str(a.community.id), "name": "新网格"}},
                    None, place_write(201)),
    "set_grid_buildings": ("PUT", "/grids/{grid}/buildings", lambda a: {"json": {"building_ids": [str(a.building.id)]}},
                           None, write(200, visible={"grid_worker:in"})),
    "list_organizations": ("GET", "/organizations", lambda a: {}, lambda a: a.organization.id,
                           listed(STAFF | {"contractor:in"})),
    "create_organization": ("POST", "/organizations", lambda a: {"json": {"name": "新监理公司", "kind": "supervision"}},
                            None, expect(default=403, rules=[(201, {"admin", "street_staff:in", "street_staff:out"})])),
}

CASES = [
    pytest.param(name, variant, table[variant], id=f"{name}-{variant}")
    for name, (_, _, _, _, table) in ENDPOINTS.items()
    for variant in VARIANTS
]


@pytest.mark.parametrize("endpoint, variant, expected", CASES)
async def test_permission_matrix(client, db, world, endpoint, variant, expected):
    method, path, kwargs, listed_id, _ = ENDPOINTS[endpoint]
    a = world.a
    url = "/api/v1" + path.format(estate=a.estate.id, building=a.building.id, unit=a.unit.id, grid=a.grid.id)
    headers = await world.headers_for(db, variant)
    response = await client.request(method, url, headers=headers, **kwargs(a))
    if expected in ("seen", "hidden"):
        assert response.status_code == 200, response.text
        ids = {item["id"] for item in response.json()["items"]}
        assert (str(listed_id(a)) in ids) == (expected == "seen"), ids
    else:
        assert response.status_code == expected, response.text
        if expected >= 400:
            assert response.json()["error"]["code"] == {403: "forbidden", 404: "not_found"}[expected]


async def test_anonymous_callers_get_401(client, world):
    for name, (method, path, kwargs, _, _) in ENDPOINTS.items():
        a = world.a
        url = "/api/v1" + path.format(estate=a.estate.id, building=a.building.id, unit=a.unit.id, grid=a.grid.id)
        response = await client.request(method, url, **kwargs(a))
        assert response.status_code == 401, name
