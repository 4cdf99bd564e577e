"""Soak: mixed traffic for --minutes with the worker running, on PostgreSQL. Stability, not throughput.

    .venv/bin/python bench/soak.py [--minutes 10] [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_soak]
                                   [--units 5000] [--reads-per-second 40]

1. Data (the database is dropped and re-created): an estate of --units units from the generated ledger
   (bench/voting.py's ``_estate``: one owner per unit, a co-owner on every seventh), an account bound to
   every owner and co-owner, each with a WeChat openid and one subscription to the ballot and
   questionnaire notices (so the worker really sends them, to the fake WeChat); a ballot with two motions
   and the renovation needs questionnaire, both drafts; a grid of all the buildings and its grid worker.
2. The service runs as in production (``python -m app serve --workers 2``) and so does the worker
   (``python -m app worker``) on the same database with the same environment, for the whole run. The
   worker's scheduled job opens the ballot (its ``opens_at`` is now) and an admin publishes the
   questionnaire through the API; each queues a notice to every owner, which the worker delivers (to the
   fake WeChat and the inbox) while the traffic runs.
3. Traffic for --minutes, paced (open loop: requests start on a schedule whatever the answers take): the
   residents' reads (``/me``, ``/me/tasks``, ``/me/notifications``, the project and its items, the ballot,
   the questionnaire) at --reads-per-second; votes by distinct voters (~6/s); questionnaire responses by
   residents for their own unit (~2/s); the grid worker's offline batches of 25 proxy responses (every
   10 s). Every write carries an ``Idempotency-Key``. The write rates are lowered for long runs so that
   no pool (voters, units) runs out.
4. Memory: the resident set (VmRSS) of both uvicorn worker processes and of the worker, every 10 s
   (more often in short runs). "Does not grow": the mean of the last minute against the mean of minute
   2 (the first minute is warm-up); each process passes when it grew less than 10 % or 30 MB, whichever
   is larger. Runs shorter than 4 minutes compare the second half against the second quarter (the first
   quarter is warm-up): a smoke test of the check, not a soak.
5. Checks at the end, each failing the run (exit 1): every request answered 2xx (no exception, no
   rejected item in a batch); the current casts in the database are exactly the acknowledged votes
   (voter and receipt, every one compared) and the responses of the questionnaire are exactly the
   acknowledged response ids; no notice pending (or in hand) for more than a minute at the end of the
   traffic, none failed, and an inbox message for every notice handled; the service, its two workers
   (same pids) and the worker still running, no error in the worker's log; and the service kept up
   with the offered load (no window after the warm-up whose median answer took over 2 s: an overloaded
   run measures queues, not stability - run it on a quiet machine or lower --reads-per-second). A short run waits,
   the service idle, for the worker to deliver the opening's backlog (two notices per owner, queued at
   the start) before checking the outbox; a long run must have delivered them while under load.

The load generator is this Python process, on the same cores as the service, the worker and PostgreSQL.
Prints the figures, writes them to the ``soak`` section of bench/results.md.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from questionnaires import _recreate  # noqa: E402
from report import write_section  # noqa: E402
from serving import ROOT, ms, serve, stop, wait_ready  # noqa: E402
from voting import _ballot, _estate, _notice_served, _owners_with_accounts, _voters_and_tokens  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_soak"
PORT = 8767
VOTES_PER_SECOND = 6.0
RESPONSES_PER_SECOND = 2.0
BATCH_ITEMS = 25
CONNECTIONS = 32
BATCH_EVERY_SECONDS = 10.0
POOL_USE = 0.9  # at most this share of a pool (voters, units) is planned to be used
GROWTH_BOUND = (0.10, 30.0)  # a process may grow less than 10 % or 30 MB, whichever is larger
LONG_RUN_SECONDS = 240  # from here on: warm-up minute 1, baseline minute 2, against the last minute
STALE_NOTICE_SECONDS = 60
SHORT_RUN_DRAIN_SECONDS = 900  # a short run waits this long at most for the worker to deliver the backlog
BEHIND_P50_SECONDS = 2.0  # a window whose median answer took longer: the service fell behind the offered load
TEMPLATES = {"ballot_open": "tpl-soak-ballot-open", "questionnaire_published": "tpl-soak-questionnaire"}
STARTED: list[subprocess.Popen] = []  # every child process, stopped in main() whatever happens
WORKER_PIDS: set[int] = set()  # the uvicorn workers seen (children of the service), stopped too


# ---- processes and memory -------------------------------------------------------------------------


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def _cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) the process has used."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
        return None


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) clock ticks of all the machine's cores so far."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _uvicorn_workers(parent: int) -> list[int]:
    """The serving processes uvicorn spawned (not multiprocessing's resource tracker)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != parent:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
            continue
        if b"spawn_main" in cmdline:
            found.append(int(entry))
    return sorted(found)


def _stop_all() -> None:
    for process in reversed(STARTED):
        stop(process)
    for pid in WORKER_PIDS:  # left behind only if the service itself had to be killed
        if _rss_mb(pid) is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _windows(seconds: float) -> tuple[float, tuple[float, float], tuple[float, float], str]:
    """Warm-up, the baseline window and the final window (seconds from the start of the traffic)."""
    if seconds >= LONG_RUN_SECONDS:
        return 60.0, (60.0, 120.0), (seconds - 60.0, seconds), \
            "warm-up minute 1; baseline = mean of minute 2; final = mean of the last minute"
    q = seconds / 4
    return q, (q, 2 * q), (2 * q, seconds), (
        f"short run ({seconds:g} s < {LONG_RUN_SECONDS} s): warm-up = first quarter; baseline = mean of the "
        "second quarter; final = mean of the second half (a smoke test of the check, not a soak)")


@dataclass
class Memory:
    interval: float
    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)

    async def sample(self, processes: dict[str, int], started: float, stop: asyncio.Event) -> None:
        while True:
            now = time.perf_counter() - started
            self.samples.append((now, {name: rss for name, pid in processes.items()
                                       if (rss := _rss_mb(pid)) is not None}))
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
                self.samples.append((time.perf_counter() - started, {
                    name: rss for name, pid in processes.items() if (rss := _rss_mb(pid)) is not None}))
                return
            except TimeoutError:
                pass

    def mean(self, name: str, window: tuple[float, float]) -> float | None:
        values = [s[name] for t, s in self.samples if window[0] <= t <= window[1] and name in s]
        return statistics.fmean(values) if values else None

    def check(self, names: list[str], seconds: float) -> tuple[list[dict], list[str], str]:
        _, base, final, how = _windows(seconds)
        rows, failures = [], []
        bins = _bins(seconds)
        for name in names:
            values = [s[name] for _, s in self.samples if name in s]
            b, f = self.mean(name, base), self.mean(name, final)
            if not values or b is None or f is None:
                failures.append(f"memory: no samples of {name} in the windows")
                continue
            bound = max(GROWTH_BOUND[0] * b, GROWTH_BOUND[1])
            growth = f - b
            series = [self.mean(name, w) for w in bins]
            row = {"process": name, "start_mb": round(values[0], 1), "baseline_mb": round(b, 1),
                   "final_mb": round(f, 1), "max_mb": round(max(values), 1), "growth_mb": round(growth, 1),
                   "growth_pct": round(100 * growth / b, 1), "bound_mb": round(bound, 1),
                   "series_mb": [None if v is None else round(v, 1) for v in series], "ok": growth < bound}
            rows.append(row)
            if not row["ok"]:
                failures.append(f"memory: {name} grew {growth:.1f} MB ({row['growth_pct']} %), bound {bound:.1f} MB")
        return rows, failures, how


