"""Requests that only read - every GET (app.core.db.reading): on PostgreSQL their statements run with no
transaction around them (no BEGIN and COMMIT round trips), and a write in one fails rather than commit on
its own - on the app's own sessions and on the test harness's alike. Every other request has its
transaction."""

import httpx
from sqlmodel import func, select

from app.auth.roles import Role
from app.core.db import SessionDep, get_sessionmaker
from app.registry.models import Street
from tests import factories

API = "/api/v1"


async def _admin_headers() -> dict[str, str]:
    async with get_sessionmaker()() as session, session.begin():
        return await factories.headers(session, await factories.user(session, (Role.admin, None)))


def _in_transaction(session) -> bool:
    return session.connection().connection.driver_connection.is_in_transaction()


async def test_a_get_runs_outside_a_transaction_on_postgresql_and_a_post_inside_one(postgres_live_app):
    seen: dict[str, bool] = {}

    @postgres_live_app.get(f"{API}/probe/reads")
    async def probe_get(session: SessionDep):
        await session.exec(select(func.count()).select_from(Street))
        seen["GET"] = await session.run_sync(_in_transaction)

    @postgres_live_app.post(f"{API}/probe/reads")
    async def probe_post(session: SessionDep):
        await session.exec(select(func.count()).select_from(Street))
        seen["POST"] = await session.run_sync(_in_transaction)

    headers = await _admin_headers()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=postgres_live_app), base_url="http://test") as c:
        assert (await c.get(f"{API}/probe/reads", headers=headers)).status_code == 200
        assert (await c.post(f"{API}/probe/reads", headers=headers)).status_code == 200
        me = await c.get(f"{API}/me", headers=headers)  # a real read answers as before
    assert seen == {"GET": False, "POST": True}
    assert me.status_code == 200


async def test_a_get_cannot_write(live_app):
    @live_app.get(f"{API}/probe/writes")
    async def probe_get_writes(session: SessionDep):
        await factories.street(session, district="只读区", name="不该写入")

    @live_app.post(f"{API}/probe/writes")
    async def probe_post_writes(session: SessionDep):
        await factories.street(session, district="只读区", name="写入")

    headers = await _admin_headers()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app, raise_app_exceptions=False),
                                 base_url="http://test") as c:
        assert (await c.get(f"{API}/probe/writes", headers=headers)).status_code == 500
        assert (await c.post(f"{API}/probe/writes", headers=headers)).status_code == 200
    async with get_sessionmaker()() as session:
        names = (await session.exec(select(Street.name).where(Street.district == "只读区"))).all()
    assert names == ["写入"]


async def test_the_harness_refuses_a_write_in_a_get(app, client, db):
    """The suite's requests run in the test's transaction, not in ``reading``; the guard holds there too,
    so a GET that writes fails its own tests."""

    @app.get(f"{API}/probe/harness-writes")
    async def probe_harness_get_writes(session: SessionDep):
        await factories.street(session, district="只读区", name="测试里也不行")

    @app.post(f"{API}/probe/harness-writes")
    async def probe_harness_post_writes(session: SessionDep):
        await factories.street(session, district="只读区", name="测试里可以")

    headers = await factories.headers(db, await factories.user(db, (Role.admin, None)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://test") as c:
        assert (await c.get(f"{API}/probe/harness-writes", headers=headers)).status_code == 500
        # The next request on the same connection, a POST, writes as before.
        assert (await c.post(f"{API}/probe/harness-writes", headers=headers)).status_code == 200
    names = (await db.exec(select(Street.name).where(Street.district == "只读区"))).all()
    assert names == ["测试里可以"]


async def test_who_looked_is_recorded_by_a_get(live_app):
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
