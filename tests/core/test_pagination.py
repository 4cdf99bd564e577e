"""Keyset pagination: a cursor walk returns every row exactly once, and bad cursors are refused."""

import pytest
from sqlmodel import select

from app.core.errors import AppError
from app.core.pagination import PageParams, paginate
from app.registry.models import Street
from tests import factories


async def test_cursor_walk_returns_every_row_once(db):
    created = {(await factories.street(db, district="分页区")).id for _ in range(7)}
    stmt = select(Street).where(Street.district == "分页区")
    seen, cursor, pages = [], None, 0
    while True:
        rows, cursor = await paginate(db, stmt, [Street.name, Street.id], PageParams(cursor=cursor, limit=3))
        seen += [r.id for r in rows]
        pages += 1
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 7 and set(seen) == created


async def test_rows_inserted_before_the_cursor_do_not_repeat(db):
    for name in ("b", "c", "d"):
        await factories.street(db, district="插入区", name=name)
    stmt = select(Street).where(Street.district == "插入区")
    first, cursor = await paginate(db, stmt, [Street.name, Street.id], PageParams(limit=2))
    await factories.street(db, district="插入区", name="a")  # sorts before the cursor
    rest, _ = await paginate(db, stmt, [Street.name, Street.id], PageParams(cursor=cursor, limit=10))
    assert [s.name for s in first] == ["b", "c"] and [s.name for s in rest] == ["d"]


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4Il0", "eyJhIjogMX0"])
async def test_bad_cursor_is_a_400(db, cursor):
    with pytest.raises(AppError) as err:
        await paginate(db, select(Street), [Street.name, Street.id], PageParams(cursor=cursor))
    assert err.value.code == "invalid_cursor" and err.value.status == 400


def _cursor(values) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "values",
    [
        ["2020-01-01T00:00:00", "6f1c1d7e-2a43-4f55-9d7e-0c3b0b8f1a11"],  # naive datetime
        [5, "6f1c1d7e-2a43-4f55-9d7e-0c3b0b8f1a11"],  # number where a timestamp belongs
        ["2020-01-01T00:00:00+00:00", 5],  # number where a UUID belongs
        ["2020-01-01T00:00:00+00:00", ["nested"]],
    ],
)
async def test_forged_cursor_values_are_a_400(db, values):
    with pytest.raises(AppError) as err:
        await paginate(db, select(Street), [Street.created_at, Street.id], PageParams(cursor=_cursor(values)))
    assert err.value.code == "invalid_cursor"


async def test_out_of_range_integer_in_cursor_is_a_400(db):
    from app.registry.models import PropertyUnit

    with pytest.raises(AppError) as err:
        await paginate(db, select(PropertyUnit), [PropertyUnit.floor, PropertyUnit.id],
                       PageParams(cursor=_cursor([10**30, "6f1c1d7e-2a43-4f55-9d7e-0c3b0b8f1a11"])))
    assert err.value.code == "invalid_cursor"


async def test_descending_walk_is_newest_first_and_complete(db):
    for name in ("a", "b", "c", "d", "e"):
        await factories.street(db, district="倒序区", name=name)
    stmt = select(Street).where(Street.district == "倒序区")
    seen, cursor = [], None
    while True:
        rows, cursor = await paginate(db, stmt, [Street.name, Street.id], PageParams(cursor=cursor, limit=2),
                                      descending=True)
        seen += [s.name for s in rows]
        if cursor is None:
            break
    assert seen == ["e", "d", "c", "b", "a"]


@pytest.mark.parametrize("forged", [["a", "list"], {"an": "object"}, 5, None, True])
async def test_a_text_key_must_be_text(db, forged):
    """Text columns report ``object`` as their Python type: a list or object there reached the database."""
    with pytest.raises(AppError) as err:
        await paginate(db, select(Street), [Street.name, Street.id],
                       PageParams(cursor=_cursor([forged, "6f1c1d7e-2a43-4f55-9d7e-0c3b0b8f1a11"])))
    assert err.value.code == "invalid_cursor"


async def test_a_tampered_cursor_on_an_api_list_is_a_400_not_a_500(client, db):
    from app.auth.roles import Role

    headers = await factories.headers(db, await factories.user(db, (Role.admin, None)))
    r = await client.get("/api/v1/renovation-items", params={"cursor": _cursor([1, {"code": ["x"]}])},
                         headers=headers)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor"
    r = await client.get("/api/v1/renovation-items", params={"limit": 2}, headers=headers)
    following = await client.get("/api/v1/renovation-items", params={"cursor": r.json()["next_cursor"]},
                                 headers=headers)
    assert following.status_code == 200 and following.json()["items"][0] != r.json()["items"][0]


# ---- page_list: a list gathered in memory, paged with the same cursors --------------------------------

from types import SimpleNamespace  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from app.core.pagination import PageParams as _Params  # noqa: E402
from app.core.pagination import door_order, page_list  # noqa: E402

_rooms = st.lists(st.tuples(st.sampled_from(["1栋", "2栋", "10栋"]), st.sampled_from(["1单元", "2单元"]),
                            st.text("0123456789", min_size=1, max_size=4)), unique=True, max_size=60)


def _units(keys):
    return [SimpleNamespace(building_name=b, entrance_name=e, room_number=r, unit_id=f"u-{b}{e}{r}") for b, e, r in keys]


@given(_rooms, st.integers(min_value=1, max_value=7))
def test_page_list_walks_every_row_once_in_order(keys, limit):
    units = _units(keys)
    seen, cursor = [], None
    while True:
        page, cursor = page_list(units, door_order, _Params(cursor=cursor, limit=limit))
        assert len(page) <= limit
        seen += page
        if cursor is None:
            break
    assert seen == sorted(units, key=door_order)


@given(_rooms, st.integers(min_value=1, max_value=5), st.data())
def test_page_list_never_repeats_or_skips_what_stays_when_rows_go_between_pages(keys, limit, data):
    units = _units(keys)
    first, cursor = page_list(units, door_order, _Params(limit=limit))
    gone = set(data.draw(st.lists(st.sampled_from(range(len(units))), unique=True))) if units else set()
    left = [u for n, u in enumerate(units) if n not in gone]  # votes cast meanwhile: those doors leave
    rest, seen = [], cursor
    while seen is not None:
        page, seen = page_list(left, door_order, _Params(cursor=seen, limit=limit))
        rest += page
    after = [u for u in sorted(left, key=door_order) if door_order(u) > door_order(first[-1])] if first else []
    assert rest == (after if cursor else [])


def test_page_list_refuses_a_forged_cursor():
    for forged in ("not-base64!", "W1sxXV0", "eyJhIjogMX0"):  # [[1]], {"a": 1}
        with pytest.raises(AppError) as exc:
            page_list(_units([("1栋", "1单元", "101")]), door_order, _Params(cursor=forged))
        assert exc.value.code == "invalid_cursor"