def _bins(seconds: float) -> list[tuple[float, float]]:
    """Windows for the series: minutes in a long run, quarters in a short one."""
    count = int(seconds // 60) if seconds >= LONG_RUN_SECONDS else 4
    width = seconds / count
    return [(i * width, (i + 1) * width) for i in range(count)]


# ---- data -----------------------------------------------------------------------------------------


@dataclass
class World:
    project_id: str
    ballot_id: str
    questionnaire_id: str
    admin_token: str
    grid_token: str
    motion_ids: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # the renovation items' option codes
    voters: list[tuple[str, str]] = field(default_factory=list)  # (voter id, owner's token)
    online: list[tuple[str, str]] = field(default_factory=list)  # (unit id, its owner's token)
    proxy_units: list[str] = field(default_factory=list)  # units the grid worker answers for
    readers: list[str] = field(default_factory=list)  # residents' tokens


async def _setup(units: int) -> World:
    from sqlalchemy import text
    from sqlmodel import select

    from app.auth.models import AuthSession, Role, RoleAssignment, User
    from app.auth.principal import Principal
    from app.auth.residence import BindingRelation
    from app.auth.roles import ROLE_SCOPE
    from app.core.db import get_sessionmaker
    from app.core.security import create_access_token
    from app.projects.reads import project_ref
    from app.registry.models import Grid, PropertyUnit
    from app.residency.models import BindingStatus, UnitBinding
    from app.surveys import service as surveys
    from app.surveys.schemas import QuestionnaireCreate

    sessions = get_sessionmaker()
    async with sessions() as session, session.begin():
        admin = User(display_name="基准管理员")
        grid_worker = User(display_name="基准网格员")
        session.add_all([admin, grid_worker])
        await session.flush()
        assignment = RoleAssignment(user_id=admin.id, role=Role.admin, scope_type=ROLE_SCOPE[Role.admin])
        admin_login = AuthSession(user_id=admin.id, channel="password")
        grid_login = AuthSession(user_id=grid_worker.id, channel="password")
        session.add_all([assignment, admin_login, grid_login])
        p = Principal(user=admin, assignments=(assignment,))
        project = await _estate(session, "耐久小区", units)
        await _owners_with_accounts(session, project.estate_id)
        # Every account can be reached on WeChat and accepted one notice of each kind.
        await session.exec(text(
            "UPDATE app_user SET wechat_openid = 'osoak' || replace(id::text, '-', '') "
            "WHERE id IN (SELECT user_id FROM unit_binding)"))
        for template in TEMPLATES:
            await session.exec(text(
                "INSERT INTO template_subscription (id, user_id, template, credits, updated_at) "
                "SELECT gen_random_uuid(), user_id, :template, 1, now() FROM unit_binding"
            ).bindparams(template=template))
        estate_id = project.estate_id
        community_id = (await session.exec(text(
            "SELECT community_id FROM estate WHERE id = :id").bindparams(id=estate_id))).one()[0]
        grid = Grid(community_id=community_id, name="耐久网格")
        session.add(grid)
        await session.flush()
        await session.exec(text("UPDATE building SET grid_id = :grid WHERE estate_id = :estate")
                           .bindparams(grid=grid.id, estate=estate_id))
        session.add(RoleAssignment(user_id=grid_worker.id, role=Role.grid_worker, scope_type=ROLE_SCOPE[Role.grid_worker],
                                   scope_id=grid.id))
        ballot = await _ballot(session, p, project, "加装电梯与综合改造")
        await _notice_served(session, ballot)  # announced fifteen days ago: it opens now
        needs = await surveys.create(session, admin.id, project_ref(project), QuestionnaireCreate(template="renovation_needs"))
        codes = [o.value for o in surveys.questions_of(needs)[2].options]
        owners = (await session.exec(
            select(UnitBinding.unit_id, UnitBinding.user_id, AuthSession.id)
            .join(AuthSession, AuthSession.user_id == UnitBinding.user_id)
            .join(PropertyUnit, PropertyUnit.id == UnitBinding.unit_id)
            .where(PropertyUnit.estate_id == estate_id, UnitBinding.relation == BindingRelation.owner,
                   UnitBinding.status == BindingStatus.approved))).all()
    async with sessions() as session, session.begin():
        await session.exec(text("ANALYZE"))
    one = {unit: (user, login) for unit, user, login in owners}  # one owner answers for each unit
    units_shuffled = sorted(one, key=str)
    random.Random(3).shuffle(units_shuffled)
    half = len(units_shuffled) // 2
    return World(
        project_id=str(project.id), ballot_id=str(ballot.id), questionnaire_id=str(needs.id),
        admin_token=create_access_token(admin.id, admin_login.id)[0],
        grid_token=create_access_token(grid_worker.id, grid_login.id)[0], codes=codes,
        online=[(str(u), create_access_token(*one[u])[0]) for u in units_shuffled[:half]],
        proxy_units=[str(u) for u in units_shuffled[half:]])


def _answers(rng: random.Random, codes: list[str]) -> list[dict]:
    chosen = rng.sample(codes, rng.randint(1, 5))
    values = {"household": rng.randint(1, 6), "elderly": rng.choice(["yes", "no"]), "items": chosen,
              "contribute": rng.choice(["yes", "depends", "no"])}
    if "improvement.elevator" in chosen:
        values["elevator"] = rng.choice(["support", "oppose", "neutral"])
    return [{"question_id": k, "value": v} for k, v in values.items()]


# ---- traffic --------------------------------------------------------------------------------------


@dataclass
class Load:
    started: float = 0.0
    records: list[tuple[float, str, int | str, float]] = field(default_factory=list)  # (t, kind, status, s)
    failures: list[str] = field(default_factory=list)
    votes: dict[str, str] = field(default_factory=dict)  # acknowledged: voter id -> receipt
    responses: set[str] = field(default_factory=set)  # acknowledged response ids (online and in batches)
    sent: Counter = field(default_factory=Counter)  # writes sent, by kind
    exhausted: set[str] = field(default_factory=set)
    lag_max_s: float = 0.0  # how late the scheduler started a request (the load generator keeping up)
    in_flight: int = 0
    in_flight_max: int = 0  # requests due and not yet answered: grows when the service falls behind
    # Requests on the wire at once. Those due beyond it wait here, in an asyncio queue, rather than in
    # httpx's connection pool (whose bookkeeping grows with its queue and would slow this process down).
    connections: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CONNECTIONS))

    def fail(self, kind: str, detail: str) -> None:
        self.failures.append(f"{time.perf_counter() - self.started:7.1f} s {kind}: {detail[:300]}")

    async def call(self, c: httpx.AsyncClient, kind: str, method: str, path: str, token: str,
                   body: dict | None = None, expect: int = 200) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {token}"}
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        began = time.perf_counter()  # latency counts from when the request was due, waiting here included
        self.in_flight += 1
        self.in_flight_max = max(self.in_flight_max, self.in_flight)
        try:
            async with self.connections:
                r = await c.request(method, path, json=body, headers=headers)
        except Exception as exc:  # noqa: BLE001 - every exception is a failed request, counted
            self.records.append((began - self.started, kind, "exception", time.perf_counter() - began))
            self.fail(kind, f"{method} {path}: {type(exc).__name__}: {exc}")
            return None
        finally:
            self.in_flight -= 1
        self.records.append((began - self.started, kind, r.status_code, time.perf_counter() - began))
        if r.status_code != expect:
            self.fail(kind, f"{method} {path}: {r.status_code} {r.text}")
            return None
        return r


