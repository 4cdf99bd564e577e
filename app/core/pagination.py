"""Keyset (cursor) pagination for every list: ``?cursor=&limit=`` -> ``{"items", "next_cursor"}``.

The cursor is the opaque, URL-safe encoding of the last row's sort key; the next page continues strictly
after it, so inserts and deletes between pages never repeat or skip rows.
"""

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import String, TypeDecorator, bindparam, tuple_
from sqlalchemy.orm import Mapped, QueryableAttribute
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import INVALID_CURSOR

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def page_of(model: type[BaseModel], rows: list[Any], cursor: str | None) -> Page:
    """A page of ``model`` built from table rows (read by attribute)."""
    # pydantic parametrises the generic with the class at runtime; mypy takes only a static type there.
    return Page[model](items=[model.model_validate(r, from_attributes=True) for r in rows], next_cursor=cursor)  # type: ignore[valid-type]


class PageParams(BaseModel):
    cursor: str | None = None
    limit: int = 50


async def page_params(  # async: a sync dependency is run in a thread
    cursor: Annotated[str | None, Query(max_length=512, description="Opaque cursor from next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


PageDep = Annotated[PageParams, Depends(page_params)]


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [str(v) if isinstance(v, uuid.UUID) else v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


_INT_RANGE = range(-(2**63), 2**63)


def decode_cursor(cursor: str, columns: Sequence[QueryableAttribute[Any]]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError
        return [_decode_value(value, _key_type(column)) for value, column in zip(raw, columns, strict=True)]
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise INVALID_CURSOR() from None


def _key_type(column: QueryableAttribute[Any]) -> type:
    """The Python type a sort key of ``column`` must have. SQLModel's text columns report ``object``,
    which would let a forged list or object through to the database: they are ``str``."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = object
    if kind is object:
        sql_type = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
        if not isinstance(sql_type, String):
            raise ValueError  # a key whose values we cannot check is never taken from a client
        kind = str
    return kind


def _decode_value(value: Any, kind: type) -> Any:
    """One key value as the column's Python type; anything a client could have forged raises ValueError."""
    if kind is uuid.UUID or kind is datetime:
        if not isinstance(value, str):
            raise ValueError
        if kind is uuid.UUID:
            return uuid.UUID(value)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError
    if isinstance(value, int) and value not in _INT_RANGE:
        raise ValueError
    if isinstance(value, str) and "\x00" in value:
        raise ValueError
    return value


def sort_attribute(column: Mapped[Any]) -> QueryableAttribute[Any]:
    """A sort key, ``col(Model.attr)``: typed as a column, it is the model's attribute, whose key also names
    the value on a row."""
    if not isinstance(column, QueryableAttribute):
        raise TypeError(f"sort keys are model attributes, not {column!r}")
    return column


async def paginate(
    session: AsyncSession,
    stmt: SelectOfScalar[T],
    order_by: Sequence[Mapped[Any]],
    params: PageParams,
    descending: bool = False,
) -> tuple[list[T], str | None]:
    """Run ``stmt`` ordered by ``order_by`` (ascending, unique together) and return one page of rows.

    ``descending`` reverses every key (newest first). ``stmt`` selects one entity; the key values are read
    back from the row's attributes of the same names.
    """
    keys = [sort_attribute(c) for c in order_by]
    if params.cursor:
        values = decode_cursor(params.cursor, keys)
        key = tuple_(*keys)
        bound = tuple_(*[bindparam(None, v, type_=c.type) for v, c in zip(values, keys, strict=False)])
        stmt = stmt.where(key < bound if descending else key > bound)
    ordering = [c.desc() for c in keys] if descending else keys
    rows = list((await session.exec(stmt.order_by(*ordering).limit(params.limit + 1))).all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, c.key) for c in keys])
    return rows, next_cursor


def page_list(rows: Sequence[T], key: Callable[[T], tuple[str, ...]], params: PageParams) -> tuple[list[T], str | None]:
    """One page of rows already gathered - a list bounded by design, such as one estate's units that have
    not voted - ordered by ``key`` (texts, unique together), with the same cursor shape as ``paginate``:
    the next page continues strictly after the last row's key, whatever was added or removed meanwhile."""
    ordered = sorted(rows, key=key)
    if params.cursor:
        try:
            raw = json.loads(base64.urlsafe_b64decode(params.cursor + "=" * (-len(params.cursor) % 4)))
        except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
            raise INVALID_CURSOR() from None
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise INVALID_CURSOR()
        bound = tuple(raw)
        ordered = [row for row in ordered if key(row) > bound]
    page = ordered[: params.limit]
    return page, encode_cursor(list(key(page[-1]))) if len(ordered) > params.limit else None


def door_order(unit: Any) -> tuple[str, str, str, str]:
    """Building, entrance, room: how a grid worker walks the doors (a unit as the door-knocking lists
    answer it: ``building_name``, ``entrance_name``, ``room_number``, ``unit_id``)."""
    return (unit.building_name, unit.entrance_name, unit.room_number, str(unit.unit_id))


def bounded(model: Any, bound: str, max_items: int | None = None) -> Any:
    """The type of a list answered whole, not in pages, because it is small by design: ``bound`` says why
    (and ``max_items`` how many at most, where that is a number), in the document a client is built from."""
    return Annotated[list[model], Field(description=f"Not paged: {bound}.", max_length=max_items)]
