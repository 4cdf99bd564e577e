"""The caller cache: what a process remembers of a caller, and how every process forgets it at once.

The rules of ``CallerCache`` are checked directly; the whole (triggers, NOTIFY, listeners) with two
server processes on PostgreSQL: a role removed, a login ended or an account disabled through one process
stops the very next request to the other, and a listener that reconnects empties its process's cache.
"""

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import text

from app.auth.caller_cache import CallerCache, Listener, _notification
from app.auth.models import RoleAssignment, User
from app.auth.principal import Principal
from app.auth.roles import Role, ScopeType
from app.core.config import get_settings
from app.core.db import make_engine
from tests import factories as f

API = "/api/v1"


def _principal(name: str = "住户") -> Principal:
    return Principal(user=User(id=uuid.uuid4(), display_name=name))


async def _nothing_unheard() -> None:
    """A listener's round trip that found no notification on its way."""


def _live_cache() -> CallerCache:
    cache = CallerCache(size=3)
    cache.caught_up = _nothing_unheard
    return cache


async def test_a_kept_caller_is_served_until_the_user_changes():
    cache, login = _live_cache(), uuid.uuid4()
    user = User(id=uuid.uuid4(), display_name="住户")
    role = RoleAssignment(id=uuid.uuid4(), user_id=user.id, role=Role.grid_worker, scope_type=ScopeType.grid, scope_id=uuid.uuid4())
    p = Principal(user=user, assignments=(role,))
    cache.put(login, 4, p, cache.epoch)
    hit = await cache.get(p.user.id, login)
    assert hit is not None and hit.user.display_name == "住户" and hit.assignments[0].scope_id == role.scope_id
    assert hit.user is not user and hit.assignments[0] is not role  # copies no session holds
    assert await cache.get(p.user.id, uuid.uuid4()) is None  # another login of the user is read afresh
    cache.changed(p.user.id, 5)
    assert await cache.get(p.user.id, login) is None


async def test_a_read_older_than_a_notified_change_is_not_kept():
    """The read began before a change committed; its notification came first: the read is stale."""
    cache, p, login = _live_cache(), _principal(), uuid.uuid4()
    cache.changed(p.user.id, 7)
    cache.put(login, 6, p, cache.epoch)
    assert await cache.get(p.user.id, login) is None
    cache.put(login, 7, p, cache.epoch)  # read after that change committed
    assert await cache.get(p.user.id, login) is not None


async def test_a_read_begun_before_the_cache_was_emptied_is_not_kept():
    cache, p, login = _live_cache(), _principal(), uuid.uuid4()
    epoch = cache.epoch
    cache.clear()  # the listener reconnected: notifications may have been lost meanwhile
    cache.put(login, 1, p, epoch)
    assert await cache.get(p.user.id, login) is None


async def test_without_a_listener_nothing_is_kept_or_served():
    cache, p, login = CallerCache(), _principal(), uuid.uuid4()
    cache.put(login, 1, p, cache.epoch)
    cache.caught_up = _nothing_unheard
    assert await cache.get(p.user.id, login) is None


async def test_the_cache_is_bounded_and_forgets_the_least_recently_used():
    cache = _live_cache()
    callers = [(_principal(), uuid.uuid4()) for _ in range(4)]
    for p, login in callers[:3]:
        cache.put(login, 1, p, cache.epoch)
    assert await cache.get(callers[0][0].user.id, callers[0][1]) is not None  # now the most recently used
    cache.put(callers[3][1], 1, callers[3][0], cache.epoch)
    assert await cache.get(callers[1][0].user.id, callers[1][1]) is None
    assert all([await cache.get(p.user.id, login) is not None for p, login in (callers[0], callers[2], callers[3])])
    cache.changed(callers[1][0].user.id, 2)  # a user no longer kept: nothing to forget, nothing breaks


async def test_a_notification_it_cannot_read_empties_the_cache():
    cache, p, login = _live_cache(), _principal(), uuid.uuid4()
    cache.put(login, 1, p, cache.epoch)
    _notification(cache)(None, 0, "caller_changed", "not-a-user")
    assert await cache.get(p.user.id, login) is None



async def test_a_change_heard_on_the_round_trip_is_not_served():
    """The notification was on its way when the request came: the round trip brings it first."""
    cache, p, login = _live_cache(), _principal(), uuid.uuid4()
    cache.put(login, 1, p, cache.epoch)

    async def hears_a_change() -> None:
        cache.changed(p.user.id, 2)

    cache.caught_up = hears_a_change
    assert await cache.get(p.user.id, login) is None


