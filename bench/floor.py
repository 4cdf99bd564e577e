"""The floor: the least an authenticated request can cost on this stack, to measure the service against.

FastAPI and uvicorn, SQLModel sessions on asyncpg, the bearer JWT verified as the service verifies it
(``app.core.security``, python-jose), then one row read by primary key or one row inserted, in a
transaction of its own. No middleware, no principal, no scope, no audit: what remains of a request when
everything the service adds is taken away. ``bench/compare.py`` runs it beside the service with the
same workers, database and load generator.

    FLOOR_DATABASE_URL=postgresql+asyncpg://... uvicorn --factory bench.floor:create_app --workers 2

Routes: ``GET /floor/rows/{id}`` (404 when absent), ``POST /floor/rows`` (201 with the new row) and
``GET /floor/rows?after={id}&limit=50``, a page: the rows after ``after`` in id order, each row as the read
answers it, and the ``after`` of the next page (None on the last) - one query over the primary key, the
least a keyset-paged list (the grid roster's pages) can cost.

``prepare(url, rows, page_rows)`` creates the table ``floor_row`` and fills it: ``rows`` rows to read by id,
with a small body, and ``page_rows`` rows to page through, whose bodies make a page of 50 about the size
of a roster page of 50 units (~22 KB of JSON; a unit with its place, people and bindings). The page rows
take the top of the id space (``ffffffff-ffff-ffff-...``, where no uuid4 can fall: their 13th digit is 4),
so the reads never pick them, and the rows written never land among them. ``page_paths`` are the pages'
paths, in order.
"""

import os
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from sqlalchemy import Column, DateTime, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.db import POOL_SIZE
from app.core.security import decode_access_token


class FloorRow(SQLModel, table=True):
    __tablename__ = "floor_row"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    owner_id: uuid.UUID
    title: str = Field(max_length=200)
    body: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC),
                                 sa_column=Column(DateTime(timezone=True), nullable=False))


class RowIn(SQLModel):
    title: str = Field(max_length=200)
    body: dict = Field(default_factory=dict)


class RowPage(SQLModel):
    items: list[FloorRow]
    next_after: uuid.UUID | None = None


PAGE_ROWS_START = uuid.UUID(int=0xFFFFFFFF_FFFF_FFFF << 64)  # the first page row's id


def page_row_id(n: int) -> uuid.UUID:
    return uuid.UUID(int=PAGE_ROWS_START.int + n)


def page_paths(page_rows: int, limit: int = 50) -> list[str]:
    """The paths of the pages through the ``page_rows`` page rows, first to last."""
    return [f"/floor/rows?after={uuid.UUID(int=PAGE_ROWS_START.int + start - 1)}&limit={limit}"
            for start in range(0, page_rows, limit)]


def create_app() -> FastAPI:
    # The pool the service has (app.core.db.make_engine): 20 kept connections, none opened per request.
    engine = create_async_engine(os.environ["FLOOR_DATABASE_URL"], pool_size=POOL_SIZE, max_overflow=0, pool_use_lifo=True)
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    app = FastAPI()

    async def session_dep():
        async with sessions() as session, session.begin():
            yield session

    def caller(authorization: Annotated[str, Header()] = "") -> uuid.UUID:
        claims = decode_access_token(authorization.removeprefix("Bearer "))
        if claims is None:
            raise HTTPException(401)
        return claims.user_id

    Session = Annotated[AsyncSession, Depends(session_dep)]
    Caller = Annotated[uuid.UUID, Depends(caller)]

    @app.get("/floor/rows/{row_id}", response_model=FloorRow)
    async def read(row_id: uuid.UUID, _user: Caller, session: Session):
        row = await session.get(FloorRow, row_id)
        if row is None:
            raise HTTPException(404)
        return row

    @app.get("/floor/rows", response_model=RowPage)
    async def page(_user: Caller, session: Session, after: uuid.UUID, limit: Annotated[int, Query(ge=1, le=200)] = 50):
        rows = list((await session.exec(select(FloorRow).where(col(FloorRow.id) > after)
                                        .order_by(col(FloorRow.id)).limit(limit + 1))).all())
        return RowPage(items=rows[:limit], next_after=rows[limit - 1].id if len(rows) > limit else None)

    @app.post("/floor/rows", response_model=FloorRow, status_code=201)
    async def write(data: RowIn, user: Caller, session: Session):
        row = FloorRow(owner_id=user, title=data.title, body=data.body)
        session.add(row)
        await session.flush()
        return row

    return app


def page_body(n: int) -> dict:
    """A page row's body: a unit as the roster lists it (place, area, people on record, bindings)."""
    building, rest = divmod(n, 120)
    entrance, rest = divmod(rest, 24)
    floor, room = divmod(rest, 4)
    people = [{"person_id": str(uuid.UUID(int=n)), "name": f"业主{n}", "phone": f"139{n:08d}", "relation": "owner"}]
    if n % 7 == 0:
        people.append({"person_id": str(uuid.UUID(int=10**9 + n)), "name": f"共有人{n}", "phone": None,
                       "relation": "co_owner"})
    return {"building_name": f"{building + 1}栋", "entrance_name": f"{entrance + 1}单元", "floor": floor + 1,
            "room_number": f"{floor + 1}0{room + 1}", "area": f"{50 + n % 60}.{n % 100:02d}", "occupants": people,
            "bound_accounts": n % 2}


async def prepare(url: str, rows: int, page_rows: int = 0) -> list[uuid.UUID]:
    """Create ``floor_row`` afresh with ``rows`` rows to read and ``page_rows`` rows to page through; the
    ids of the rows to read."""
    engine = create_async_engine(url)
    ids = [uuid.uuid4() for _ in range(rows)]
    owner = uuid.uuid4()
    values = [{"id": i, "owner_id": owner, "title": "楼道照明改造", "body": {"n": n}} for n, i in enumerate(ids)]
    values += [{"id": page_row_id(n), "owner_id": owner, "title": "楼道照明改造", "body": page_body(n)}
               for n in range(page_rows)]
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: FloorRow.__table__.drop(sync, checkfirst=True))
        await conn.run_sync(lambda sync: FloorRow.__table__.create(sync))
        for start in range(0, len(values), 10_000):
            await conn.execute(FloorRow.__table__.insert(), [
                {**row, "created_at": datetime.now(UTC)} for row in values[start:start + 10_000]])
        await conn.execute(text("ANALYZE floor_row"))
    await engine.dispose()
    return ids
