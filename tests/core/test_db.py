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
