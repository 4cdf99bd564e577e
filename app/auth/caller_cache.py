"""The caller, remembered by each process between requests and forgotten the moment it changes anywhere.

``get_principal`` (``app.auth.deps``) reads the user, the login, the role assignments and the approved
bindings; most requests of one login ask the same. On PostgreSQL each process keeps what it read, keyed by
the token's user and login. What makes that safe:

- **A version per user, bumped in the changing transaction.** Database triggers (migration 0019) bump
  ``app_user.principal_version`` in every transaction that changes the user's row, a login of theirs
  (``auth_session``: a login, a logout, a revocation), a role assignment or a binding - or, since 0021,
  names them a residents' representative in an open acceptance round - and send
  ``NOTIFY caller_changed, '<user id>:<version>'``. PostgreSQL signals every listening session while the
  changing transaction commits, before its client hears that the commit succeeded.
- **Every process listens** (``Listener``, one connection of its own, started with the application) and
  forgets the user's entries when the notification arrives. An entry read before the change committed
  carries the older version: the cache refuses it if that version was already notified while the read was
  under way.
- **A kept caller is served only after a round trip on the listening connection that began after the
  request arrived.** The notification travels on its own (signal, listening session, socket, event loop):
  on a busy machine a request can reach another process before it does. A listening session that was
  signalled sends its pending notifications before it answers a query (PostgreSQL's ``PostgresMain``
  delivers them ahead of ``ReadyForQuery``), and the driver hands them to the cache before the answer; so
  once that round trip is back, every change committed before the request arrived has been applied.
  Concurrent requests share one round trip (a short ``SELECT 1`` on a connection no request uses).
- **No listener, no cache.** While the listener's connection is down nothing is remembered; when it
  connects (the first time, or again after a drop) the cache is emptied wholly, since notifications sent
  meanwhile were lost. A read that began before an emptying is not kept either (``epoch``).

So a logout, a revoked login, a disabled account or a removed role stops the next request on every
instance, as when every request read the database. SQLite (the one-process demo) has no LISTEN: the cache
stays off and every request reads the caller.
"""

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import asyncpg
from prometheus_client import Counter, Gauge

from app.auth.models import RoleAssignment, User
from app.auth.principal import Principal
from app.core.config import get_settings
from app.core.logging import get_logger

log = get_logger(__name__)

CHANNEL = "caller_changed"
HITS = Counter("caller_cache_hits_total", "Requests whose caller came from the process's cache")
MISSES = Counter("caller_cache_misses_total", "Requests whose caller was read from the database")
LISTENING = Gauge("caller_cache_listening", "1 while the process listens for changed callers (its cache is on)",
                  multiprocess_mode="livemax")

_Key = tuple[uuid.UUID, uuid.UUID]  # user, login


class CallerCache:
    """Principals by (user, login), bounded (least recently used first out).

    On only while a listener is up: it sets ``caught_up``, which returns once every change committed before
    the call has been applied here (and raises if the listener cannot tell).
    """

    # How long a notified version is remembered: longer than any read of a caller takes.
    NOTIFIED_SECONDS = 60.0

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.caught_up: Callable[[], Awaitable[None]] | None = None
        self.epoch = 0  # moves on every emptying: a read begun before it is not kept
        self._entries: OrderedDict[_Key, Principal] = OrderedDict()
        self._by_user: dict[uuid.UUID, set[_Key]] = {}
        self._notified: OrderedDict[uuid.UUID, tuple[int, float]] = OrderedDict()  # user: version, when

    @property
    def live(self) -> bool:
        return self.caught_up is not None

    async def get(self, user_id: uuid.UUID, login_id: uuid.UUID) -> Principal | None:
        """The kept caller, once every change committed before this call has been heard; else None."""
        key = (user_id, login_id)
        if self.caught_up is None:
            return None
        if key in self._entries:
            try:
                await self.caught_up()
            except Exception:  # the listener cannot tell (its connection dropped): read the database
                return None
        principal = self._entries.get(key)  # forgotten meanwhile if a change was heard
        if principal is None:
            MISSES.inc()
            return None
        self._entries.move_to_end(key)
        HITS.inc()
        return principal

    def put(self, login_id: uuid.UUID, version: int, principal: Principal, epoch: int) -> None:
        """Keep ``principal`` (read at ``version``, the read begun at ``epoch``) unless it may be stale."""
        user_id = principal.user.id
        notified = self._notified.get(user_id)
        if not self.live or epoch != self.epoch or (notified is not None and notified[0] > version):
            return
        # Copies that no session holds: the request's session may still change its own objects, and its
        # rollback expires them all.
        kept = replace(principal, user=User(**principal.user.model_dump()),
                       assignments=tuple(RoleAssignment(**a.model_dump()) for a in principal.assignments))
        key = (user_id, login_id)
        self._entries[key] = kept
        self._entries.move_to_end(key)
        self._by_user.setdefault(user_id, set()).add(key)
        while len(self._entries) > self.size:
            old, _ = self._entries.popitem(last=False)
            self._unindex(old)

    def changed(self, user_id: uuid.UUID, version: int) -> None:
        """A transaction that changed the caller committed: forget them."""
        now = time.monotonic()
        self._notified[user_id] = (max(version, self._notified.get(user_id, (version, now))[0]), now)
        self._notified.move_to_end(user_id)
        while self._notified and next(iter(self._notified.values()))[1] < now - self.NOTIFIED_SECONDS:
            self._notified.popitem(last=False)
        for key in self._by_user.pop(user_id, ()):
            self._entries.pop(key, None)

    def clear(self) -> None:
        self.epoch += 1
        self._entries.clear()
        self._by_user.clear()

    def _unindex(self, key: _Key) -> None:
        keys = self._by_user.get(key[0])
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_user[key[0]]