async def test_a_listener_that_cannot_answer_serves_nothing():
    cache, p, login = _live_cache(), _principal(), uuid.uuid4()
    cache.put(login, 1, p, cache.epoch)

    async def dropped() -> None:
        raise ConnectionError("gone")

    cache.caught_up = dropped
    assert await cache.get(p.user.id, login) is None


class _Connection:
    """A listening connection whose queries take as long as the test says; it counts them."""

    def __init__(self) -> None:
        self.queries, self.answer = 0, asyncio.Event()

    async def execute(self, _query: str, timeout: float) -> None:
        self.queries += 1
        await self.answer.wait()
        self.answer.clear()


async def test_waiting_requests_share_a_round_trip_that_began_after_they_came():
    listener, conn = Listener("postgresql://unused"), _Connection()
    listener._conn = conn
    first = [asyncio.create_task(listener.caught_up()) for _ in range(5)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert conn.queries == 1  # five requests, one round trip
    later = [asyncio.create_task(listener.caught_up()) for _ in range(5)]  # came while it was under way
    await asyncio.sleep(0)
    conn.answer.set()
    await asyncio.gather(*first)
    assert not any(task.done() for task in later)  # the round trip under way began before they came
    for _ in range(3):
        await asyncio.sleep(0)
    assert conn.queries == 2
    conn.answer.set()
    await asyncio.gather(*later)
    assert conn.queries == 2


async def test_a_round_trip_without_a_connection_fails_its_waiters():
    listener = Listener("postgresql://unused")
    try:
        await listener.caught_up()
    except ConnectionError:
        return
    raise AssertionError("a listener without a connection vouched for the cache")


async def test_a_change_committed_just_before_a_request_is_heard_by_it(postgres_live_url):
    """The race CI once lost: a change commits and the next request comes before its notification
    reached the process. The round trip makes the request wait for it (twenty times over)."""
    cache = CallerCache()
    listener = Listener(postgres_live_url.replace("postgresql+asyncpg://", "postgresql://", 1), cache)
    engine = make_engine(postgres_live_url)
    listener.start()
    try:
        async with engine.connect() as conn:
            from sqlmodel.ext.asyncio.session import AsyncSession

            async with AsyncSession(bind=conn, expire_on_commit=False) as session:
                user = await f.user(session)
                await session.commit()
            for _ in range(100):
                if cache.live:
                    break
                await asyncio.sleep(0.05)
            login = uuid.uuid4()
            for round_ in range(20):
                version = (await conn.execute(text("SELECT principal_version FROM app_user WHERE id = :u"), {"u": user.id})).scalar_one()
                await conn.commit()
                cache.put(login, version, Principal(user=user), cache.epoch)
                assert await cache.get(user.id, login) is not None
                await conn.execute(text("UPDATE app_user SET display_name = :n WHERE id = :u"), {"n": f"住户{round_}", "u": user.id})
                await conn.commit()
                assert await cache.get(user.id, login) is None, f"round {round_}: a stale caller was served"
    finally:
        await listener.stop()
        await engine.dispose()


# ---- two processes on PostgreSQL --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def _servers(database_url: str, count: int):
    ports = [_free_port() for _ in range(count)]
    env = {**os.environ, "APP_DATABASE_URL": database_url, "APP_ENV": "test",
           "APP_JWT_SECRET": get_settings().jwt_secret, "APP_LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each process's own metrics
    procs = [subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
                               "--port", str(port), "--log-level", "warning"], env=env) for port in ports]
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) for port in ports]
    try:
        for client in clients:
            await _until_listening(client)
        yield clients
    finally:
        for client in clients:
            await client.aclose()
        for proc in procs:
            proc.terminate()
            proc.wait(10)


async def _listening(client: httpx.AsyncClient) -> bool:
    try:
        metrics = (await client.get("/metrics")).text
    except httpx.TransportError:
        return False
    return "caller_cache_listening 1.0" in metrics