async def _paced(load: Load, kind: str, rate: float, until: float, job, pending: set) -> None:
    """Start ``job()`` (a coroutine, or None when its pool is used up) ``rate`` times a second until
    ``until``, on a schedule whatever the answers take (open loop)."""
    if rate <= 0:
        return
    n = 0
    while (due := load.started + n / rate) < until:
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            load.lag_max_s = max(load.lag_max_s, -delay)
        coroutine = job()
        if coroutine is None:
            load.exhausted.add(kind)
            return
        task = asyncio.create_task(coroutine)
        pending.add(task)
        task.add_done_callback(pending.discard)
        n += 1


async def _traffic(c: httpx.AsyncClient, w: World, load: Load, seconds: float, rates: dict[str, float]) -> None:
    rng = random.Random(17)
    voters, online, proxy = list(w.voters), list(w.online), list(w.proxy_units)
    reads = [("read me", "/api/v1/me"), ("read me/tasks", "/api/v1/me/tasks"),
             ("read me/notifications", "/api/v1/me/notifications"),
             ("read project", f"/api/v1/projects/{w.project_id}"),
             ("read project items", f"/api/v1/projects/{w.project_id}/items"),
             ("read ballot", f"/api/v1/ballots/{w.ballot_id}"),
             ("read questionnaire", f"/api/v1/questionnaires/{w.questionnaire_id}")]

    async def read(kind: str, path: str, token: str) -> None:
        await load.call(c, kind, "GET", path, token)

    async def vote(voter_id: str, token: str) -> None:
        body = {"voter_id": voter_id, "choices": [
            {"motion_id": m, "choice": rng.choice(["approve", "approve", "oppose", "abstain"])} for m in w.motion_ids]}
        r = await load.call(c, "vote", "POST", f"/api/v1/ballots/{w.ballot_id}/votes", token, body, 201)
        if r is not None:
            out = r.json()
            if out.get("voter_id") != voter_id or not out.get("receipt"):
                load.fail("vote", f"unexpected answer {r.text}")
            else:
                load.votes[voter_id] = out["receipt"]

    async def respond(unit_id: str, token: str) -> None:
        response_id = str(uuid.uuid4())
        body = {"response_id": response_id, "unit_id": unit_id, "answers": _answers(rng, w.codes), "channel": "self"}
        r = await load.call(c, "response", "POST", f"/api/v1/questionnaires/{w.questionnaire_id}/responses",
                            token, body, 201)
        if r is not None:
            out = r.json()
            if out.get("status") != "created" or out.get("response_id") != response_id:
                load.fail("response", f"unexpected answer {r.text}")
            else:
                load.responses.add(response_id)

    async def batch(units: list[str]) -> None:
        answered_at = datetime.now(UTC) - timedelta(seconds=30)  # collected on paper a little earlier
        items = [{"questionnaire_id": w.questionnaire_id, "response_id": str(uuid.uuid4()), "unit_id": unit,
                  "channel": "proxy", "answered_at": answered_at.isoformat(), "answers": _answers(rng, w.codes)}
                 for unit in units]
        r = await load.call(c, "sync batch", "POST", "/api/v1/sync/questionnaire-responses", w.grid_token,
                            {"items": items})
        if r is None:
            return
        results = r.json().get("results", [])
        if len(results) != len(items):
            load.fail("sync batch", f"{len(results)} results for {len(items)} items")
        for item, result in zip(items, results, strict=False):
            if result.get("status") == "created" and result.get("response_id") == item["response_id"]:
                load.responses.add(item["response_id"])
            else:
                load.fail("sync item", json.dumps(result, ensure_ascii=False))

    def next_read():
        return read(*rng.choice(reads), rng.choice(w.readers))

    def next_vote():
        if not voters:
            return None
        load.sent["vote"] += 1
        return vote(*voters.pop())

    def next_response():
        if not online:
            return None
        load.sent["response"] += 1
        return respond(*online.pop())

    def next_batch():
        if len(proxy) < BATCH_ITEMS:
            return None
        load.sent["sync batch"] += 1
        load.sent["sync item"] += BATCH_ITEMS
        return batch([proxy.pop() for _ in range(BATCH_ITEMS)])

    pending: set[asyncio.Task] = set()
    until = load.started + seconds
    await asyncio.gather(
        _paced(load, "read", rates["read"], until, next_read, pending),
        _paced(load, "vote", rates["vote"], until, next_vote, pending),
        _paced(load, "response", rates["response"], until, next_response, pending),
        _paced(load, "sync batch", rates["batch"], until, next_batch, pending),
    )
    if pending:
        _, late = await asyncio.wait(set(pending), timeout=120)
        for task in late:
            task.cancel()
        if late:
            load.fail("generator", f"{len(late)} requests still unanswered 120 s after the end of the traffic "
                                   "(cancelled: not acknowledged)")