CACHE = CallerCache()


def _notification(cache: CallerCache) -> Callable[..., None]:
    def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        user_id, _, version = payload.partition(":")
        try:
            cache.changed(uuid.UUID(user_id), int(version))
        except ValueError:  # not ours: forget everything rather than guess
            cache.clear()

    return on_notify


class Listener:
    """The process's LISTEN connection: the cache is live while it is up, emptied when it (re)connects."""

    PING_SECONDS = 5.0

    def __init__(self, dsn: str, cache: CallerCache = CACHE) -> None:
        self.dsn, self.cache = dsn, cache
        self._task: asyncio.Task[None] | None = None
        self._conn: asyncpg.Connection | None = None
        self._turn = asyncio.Lock()  # one query at a time on the connection
        self._next: asyncio.Future[None] | None = None  # the round trip not begun yet, shared by its waiters
        self._trips: set[asyncio.Task[None]] = set()  # held until done (the loop keeps only weak references)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._down()

    def _down(self, *_: Any) -> None:
        self.cache.caught_up = None
        self.cache.clear()
        LISTENING.set(0)

    async def caught_up(self) -> None:
        """Return after a round trip on the listening connection begun after this call.

        Callers that arrive before the next round trip begins share it: however many requests wait, the
        connection carries one query at a time, and none waits for more than the one under way and its own.
        """
        waiting = self._next
        if waiting is None:
            waiting = self._next = asyncio.get_running_loop().create_future()
            trip = asyncio.get_running_loop().create_task(self._round_trip(waiting))
            self._trips.add(trip)
            trip.add_done_callback(self._trips.discard)
        await asyncio.shield(waiting)  # a cancelled request does not cancel the others' round trip

    async def _round_trip(self, done: asyncio.Future[None]) -> None:
        async with self._turn:
            self._next = None  # whoever comes from now on needs a round trip begun later
            try:
                if self._conn is None:
                    raise ConnectionError("the caller cache is not listening")
                await self._conn.execute("SELECT 1", timeout=self.PING_SECONDS)
            except Exception as exc:
                done.set_exception(exc)
                done.exception()  # retrieved: a round trip nobody waits for any more logs nothing
            else:
                done.set_result(None)

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=get_settings().db_connect_timeout_seconds,
                                             server_settings={"application_name": "caller-cache"})
                conn.add_termination_listener(self._down)
                await conn.add_listener(CHANNEL, _notification(self.cache))
                self.cache.clear()  # whatever was committed before LISTEN took effect was not heard
                self._conn, self.cache.caught_up, backoff = conn, self.caught_up, 0.5
                LISTENING.set(1)
                while not conn.is_closed():
                    await asyncio.sleep(self.PING_SECONDS)
                    await self.caught_up()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is down or unreachable: no cache until it is back
                log.warning("caller cache: listener down", extra={"error": type(exc).__name__})
            finally:
                self._conn = None
                self._down()
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)


def listener_for(database_url: str) -> Listener | None:
    """The listener of an application on ``database_url``; None on SQLite (no cache)."""
    if not database_url.startswith("postgresql") or not get_settings().caller_cache:
        return None
    return Listener(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