async def _until_listening(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        if await _listening(client):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{client.base_url} never listened")


async def test_two_processes_forget_a_changed_caller_at_once(postgres_live_url):
    """On PostgreSQL in both runs: the cache listens with LISTEN/NOTIFY (on SQLite it is off)."""
    engine = make_engine(postgres_live_url)
    try:
        async with engine.connect() as conn:
            from sqlmodel.ext.asyncio.session import AsyncSession

            async with AsyncSession(bind=conn, expire_on_commit=False) as session:
                estate = await f.estate(session)
                phone = f"139{uuid.uuid4().int % 10**8:08d}"
                staff = await f.user(session, (Role.community_staff, estate.community_id), password="long enough", phone=phone)
                await f.consent(session, staff)
                admin = await f.headers(session, await f.user(session, (Role.admin, None)))
                await session.commit()
            async with _servers(postgres_live_url, 2) as (a, b):
                tokens = (await a.post(f"{API}/auth/login", json={"phone": phone, "password": "long enough"})).json()
                me = {"Authorization": f"Bearer {tokens['access_token']}"}
                assert (await b.get(f"{API}/me", headers=me)).json()["display_name"] == staff.display_name
                # A request that fails rolls its session back: what B keeps of the caller is not that session's.
                assert (await b.get(f"{API}/projects/{uuid.uuid4()}", headers=me)).status_code == 404
                assert (await b.get(f"{API}/me", headers=me)).json()["roles"][0]["role"] == "community_staff"

                # B serves the caller from its cache: a change made without the triggers (as if its
                # notification were lost) is not seen there, but A, which never read this caller, sees it.
                await conn.execute(text("SET session_replication_role = replica"))
                await conn.execute(text("UPDATE app_user SET display_name = '改过的名字' WHERE id = :u"), {"u": staff.id})
                await conn.commit()
                await conn.execute(text("SET session_replication_role = origin"))
                assert (await b.get(f"{API}/me", headers=me)).json()["display_name"] == staff.display_name
                assert (await a.get(f"{API}/me", headers=me)).json()["display_name"] == "改过的名字"

                # A listener that loses its connection empties its cache when it is back.
                listeners = "SELECT pid FROM pg_stat_activity WHERE application_name = 'caller-cache' AND datname = current_database()"
                before = set((await conn.execute(text(listeners))).scalars())
                await conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM ({listeners}) AS l"))
                await conn.commit()
                for _ in range(100):
                    now = set((await conn.execute(text(listeners))).scalars())
                    await conn.commit()
                    if len(now) == 2 and not now & before:
                        break
                    await asyncio.sleep(0.1)
                await _until_listening(b)
                assert (await b.get(f"{API}/me", headers=me)).json()["display_name"] == "改过的名字"

                # A role removed through A: B's next request no longer has it.
                roles = (await b.get(f"{API}/me", headers=me)).json()["roles"]
                assert [r["role"] for r in roles] == ["community_staff"]
                assignment = (await conn.execute(text("SELECT id FROM role_assignment WHERE user_id = :u"), {"u": staff.id})).scalar_one()
                await conn.commit()
                assert (await a.delete(f"{API}/users/{staff.id}/roles/{assignment}", headers=admin)).status_code == 204
                assert (await b.get(f"{API}/me", headers=me)).json()["roles"] == []

                # The account disabled through A (which ends its logins): B refuses the next request.
                assert (await a.post(f"{API}/users/{staff.id}/disable", headers=admin)).status_code == 200
                r = await b.get(f"{API}/me", headers=me)
                assert (r.status_code, r.json()["error"]["code"]) == (401, "token_invalid")

                # Enabled again, a new login; ended through A: B answers 401 to its next request.
                assert (await a.post(f"{API}/users/{staff.id}/enable", headers=admin)).status_code == 200
                tokens = (await a.post(f"{API}/auth/login", json={"phone": phone, "password": "long enough"})).json()
                me = {"Authorization": f"Bearer {tokens['access_token']}"}
                assert (await b.get(f"{API}/me", headers=me)).status_code == 200
                assert (await b.get(f"{API}/me", headers=me)).status_code == 200
                assert (await a.post(f"{API}/auth/logout", json={"refresh_token": tokens["refresh_token"]})).status_code == 204
                r = await b.get(f"{API}/me", headers=me)
                assert (r.status_code, r.json()["error"]["code"]) == (401, "token_invalid")
                hits = [line for line in (await b.get("/metrics")).text.splitlines() if line.startswith("caller_cache_hits_total")]
                assert hits and float(hits[0].split()[-1]) >= 1
    finally:
        await engine.dispose()