# ---- checks ---------------------------------------------------------------------------------------


async def _notices_waiting() -> int:
    """Notices pending or in hand."""
    from sqlalchemy import func
    from sqlmodel import select

    from app.core.db import get_sessionmaker
    from app.notifications.models import NotificationOutbox, OutboxStatus

    async with get_sessionmaker()() as session:
        return (await session.exec(select(func.count()).select_from(NotificationOutbox).where(
            NotificationOutbox.status.in_([OutboxStatus.pending, OutboxStatus.sending])))).one()


async def _database(w: World, load: Load) -> tuple[dict, list[str]]:
    """Every acknowledged vote and response in the database, by id; the notification outbox drained."""
    from sqlalchemy import func
    from sqlmodel import select

    from app.core import clock
    from app.core.db import get_sessionmaker
    from app.notifications.models import InboxMessage, NotificationOutbox, OutboxStatus
    from app.surveys.models import QuestionnaireResponse
    from app.voting.models import BallotCast

    failures: list[str] = []
    ballot_id, questionnaire_id = uuid.UUID(w.ballot_id), uuid.UUID(w.questionnaire_id)
    async with get_sessionmaker()() as session:
        casts = (await session.exec(select(BallotCast.voter_id, BallotCast.receipt, BallotCast.is_current)
                                    .where(BallotCast.ballot_id == ballot_id))).all()
        responses = (await session.exec(select(QuestionnaireResponse.id, QuestionnaireResponse.is_current)
                                        .where(QuestionnaireResponse.questionnaire_id == questionnaire_id))).all()
        now = clock.now()
        by_status = dict((await session.exec(select(NotificationOutbox.status, func.count())
                                             .group_by(NotificationOutbox.status))).all())
        by_result = dict((await session.exec(select(NotificationOutbox.wechat_result, func.count())
                                             .group_by(NotificationOutbox.wechat_result))).all())
        stale = (await session.exec(select(func.count()).select_from(NotificationOutbox).where(
            NotificationOutbox.status.in_([OutboxStatus.pending, OutboxStatus.sending]),
            NotificationOutbox.created_at < now - timedelta(seconds=STALE_NOTICE_SECONDS)))).one()
        first, last_sent = (await session.exec(select(func.min(NotificationOutbox.created_at),
                                                      func.max(NotificationOutbox.sent_at)))).one()
        inbox = (await session.exec(select(func.count()).select_from(InboxMessage)
                                    .where(InboxMessage.outbox_id.is_not(None)))).one()
        # A notice handled (sent, or given up on) has its inbox message; one still waiting may not yet.
        no_inbox = (await session.exec(select(func.count()).select_from(NotificationOutbox).where(
            NotificationOutbox.status.in_([OutboxStatus.sent, OutboxStatus.failed]),
            ~select(InboxMessage.id).where(InboxMessage.outbox_id == NotificationOutbox.id).exists()))).one()

    current = {str(v): r for v, r, is_current in casts if is_current}
    missing = sorted(set(load.votes) - set(current))
    extra = sorted(set(current) - set(load.votes))
    wrong_receipt = sorted(v for v in set(load.votes) & set(current) if load.votes[v] != current[v])
    if missing or extra or wrong_receipt or len(casts) != len(current):
        failures.append(f"votes: {len(load.votes)} acknowledged, {len(current)} current casts in the database "
                        f"({len(casts)} casts in all); missing {missing[:3]}, not acknowledged {extra[:3]}, "
                        f"other receipt {wrong_receipt[:3]}")
    stored = {str(i) for i, _ in responses}
    missing_r = sorted(load.responses - stored)
    extra_r = sorted(stored - load.responses)
    not_current = sum(1 for _, is_current in responses if not is_current)
    if missing_r or extra_r or not_current:
        failures.append(f"responses: {len(load.responses)} acknowledged, {len(stored)} in the database; missing "
                        f"{missing_r[:3]}, not acknowledged {extra_r[:3]}; {not_current} not current")
    notices = sum(by_status.values())
    failed = by_status.get(OutboxStatus.failed, 0)
    if stale:
        failures.append(f"notifications: {stale} pending or in hand for more than {STALE_NOTICE_SECONDS} s")
    if failed:
        failures.append(f"notifications: {failed} failed ({by_result})")
    if no_inbox:
        failures.append(f"notifications: {no_inbox} handled without an inbox message")
    handled = by_status.get(OutboxStatus.sent, 0) + failed
    delivering_s = (last_sent - first).total_seconds() if first and last_sent else None
    figures = {
        "votes_acknowledged": len(load.votes), "casts_in_database": len(current),
        "responses_acknowledged": len(load.responses), "responses_in_database": len(stored),
        "notices": notices, "notices_by_status": {str(k): v for k, v in by_status.items()},
        "notices_by_wechat_result": {str(k): v for k, v in by_result.items()},
        "notices_stale": stale, "inbox_messages": inbox, "notices_handled": handled,
        "notices_waiting": notices - handled,
        "notices_last_handled_s": round(delivering_s, 1) if delivering_s is not None else None,
        "notices_per_s": round(handled / delivering_s, 1) if delivering_s else None,
    }
    return figures, failures


