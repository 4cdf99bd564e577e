"""SQLite transactions: writers take the lock at BEGIN, read-only requests begin deferred."""

from app.core.db import READ_ONLY_OPTION, _sqlite_begin


class _Conn:
    def __init__(self, **options):
        self.options, self.sql = options, []

    def get_execution_options(self):
        return self.options

    def exec_driver_sql(self, sql):
        self.sql.append(sql)


def test_writers_begin_immediate_and_readers_deferred():
    writer, reader = _Conn(), _Conn(**{READ_ONLY_OPTION: True})
    _sqlite_begin(writer)
    _sqlite_begin(reader)
    assert writer.sql == ["BEGIN IMMEDIATE"] and reader.sql == ["BEGIN"]


async def test_get_requests_run_read_only_and_posts_do_not(live_app):
    """Through the real session dependency: a GET's connection carries the read-only option."""
    import httpx
    from fastapi import Request

    from app.core.db import SessionDep

    seen = {}

    @live_app.api_route("/probe/txn", methods=["GET", "POST"])
    async def probe_txn(request: Request, session: SessionDep):
        conn = await session.connection()
        seen[request.method] = conn.sync_connection.get_execution_options().get(READ_ONLY_OPTION, False)
        return {}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        statuses = [(await c.get("/probe/txn")).status_code, (await c.post("/probe/txn")).status_code]
    assert statuses == [200, 200], statuses
    assert seen == {"GET": True, "POST": False}


async def test_a_write_that_meets_a_held_lock_answers_503_with_retry_after(live_database_url, monkeypatch):
    """Another transaction holds the lock (a ledger import, say) past the lock timeout: 503, never 500."""
    import httpx
    from sqlalchemy import text

    from app.auth.roles import Role
    from app.core import db as core_db
    from app.core.config import get_settings
    from app.main import create_app
    from tests import factories

    monkeypatch.setattr(get_settings(), "database_url", live_database_url)
    engine = core_db.make_engine(live_database_url, lock_timeout_ms=200)
    monkeypatch.setattr(core_db, "_engine", engine)
    monkeypatch.setattr(core_db, "_sessionmaker", core_db.async_sessionmaker(
        engine, class_=core_db.AsyncSession, expire_on_commit=False))
    try:
        async with core_db.get_sessionmaker()() as session, session.begin():
            headers = await factories.headers(session, await factories.user(session, (Role.admin, None)))
        holder = core_db.make_engine(live_database_url, lock_timeout_ms=200)
        async with holder.connect() as conn:
            await conn.begin()  # on SQLite: BEGIN IMMEDIATE, the whole database's write lock
            if not live_database_url.startswith("sqlite"):
                await conn.execute(text("LOCK TABLE street IN EXCLUSIVE MODE"))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://t") as c:
                r = await c.post("/api/v1/streets", json={"district": "锁区", "name": "等锁街道"}, headers=headers)
            await conn.rollback()
        await holder.dispose()
        assert r.status_code == 503 and r.json()["error"]["code"] == "service_unavailable", r.text
        assert int(r.headers["retry-after"]) > 0
    finally:
        await core_db.dispose_engine()
