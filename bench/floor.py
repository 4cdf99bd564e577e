"""The floor: the least an authenticated request can cost on this stack, to measure the service against.

FastAPI and uvicorn, SQLModel sessions on asyncpg, the bearer JWT verified as the service verifies it
(``app.core.security``, python-jose), then one row read by primary key or one row inserted, in a
transaction of its own. No middleware, no principal, no scope, no audit: what remains of a request when
everything the service adds is taken away. ``bench/compare.py`` runs it beside the service with the
same workers, database and load generator.

    FLOOR_DATABASE_URL=postgresql+asyncpg://... uvicorn --factory bench.floor:create_app --workers 2

Routes: ``GET /floor/rows/{id}`` (404 when absent) and ``POST /floor/rows`` (201 with the new row).
``prepare(url, rows)`` creates the table ``floor_row`` and fills it.
"""

import os
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException
from sqlalchemy import Column, DateTime, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

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


def create_app() -> FastAPI:
    engine = create_async_engine(os.environ["FLOOR_DATABASE_URL"], pool_size=10, max_overflow=10)
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

    @app.post("/floor/rows", response_model=FloorRow, status_code=201)
    async def write(data: RowIn, user: Caller, session: Session):
        row = FloorRow(owner_id=user, title=data.title, body=data.body)
        session.add(row)
        await session.flush()
        return row

    return app


async def prepare(url: str, rows: int) -> list[uuid.UUID]:
    """Create ``floor_row`` afresh with ``rows`` rows; their ids."""
    engine = create_async_engine(url)
    ids = [uuid.uuid4() for _ in range(rows)]
    owner = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: FloorRow.__table__.drop(sync, checkfirst=True))
        await conn.run_sync(lambda sync: FloorRow.__table__.create(sync))
        for start in range(0, rows, 10_000):
            await conn.execute(FloorRow.__table__.insert(), [
                {"id": i, "owner_id": owner, "title": "楼道照明改造", "body": {"n": n},
                 "created_at": datetime.now(UTC)} for n, i in enumerate(ids[start:start + 10_000], start)])
        await conn.execute(text("ANALYZE floor_row"))
    await engine.dispose()
    return ids
