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

And ``POST /floor/casts``, the least a vote can cost when it is kept as the design keeps one (a measure
beside the target, not the target: casting's target is the one-row write): in one transaction, the voter
read by its id, of the caller and on a ballot still open (one query); the cast inserted under the
one-current-cast-per-voter unique index (409 when the voter has one); a choice per motion (one
executemany); an audit entry; and the Idempotency-Key's record with the answer it stored - five
statements between BEGIN and COMMIT where the write has one. Not in it: reading the caller's login and
roles, scopes, the key claimed before the request runs, the audit chain, foreign keys, middleware.

``prepare(url, rows, page_rows)`` creates the table ``floor_row`` and fills it: ``rows`` rows to read by id,
with a small body, and ``page_rows`` rows to page through, whose bodies make a page of 50 about the size
of a roster page of 50 units (~22 KB of JSON; a unit with its place, people and bindings). The page rows
take the top of the id space (``ffffffff-ffff-ffff-...``, where no uuid4 can fall: their 13th digit is 4),
so the reads never pick them, and the rows written never land among them. ``page_paths`` are the pages'
paths, in order.
"""

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response
from sqlalchemy import Column, DateTime, Index, LargeBinary, UniqueConstraint, bindparam, insert, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
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


class FloorBallot(SQLModel, table=True):
    __tablename__ = "floor_ballot"
    id: uuid.UUID = Field(primary_key=True)
    closes_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class FloorVoter(SQLModel, table=True):
    __tablename__ = "floor_voter"
    id: uuid.UUID = Field(primary_key=True)
    ballot_id: uuid.UUID
    user_id: uuid.UUID
    area_centi: int


class FloorCast(SQLModel, table=True):
    __tablename__ = "floor_cast"
    __table_args__ = (Index("uq_floor_cast_voter", "ballot_id", "voter_id", unique=True),)
    id: uuid.UUID = Field(primary_key=True)
    ballot_id: uuid.UUID
    voter_id: uuid.UUID
    receipt: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class FloorChoice(SQLModel, table=True):
    __tablename__ = "floor_choice"
    id: uuid.UUID = Field(primary_key=True)
    cast_id: uuid.UUID
    motion_id: uuid.UUID
    choice: str = Field(max_length=16)
    area_centi: int


class FloorAudit(SQLModel, table=True):
    __tablename__ = "floor_audit"
    id: int | None = Field(default=None, primary_key=True)
    actor_id: uuid.UUID
    action: str = Field(max_length=64)
    entity_id: str = Field(max_length=64)
    after: dict = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class FloorKey(SQLModel, table=True):
    __tablename__ = "floor_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID
    key: str = Field(max_length=255)
    status: int
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ChoiceIn(SQLModel):
    motion_id: uuid.UUID
    choice: str = Field(max_length=16)


class CastIn(SQLModel):
    voter_id: uuid.UUID
    choices: list[ChoiceIn]


class CastOut(SQLModel):
    ballot_id: uuid.UUID
    voter_id: uuid.UUID
    receipt: str
    choices: list[ChoiceIn]
    cast_at: datetime


FLOOR_BALLOT = uuid.UUID(int=1)
CAST_TABLES = (FloorBallot, FloorVoter, FloorCast, FloorChoice, FloorAudit, FloorKey)
_INSERT_CAST, _INSERT_CHOICE, _INSERT_AUDIT, _INSERT_KEY = (
    insert(FloorCast), insert(FloorChoice), insert(FloorAudit), insert(FloorKey))
# The voter, the caller's, on the ballot while it is open: built once, the values bound.
_VOTER = (select(FloorVoter.area_centi).join(FloorBallot, col(FloorBallot.id) == FloorVoter.ballot_id)
          .where(col(FloorVoter.id) == bindparam("voter_id"), col(FloorVoter.user_id) == bindparam("user_id"),
                 col(FloorVoter.ballot_id) == FLOOR_BALLOT, col(FloorBallot.closes_at) > bindparam("now")))


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

    @app.post("/floor/casts", response_model=CastOut, status_code=201)
    async def cast(data: CastIn, user: Caller, session: Session,
                   idempotency_key: Annotated[str, Header(max_length=255)]):
        now = datetime.now(UTC)
        conn = await session.connection()
        area = (await conn.execute(_VOTER, {"voter_id": data.voter_id, "user_id": user, "now": now})).scalar()
        if area is None:
            raise HTTPException(404)
        cast_id = uuid.uuid4()
        receipt = uuid.uuid4().hex[:16]
        try:
            await conn.execute(_INSERT_CAST, {"id": cast_id, "ballot_id": FLOOR_BALLOT, "voter_id": data.voter_id,
                                              "receipt": receipt, "created_at": now})
        except IntegrityError:
            raise HTTPException(409) from None
        await conn.execute(_INSERT_CHOICE, [{"id": uuid.uuid4(), "cast_id": cast_id, "motion_id": c.motion_id,
                                             "choice": c.choice, "area_centi": area} for c in data.choices])
        await conn.execute(_INSERT_AUDIT, {"actor_id": user, "action": "ballot.cast", "entity_id": str(FLOOR_BALLOT),
                                           "after": {"cast_id": str(cast_id), "channel": "self"}, "created_at": now})
        # Serialised once: the answer stored under the key is the answer sent.
        body = CastOut(ballot_id=FLOOR_BALLOT, voter_id=data.voter_id, receipt=receipt, choices=data.choices,
                       cast_at=now).model_dump_json().encode()
        await conn.execute(_INSERT_KEY, {"id": uuid.uuid4(), "user_id": user, "key": idempotency_key, "status": 201,
                                         "body": body, "created_at": now})
        return Response(body, status_code=201, media_type="application/json")

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


async def prepare(url: str, rows: int, page_rows: int = 0, voters: int = 0) -> tuple[list[uuid.UUID], list[tuple[uuid.UUID, uuid.UUID]]]:
    """Create ``floor_row`` afresh with ``rows`` rows to read and ``page_rows`` rows to page through, and the
    cast route's tables with an open ballot of ``voters`` voters; the ids of the rows to read, and each
    voter's (id, user id)."""
    engine = create_async_engine(url)
    electorate = [(uuid.uuid4(), uuid.uuid4()) for _ in range(voters)]
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
        for table in reversed(CAST_TABLES):
            await conn.run_sync(lambda sync, t=table: t.__table__.drop(sync, checkfirst=True))
        for table in CAST_TABLES:
            await conn.run_sync(lambda sync, t=table: t.__table__.create(sync))
        await conn.execute(FloorBallot.__table__.insert(), [{"id": FLOOR_BALLOT, "closes_at": datetime.now(UTC) + timedelta(days=7)}])
        for start in range(0, voters, 10_000):
            await conn.execute(FloorVoter.__table__.insert(), [
                {"id": voter, "ballot_id": FLOOR_BALLOT, "user_id": user, "area_centi": 8_000 + n % 4_000}
                for n, (voter, user) in enumerate(electorate[start:start + 10_000], start)])
        await conn.execute(text("ANALYZE floor_row, floor_ballot, floor_voter"))
    await engine.dispose()
    return ids, electorate
