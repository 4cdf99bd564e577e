"""The roster page in one query (app.registry.roster): whatever a page holds - units with several people on
record, with nobody, with accounts bound or not, a page boundary inside a unit's rows - it is read by one
statement, and answers exactly the units, people and bound accounts the ledger has, in door order."""

import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.residence import BindingRelation
from app.auth.roles import Role
from app.core.db import get_session
from app.core.errors import AppError
from app.core.pagination import PageParams
from app.registry import service
from app.registry.areas import format_area
from app.registry.models import OccupantRelation
from tests import factories as f

API = "/api/v1"
# What a roster page request costs besides its page: the caller, the grid in the caller's scope with
# whether the caller may contact its people (one statement, app.auth's loaders); and the who-looked record of the people shown, when it shows someone
# the viewer was not shown yet today (app.privacy.disclosures remembers what it recorded).
CALLER_AND_GRID = 2


@pytest.fixture
def bare_client(app, client, db):
    """The test client, each request's session a savepoint and nothing else (the harness's own work after a
    request, such as chaining audit entries, is not the route's)."""

    async def _session() -> AsyncIterator[AsyncSession]:
        async with db.begin_nested():
            yield db

    app.dependency_overrides[get_session] = _session
    return client


@contextmanager
def counted(engine) -> Iterator[list[str]]:
    """The SQL statements sent to the database meanwhile (the tests' savepoints left out)."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def _ledger(db):
    """A grid of two buildings (and one outside it): units with an owner, co-owners and tenants, one with
    nobody on record, one person holding two units, accounts bound as owner and as tenant. The units as the
    roster must answer them, in door order."""
    t = await f.tree(db)
    other = await f.building(db, t.estate.id, t.grid.id)
    outside = await f.building(db, t.estate.id)  # not the grid's
    entrances = [t.entrance, await f.entrance(db, t.building.id), await f.entrance(db, other.id)]
    units = [t.unit]
    for entrance, floor, room in [(entrances[0], 1, "102"), (entrances[0], 2, "201"), (entrances[1], 1, "101"),
                                  (entrances[1], 3, "301"), (entrances[2], 1, "101"), (entrances[2], 1, "102"),
                                  (entrances[2], 2, "202")]:
        units.append(await f.unit(db, entrance, t.estate.id, floor=floor, room_number=room, area_centi=7000 + floor))
    await f.unit(db, await f.entrance(db, outside.id), t.estate.id, room_number="101")
    people: dict[uuid.UUID, list[tuple[OccupantRelation, str, str | None, uuid.UUID]]] = {u.id: [] for u in units}

    async def on_record(unit, name, phone, relation=OccupantRelation.owner):
        person = await f.owner(db, unit, name=name, phone=phone, relation=relation)
        people[unit.id].append((relation, name, phone, person.id))
        return person

    shared = await on_record(units[0], "王芳A", "13800000001")
    for i, unit in enumerate(units[1:6], 1):
        await on_record(unit, f"业主{i}A", f"1390000000{i}")
        if i % 2:
            await on_record(unit, f"共有人{i}B", None, OccupantRelation.co_owner)
            await on_record(unit, f"共有人{i}A", f"1370000000{i}", OccupantRelation.co_owner)
        if i in (2, 5):
            await on_record(unit, f"租户{i}A", f"1360000000{i}", OccupantRelation.tenant)
    await f.holding(db, units[6], shared)  # units[6] and units[7]: nobody else; units[7]: nobody on record
    people[units[6].id].append((OccupantRelation.owner, "王芳A", "13800000001", shared.id))
    bound = {units[0].id: (2, True), units[2].id: (1, False), units[5].id: (1, True)}
    await f.bind(db, await f.user(db), units[0])
    await f.bind(db, await f.user(db), units[0], relation=BindingRelation.tenant)
    await f.bind(db, await f.user(db), units[2], relation=BindingRelation.tenant)
    await f.bind(db, await f.user(db), units[5], relation=BindingRelation.co_owner)

    names = {t.building.id: t.building.name, other.id: other.name}
    entrance_names = {e.id: e.name for e in entrances}
    expected = [{
        "unit_id": str(u.id), "building_id": str(u.building_id), "building_name": names[u.building_id],
        "entrance_id": str(u.entrance_id), "entrance_name": entrance_names[u.entrance_id], "floor": u.floor,
        "room_number": u.room_number, "area": format_area(u.area_centi),
        "occupants": [{"person_id": str(pid), "name": name, "phone": phone, "relation": relation.value}
                      for relation, name, phone, pid in sorted(people[u.id], key=lambda p: (p[0].value, p[1], p[3]))],
        "bound_accounts": bound.get(u.id, (0, False))[0], "owner_bound": bound.get(u.id, (0, False))[1],
    } for u in sorted(units, key=lambda u: (u.building_id, u.entrance_id, u.floor, u.room_number, u.id))]
    return t, expected


async def test_every_roster_page_is_one_statement_and_answers_the_ledger(bare_client, db, engine):
    t, expected = await _ledger(db)
    headers = await f.headers(db, await f.user(db, (Role.grid_worker, t.grid.id)))
    url = f"{API}/grids/{t.grid.id}/roster"
    recorded: set[str] = set()
    filters = {
        (): lambda u: True,
        (("unbound", "true"),): lambda u: u["bound_accounts"] == 0,
        (("q", "共有人"),): lambda u: any("共有人" in p["name"] for p in u["occupants"]),
        (("q", "10"),): lambda u: "10" in u["room_number"],
        (("building_id", str(t.building.id)),): lambda u: u["building_id"] == str(t.building.id),
        (("building_id", str(t.building.id)), ("unbound", "true"), ("q", "1")):
            lambda u: u["building_id"] == str(t.building.id) and u["bound_accounts"] == 0
            and ("1" in u["room_number"] or any("1" in p["name"] for p in u["occupants"])),
    }
    for limit, (params, wanted) in itertools.product((1, 2, 3, 50), filters.items()):
        items, cursor, pages = [], None, 0
        while True:
            with counted(engine) as sent:
                query = {**dict(params), "limit": limit, **({"cursor": cursor} if cursor else {})}
                r = await bare_client.get(url, params=query, headers=headers)
            assert r.status_code == 200, r.text
            page = r.json()
            people = {p["person_id"] for u in page["items"] for p in u["occupants"]}
            shown, recorded = bool(people - recorded), recorded | people
            assert len(sent) == CALLER_AND_GRID + 1 + shown, (limit, params, sent)
            assert sum("property_unit" in s for s in sent) == 1, sent  # the page: one statement
            assert sum("data_access" in s for s in sent) == shown, sent
            items += page["items"]
            pages += 1
            if not (cursor := page["next_cursor"]):
                break
        answer = [u for u in expected if wanted(u)]
        assert items == answer, (limit, params)
        assert pages == max(1, -(-len(answer) // limit)), (limit, params)  # no empty page after a full one


async def test_the_service_reads_a_roster_page_in_one_statement(db, engine):
    t, _ = await _ledger(db)
    for building_id, unbound, q in itertools.product((None, t.building.id), (False, True), (None, "1")):
        cursor = None
        while True:
            with counted(engine) as sent:
                items, cursor = await service.grid_roster(db, t.grid, PageParams(limit=2, cursor=cursor),
                                                          building_id=building_id, unbound=unbound, q=q)
            assert len(sent) == 1, (building_id, unbound, q, sent)
            if cursor is None:
                break


@pytest.mark.parametrize("cursor", ["nope", "WyJhIl0", "W10"])
async def test_a_forged_roster_cursor_is_refused(db, cursor):
    t = await f.tree(db)
    with pytest.raises(AppError) as caught:
        await service.grid_roster(db, t.grid, PageParams(cursor=cursor), building_id=None, unbound=False, q=None)
    assert caught.value.code == "invalid_cursor"