def _requests(load: Load, seconds: float) -> tuple[list[dict], list[dict], Counter]:
    by_kind: dict[str, list] = {}
    statuses: Counter = Counter()
    for _, kind, status, s in load.records:
        by_kind.setdefault(kind, []).append((status, s))
        statuses[status] += 1
    kinds = []
    for kind in sorted(by_kind):
        rows = by_kind[kind]
        counts = Counter(str(st) for st, _ in rows)
        kinds.append({"kind": kind, "requests": len(rows), "statuses": dict(counts),
                      "p50_ms": ms([s for _, s in rows], 0.5), "p99_ms": ms([s for _, s in rows], 0.99)})
    series = []
    for a, b in _bins(seconds):
        inside = [(st, s) for t, _, st, s in load.records if a <= t < b]
        series.append({"from_s": round(a), "to_s": round(b), "requests": len(inside),
                       "rps": round(len(inside) / (b - a), 1),
                       "errors": sum(1 for st, _ in inside if not (isinstance(st, int) and 200 <= st < 300)),
                       "p50_ms": ms([s for _, s in inside], 0.5) if inside else None,
                       "p99_ms": ms([s for _, s in inside], 0.99) if inside else None})
    return kinds, series, statuses


def _markdown(f: dict, failures: list[str]) -> str:
    lines = [
        "## Soak: mixed traffic with the worker running",
        "",
        f"`{f['command']}` - {f['date']}, {f['cpus']} cores, PostgreSQL on the same machine. The load generator is "
        "this Python process on the same cores as the service (2 uvicorn workers), the worker and PostgreSQL: "
        "paced traffic, measuring stability, not throughput.",
        "",
        f"**{'PASS' if not failures else 'FAIL'}** - {f['minutes']:g} min of traffic over an estate of "
        f"{f['units']:,} units ({f['voters']:,} voters); setup {f['setup_s']} s; the worker opened the ballot "
        f"{f['ballot_opened_s']} s after the service was ready. Planned rates: reads "
        f"{f['rates']['read']}/s, votes {f['rates']['vote']}/s, online responses {f['rates']['response']}/s, "
        f"a batch of {BATCH_ITEMS} proxy responses every {1 / f['rates']['batch']:.0f} s; sent "
        f"{f['requests']:,} requests ({f['rps']} req/s), the scheduler at most {f['lag_max_s']} s late; the last "
        f"answer {f['answered_s'] - f['minutes'] * 60:.1f} s after the end of the traffic, at most "
        f"{f['in_flight_max']} requests in flight.",
        "",
        "CPU from the start of the traffic to the last answer, in % of one core: "
        + ", ".join(f"{n} {v}" for n, v in f["cpu_pct"].items() if n != "machine (all cores)")
        + f"; the whole machine {f['cpu_pct']['machine (all cores)']} % busy (of all {f['cpus']} cores: "
        "PostgreSQL and anything else running included).",
        "",
        "| requests | count | statuses | p50 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    for k in f["kinds"]:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(k["statuses"].items()))
        lines.append(f"| {k['kind']} | {k['requests']:,} | {statuses} | {k['p50_ms']} | {k['p99_ms']} |")
    lines += ["", "| window (s) | requests | req/s | errors | p50 ms | p99 ms |", "|---|---|---|---|---|---|"]
    for b in f["series"]:
        lines.append(f"| {b['from_s']}-{b['to_s']} | {b['requests']:,} | {b['rps']} | {b['errors']} | "
                     f"{b['p50_ms']} | {b['p99_ms']} |")
    lines += ["", f"Memory (VmRSS every {f['sample_s']:g} s; {f['memory_windows']}; a process passes when it grew "
              f"less than {GROWTH_BOUND[0]:.0%} or {GROWTH_BOUND[1]:g} MB, whichever is larger):", "",
              "| process | start MB | baseline MB | final MB | max MB | growth | series (MB per window) | |",
              "|---|---|---|---|---|---|---|---|"]
    for m in f["memory"]:
        series = " / ".join("-" if v is None else f"{v:.0f}" for v in m["series_mb"])
        lines.append(f"| {m['process']} | {m['start_mb']} | {m['baseline_mb']} | {m['final_mb']} | {m['max_mb']} | "
                     f"{m['growth_mb']:+} MB ({m['growth_pct']:+} %, bound {m['bound_mb']}) | {series} | "
                     f"{'ok' if m['ok'] else 'GREW'} |")
    d = f["database"]
    lines += ["", f"In the database at the end (every id compared, not sampled): {d['casts_in_database']:,} current casts "
              f"for {d['votes_acknowledged']:,} acknowledged votes; {d['responses_in_database']:,} responses for "
              f"{d['responses_acknowledged']:,} acknowledged ({f['online_acknowledged']:,} online, "
              f"{d['responses_acknowledged'] - f['online_acknowledged']:,} in batches). Notices: {d['notices']:,} "
              f"queued ({d['notices_by_status']}; WeChat {d['notices_by_wechat_result']}), "
              f"{d['inbox_messages']:,} inbox messages; {d['notices_handled']:,} handled by the worker, the last "
              f"{d['notices_last_handled_s']} s after the first was queued ({d['notices_per_s']}/s), "
              f"{d['notices_waiting']:,} still waiting, {d['notices_stale']} of them for more than "
              f"{STALE_NOTICE_SECONDS} s"
              + (" (checked at the end of the traffic)." if f["drain_s"] is None else
                 f" (a short run: checked after waiting {f['drain_s']} s, the service idle, for the worker to "
                 "deliver the opening's backlog).")]
    if f["exhausted"]:
        lines += ["", f"Pools used up before the end (those writes stopped): {', '.join(sorted(f['exhausted']))}."]
    if failures:
        lines += ["", "Failures (first 10):", ""] + [f"- `{x}`" for x in failures[:10]]
    return "\n".join(lines)


# ---- the run --------------------------------------------------------------------------------------


async def run(url: str, minutes: float, units: int, reads_rate: float) -> tuple[dict, list[str]]:
    seconds = minutes * 60
    os.environ.update({
        "APP_DATABASE_URL": url,
        # Tokens made before the run must outlive it.
        "APP_ACCESS_TOKEN_TTL_SECONDS": str(int(seconds + 3600)),
        "APP_WECHAT_TEMPLATES": json.dumps(TEMPLATES),
        "APP_WECHAT_FAKE": "true",
    })
    await _recreate(url)
    from app import domains
    from app.__main__ import migrate
    from app.core.db import dispose_engine

    domains.install()
    await asyncio.to_thread(migrate)
    began = time.perf_counter()
    w = await _setup(units)
    setup_s = round(time.perf_counter() - began, 1)
    failures: list[str] = []
    figures: dict = {"units": units, "minutes": minutes, "setup_s": setup_s}

    server = serve(url, PORT)
    STARTED.append(server)
    log = tempfile.NamedTemporaryFile("w+", prefix="soak-worker-", suffix=".log", delete=False)
    storage = tempfile.TemporaryDirectory(prefix="soak-worker-files-")
    worker_env = {**os.environ, "APP_LOG_LEVEL": "WARNING", "APP_STORAGE_DIR": storage.name}
    worker = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-m", "app", "worker"], cwd=ROOT,
                              env=worker_env, stdout=log, stderr=subprocess.STDOUT)
    STARTED.append(worker)
    try:
        await wait_ready(PORT)
        for _ in range(50):  # both uvicorn workers up
            pids = _uvicorn_workers(server.pid)
            if len(pids) == 2:
                break
            await asyncio.sleep(0.2)
        WORKER_PIDS.update(pids)
        processes = {f"uvicorn worker {i + 1}": pid for i, pid in enumerate(pids)} | {"worker": worker.pid}
        if len(pids) != 2:
            failures.append(f"expected 2 uvicorn workers, found {pids}")

        load = Load()
        # Idle connections are dropped before the server's keep-alive timeout (5 s) can close them under a request.
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS, keepalive_expiry=2.0)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", limits=limits, timeout=60) as c:
            admin = w.admin_token
            load.started = time.perf_counter()
            # The ballot opens at its opens_at (now): the worker's scheduled job opens it.
            for _ in range(240):
                opened = await load.call(c, "admin", "GET", f"/api/v1/ballots/{w.ballot_id}", admin)
                if opened is None or opened.json()["status"] == "open":
                    break
                await asyncio.sleep(0.5)
            figures["ballot_opened_s"] = round(time.perf_counter() - load.started, 1)
            published = await load.call(c, "admin", "POST", f"/api/v1/questionnaires/{w.questionnaire_id}/publish",
                                        admin)
            if opened is None or opened.json()["status"] != "open" or published is None:
                raise RuntimeError(f"the ballot did not open or the questionnaire was not published: {load.failures}")
            w.motion_ids = [m["id"] for m in opened.json()["motions"]]
            from app.core.db import get_sessionmaker

            async with get_sessionmaker()() as session:
                w.voters = await _voters_and_tokens(session, uuid.UUID(w.ballot_id))
            w.readers = [token for _, token in w.voters]
            rates = {"read": reads_rate,
                     "vote": round(min(VOTES_PER_SECOND, POOL_USE * len(w.voters) / seconds), 2),
                     "response": round(min(RESPONSES_PER_SECOND, POOL_USE * len(w.online) / seconds), 2),
                     "batch": round(min(1 / BATCH_EVERY_SECONDS, POOL_USE * len(w.proxy_units) / BATCH_ITEMS / seconds), 4)}
            print(f"soak: {units:,} units, {len(w.voters):,} voters; setup {setup_s} s; {minutes:g} min of traffic "
                  f"(reads {rates['read']}/s, votes {rates['vote']}/s, responses {rates['response']}/s, a batch of "
                  f"{BATCH_ITEMS} every {1 / rates['batch']:.0f} s); the load generator is this Python process on the "
                  "same cores as the service, the worker and PostgreSQL", flush=True)

            memory = Memory(interval=min(10.0, seconds / 12))
            stop = asyncio.Event()
            cpu_processes = {**processes, "load generator": os.getpid()}
            cpu_before, machine_before = {n: _cpu_s(pid) for n, pid in cpu_processes.items()}, _machine_jiffies()
            load.started = time.perf_counter()  # the traffic's clock: memory windows and series count from here
            sampler = asyncio.create_task(memory.sample(processes, load.started, stop))
            await _traffic(c, w, load, seconds, rates)
            stop.set()
            await sampler
        elapsed = time.perf_counter() - load.started
        machine_after = _machine_jiffies()
        cpu = {n: round(100 * (after - cpu_before[n]) / elapsed) for n, pid in cpu_processes.items()
               if (after := _cpu_s(pid)) is not None and cpu_before[n] is not None}
        cpu["machine (all cores)"] = round(100 * (machine_after[0] - machine_before[0])
                                           / max(1, machine_after[1] - machine_before[1]))

        drain_s = None
        if seconds < LONG_RUN_SECONDS:
            # The opening's notices (two per owner) were queued at the start: a short run cannot have
            # delivered them by its end, so the check waits (the service idle) until the worker has.
            began = time.perf_counter()
            while (waiting := await _notices_waiting()) and time.perf_counter() - began < SHORT_RUN_DRAIN_SECONDS:
                print(f"soak: short run, waiting for the worker to deliver the {waiting:,} notices left", flush=True)
                await asyncio.sleep(15)
            drain_s = round(time.perf_counter() - began, 1)
        kinds, series, statuses = _requests(load, seconds)
        warm_up = _windows(seconds)[0]
        behind = [b for b in series if b["from_s"] >= warm_up and b["p50_ms"] is not None
                  and b["p50_ms"] > BEHIND_P50_SECONDS * 1000]
        if behind:
            failures.append(
                f"overloaded: the service fell behind the offered load (p50 {behind[0]['p50_ms']:.0f} ms in "
                f"{behind[0]['from_s']}-{behind[0]['to_s']} s, up to {load.in_flight_max} requests in flight, the "
                f"machine {cpu['machine (all cores)']} % busy): such a run measures queues, not stability - lower "
                "--reads-per-second or run on a quiet machine")
        memory_rows, memory_failures, how = memory.check(list(processes), seconds)
        failures += load.failures
        failures += memory_failures
        database, db_failures = await _database(w, load)
        failures += db_failures
        now_pids = _uvicorn_workers(server.pid)
        if server.poll() is not None or worker.poll() is not None or now_pids != pids:
            failures.append(f"processes: service exit {server.poll()}, worker exit {worker.poll()}, "
                            f"uvicorn workers {pids} at the start and {now_pids} at the end")
        log.flush()
        log.seek(0)
        errors = [line for line in log if '"level": "ERROR"' in line or '"level": "CRITICAL"' in line
                  or line.startswith("Traceback")]
        if errors:
            failures.append(f"worker log: {len(errors)} errors, first: {errors[0].strip()[:300]}")
        figures.update({
            "voters": len(w.voters), "rates": rates, "requests": len(load.records),
            "rps": round(len(load.records) / seconds, 1), "lag_max_s": round(load.lag_max_s, 2),
            "answered_s": round(elapsed, 1), "cpu_pct": cpu, "in_flight_max": load.in_flight_max,
            "drain_s": drain_s,
            "statuses": {str(k): v for k, v in statuses.items()}, "kinds": kinds, "series": series,
            "sample_s": memory.interval, "memory_windows": how, "memory": memory_rows, "database": database,
            "online_acknowledged": sum(1 for _, kind, st, _ in load.records if kind == "response" and st == 201),
            "writes_sent": dict(load.sent), "exhausted": sorted(load.exhausted),
            "worker_log": log.name if os.path.getsize(log.name) else None,
        })
    finally:
        _stop_all()
        log.close()
        if not os.path.getsize(log.name):  # kept only when the worker logged something (warnings and up)
            os.unlink(log.name)
        storage.cleanup()
        await dispose_engine()
    return figures, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="of traffic (fractions allowed: 0.5)")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--reads-per-second", type=float, default=40.0,
                        help="about 48 requests/s in all: below what 2 busy cores serve, so the run measures stability")
    args = parser.parse_args()
    if args.minutes * 60 < 20:
        parser.error("--minutes must be at least 20 s of traffic (0.34)")
    # SIGTERM as Ctrl-C: asyncio.run cancels the run, whose clean-up stops the children.
    signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    command = " ".join([".venv/bin/python bench/soak.py", *sys.argv[1:]])
    try:
        figures, failures = asyncio.run(run(args.database_url, args.minutes, args.units, args.reads_per_second))
    except KeyboardInterrupt:
        print("soak: interrupted")
        return 130
    finally:
        _stop_all()
    figures.update({"command": command, "date": datetime.now().strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count()})
    markdown = _markdown(figures, failures)
    write_section("soak", markdown)
    print(markdown)
    print(json.dumps({k: figures[k] for k in ("requests", "rps", "statuses", "writes_sent", "database", "worker_log")},
                     ensure_ascii=False, default=str))
    print("soak:", "PASS" if not failures else f"FAIL ({len(failures)} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
