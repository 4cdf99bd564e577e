"""Routes that only read (``dependencies=[READS_ONLY]``, app.core.db.reading): on PostgreSQL their
statements run with no transaction around them (no BEGIN and COMMIT round trips), and a write in one fails
rather than commit on its own - on the app's own sessions and on the test harness's alike."""

import httpx
from sqlmodel import func, select

from app.auth.roles import Role
from app.core.db import READS_ONLY, SessionDep, get_sessionmaker
from app.registry.models import Street
from tests import factories

API = "/api/v1"


async def _admin_headers() -> dict[str, str]:
    async with get_sessionmaker()() as session, session.begin():
        return await factories.headers(session, await factories.user(session, (Role.admin, None)))


def _in_transaction(session) -> bool:
    return session.connection().connection.driver_connection.is_in_transaction()


async def test_a_route_that_only_reads_runs_outside_a_transaction_on_postgresql(postgres_live_app):
    seen: dict[str, bool] = {}

    @postgres_live_app.get(f"{API}/probe/reads-only", dependencies=[READS_ONLY])
    async def probe_reads_only(session: SessionDep):
        await session.exec(select(func.count()).select_from(Street))
        seen["reads_only"] = await session.run_sync(_in_transaction)

    @postgres_live_app.get(f"{API}/probe/reads")
    async def probe_reads(session: SessionDep):
        await session.exec(select(func.count()).select_from(Street))
        seen["plain"] = await session.run_sync(_in_transaction)

    headers = await _admin_headers()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=postgres_live_app), base_url="http://test") as c:
        assert (await c.get(f"{API}/probe/reads-only", headers=headers)).status_code == 200
        assert (await c.get(f"{API}/probe/reads", headers=headers)).status_code == 200
        me = await c.get(f"{API}/me", headers=headers)  # a real route declared so answers as before
    assert seen == {"reads_only": False, "plain": True}
    assert me.status_code == 200


async def test_a_route_declared_to_only_read_cannot_write(live_app):
    @live_app.get(f"{API}/probe/reads-then-writes", dependencies=[READS_ONLY])
    async def probe_reads_then_writes(session: SessionDep):
        await factories.street(session, district="只读区", name="不该写入")

    headers = await _admin_headers()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app, raise_app_exceptions=False),
                                 base_url="http://test") as c:
        r = await c.get(f"{API}/probe/reads-then-writes", headers=headers)
    assert r.status_code == 500
    async with get_sessionmaker()() as session:
        assert (await session.exec(select(func.count()).select_from(Street).where(Street.name == "不该写入"))).one() == 0


async def test_the_harness_refuses_a_write_in_a_route_declared_to_only_read(app, client, db):
    """The suite's requests run in the test's transaction, not in ``reading``; the guard holds there too,
    so a route declared to only read that writes fails its own tests."""

    @app.get(f"{API}/probe/harness-writes", dependencies=[READS_ONLY])
    async def probe_harness_writes(session: SessionDep):
        await factories.street(session, district="只读区", name="测试里也不行")

    headers = await factories.headers(db, await factories.user(db, (Role.admin, None)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://test") as c:
        assert (await c.get(f"{API}/probe/harness-writes", headers=headers)).status_code == 500
        # The next request on the same connection, not declared so, writes as before.
        assert (await c.get(f"{API}/me", headers=headers)).status_code == 200
    await factories.street(db, district="只读区", name="之后可以")
    assert (await db.exec(select(func.count()).select_from(Street).where(Street.name == "测试里也不行"))).one() == 0


async def test_who_looked_is_recorded_by_a_route_declared_to_only_read(live_app):
    """A grid worker's ``/me/tasks`` shows pending bindings with the people on the unit's record: the read
    is recorded (committed on its own, the route having no transaction), once per person and day."""
    from app.auth.residence import BindingRelation
    from app.privacy.models import DataAccess
    from app.residency.models import BindingMethod, BindingStatus, UnitBinding

    async with get_sessionmaker()() as session, session.begin():
        t = await factories.tree(session)
        person = await factories.owner(session, t.unit, name="只读记录", phone="13900007777")
        applicant = await factories.user(session)
        session.add(UnitBinding(user_id=applicant.id, unit_id=t.unit.id, relation=BindingRelation.owner,
                                status=BindingStatus.pending, method=BindingMethod.request))
        worker = await factories.user(session, (Role.grid_worker, t.grid.id))
        headers = await factories.headers(session, worker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        for _ in range(2):
            r = await c.get(f"{API}/me/tasks", headers=headers)
            assert r.status_code == 200 and len(r.json()["unit_bindings"]) == 1
    async with get_sessionmaker()() as session:
        reads = (await session.exec(select(DataAccess).where(DataAccess.subject_id == person.id))).all()
    assert [(r.viewer_id, r.route) for r in reads] == [(worker.id, "GET /me/tasks")]
