"""Fault test: PostgreSQL stopped under load, then started again. One command:

    .venv/bin/python bench/fault.py [--units 2000] [--writers 12] [--readers 4] [--before 5] [--outage 10] [--after 10]

1. A private PostgreSQL 15 cluster of its own (initdb in a temporary directory, trust auth, port 55432 or
   the next free one; run as the ``postgres`` OS user when this runs as root), never the shared server.
   Migrated, with an estate of --units units (bench/voting.py: one owner per unit, a co-owner on every
   seventh, an account bound to each) and an open ballot with two motions.
2. The service as in production (``python -m app serve --workers 2``, bench/serving.py) with its default
   settings: request timeout ``APP_REQUEST_TIMEOUT_SECONDS`` (30 s), connect timeout 5 s, statement
   timeout 20 s, pool timeout 10 s, Idempotency-Key lease 60 s.
3. Load from this Python process (asyncio + httpx, on the same cores as the service and PostgreSQL; a
   closed loop, not a load generator measuring throughput): --writers clients casting the votes of
   distinct voters (``POST /ballots/{id}/votes``, each vote with its own ``Idempotency-Key``), --readers
   clients reading (``GET /me``, ``GET /ballots/{id}/turnout``), and a probe of ``GET /readyz`` every
   0.25 s. The client timeout is the request timeout + 5 s. A write answered 503 is retried with the same
   key once its ``Retry-After`` has passed (409 ``idempotency_in_flight``: 2 s later), and a client that
   got a 503 pauses 0.5 s before its next request.
4. After --before s PostgreSQL is stopped (``pg_ctl stop -m fast``: open connections are terminated,
   statements running fail); the load goes on for --outage s; PostgreSQL is started again; the load goes
   on for --after s. Then the writers only finish their retries (a key whose first request the outage cut
   short stays in flight until its lease passes, 60 s at most), and the service is stopped.
5. Checks, each failing the run (exit 1):
   - every answer is 2xx, or 503 ``service_unavailable`` with ``Retry-After``, or 409
     ``idempotency_in_flight`` to a retry; no 500, no request without an answer;
   - while PostgreSQL is down (from the end of the stop to the start) every answer is 503 with
     Retry-After, and no request sent then succeeds;
   - no request takes longer than the request timeout + 2 s;
   - after the start, reads and writes succeed again within 10 s, without restarting the service (the
     same two worker processes), every request sent more than 10 s after the start succeeds (bar retries
     of keys still in flight), and ``/readyz`` answers 503 during the outage and 200 after;
   - every vote answered 2xx is in the database with the receipt it was answered with, every vote
     answered 503 landed once retried with its key, and no voter has more than one cast.

Prints the figures and writes them to the ``fault`` section of bench/results.md. The private cluster is
stopped and its directory removed in every case.
"""

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from questionnaires import _recreate  # noqa: E402
from report import write_section  # noqa: E402
from serving import ms, serve, stop, wait_ready  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT = 55432
API_PORT = 8767
DATABASE = "fault"
MARGIN_S = 2.0  # a request may take the request timeout plus this, no more
RECOVERY_S = 10.0  # reads and writes succeed again within this many seconds of PostgreSQL accepting connections
PAUSE_AFTER_503_S = 0.5
DRAIN_MARGIN_S = 20.0  # retries go on until the lease of a key cut short by the stop has passed, plus this


# ---- the private cluster ---------------------------------------------------------------------------


def _free_port(preferred: int) -> int:
    for port in [preferred, *range(preferred + 1, preferred + 50)]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary directory, owned by the ``postgres`` OS user when this
    runs as root (initdb and pg_ctl refuse to run as root)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fault-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = _free_port(PG_PORT)
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- the data ------------------------------------------------------------------------------------------


async def build(url: str, units: int) -> tuple[dict, list[tuple[str, str]]]:
    """Migrate, an estate of ``units`` units with an account per owner, an open ballot: (ballot, voters)."""
    os.environ["APP_DATABASE_URL"] = url
    await _recreate(url)
    from voting import _ballot, _estate, _notice_served, _owners_with_accounts, _voters_and_tokens

    from app import domains
    from app.__main__ import migrate
    from app.auth.models import AuthSession, Role, RoleAssignment, User
    from app.auth.principal import Principal
    from app.auth.roles import ROLE_SCOPE
    from app.core.db import dispose_engine, get_sessionmaker
    from app.voting import service
    from app.voting.models import Ballot

    domains.install()
    await asyncio.to_thread(migrate)
    sessions = get_sessionmaker()
    try:
        async with sessions() as session, session.begin():
            admin = User(display_name="故障测试管理员")
            session.add(admin)
            await session.flush()
            assignment = RoleAssignment(user_id=admin.id, role=Role.admin, scope_type=ROLE_SCOPE[Role.admin])
            session.add_all([assignment, AuthSession(user_id=admin.id, channel="password")])
            p = Principal(user=admin, assignments=(assignment,))
            project = await _estate(session, "故障小区", units)
            await _owners_with_accounts(session, project.estate_id)
            ballot = await _ballot(session, p, project, "断库测试表决")
            await _notice_served(session, ballot)
        async with sessions() as session, session.begin():
            ballot = await service.open_ballot(session, admin.id, await session.get(Ballot, ballot.id))
            motions = [str(m.id) for m in (await service.motions(session, [ballot.id]))[ballot.id]]
        async with sessions() as session:
            voters = await _voters_and_tokens(session, ballot.id)
    finally:
        await dispose_engine()
    return {"id": str(ballot.id), "motions": motions}, voters


async def stored_casts(url: str, ballot_id: str) -> dict[str, list[tuple[str, bool]]]:
    """voter id -> [(receipt, is_current)] of every cast of the ballot, straight from the database."""
    import asyncpg
    from sqlalchemy import make_url

    parsed = make_url(url)
    conn = await asyncpg.connect(host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database)
    try:
        rows = await conn.fetch("SELECT voter_id, receipt, is_current FROM ballot_cast WHERE ballot_id = $1",
                                uuid.UUID(ballot_id))
    finally:
        await conn.close()
    out: dict[str, list[tuple[str, bool]]] = {}
    for row in rows:
        out.setdefault(str(row["voter_id"]), []).append((row["receipt"], row["is_current"]))
    return out


# ---- the load ------------------------------------------------------------------------------------------


@dataclass
class Answer:
    kind: str  # write, retry, read, ready
    sent: float  # seconds since the load began
    took: float
    status: int | None  # None: no answer (client timeout, connection error)
    retry_after: str | None = None
    code: str | None = None
    reason: str | None = None
    replayed: bool = False
    receipt: str | None = None
    error: str | None = None

    @property
    def answered(self) -> float:
        return self.sent + self.took


@dataclass
class Timeline:
    stop_begin: float = float("inf")
    stop_end: float = float("inf")
    start_begin: float = float("inf")
    start_end: float = float("inf")
    load_end: float = float("inf")
    drain_end: float = float("inf")


@dataclass
class Load:
    ballot: dict
    voters: list[tuple[str, str]]
    client_timeout: float
    t0: float = field(default_factory=time.monotonic)
    answers: list[Answer] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # voter id -> receipt answered
    keys: dict[str, str] = field(default_factory=dict)  # voter id -> its Idempotency-Key
    answered_503: set[str] = field(default_factory=set)  # voters whose vote was answered 503 at least once
    retries: list[tuple[float, str, str]] = field(default_factory=list)  # (due, voter id, token)
    next_voter: int = 0
    stopping: bool = False  # no new votes, no reads: only the retries
    done: bool = False

    def now(self) -> float:
        return time.monotonic() - self.t0

    async def call(self, c: httpx.AsyncClient, kind: str, method: str, path: str, **kw) -> Answer:
        sent = self.now()
        try:
            r = await c.request(method, path, timeout=self.client_timeout, **kw)
        except httpx.HTTPError as e:
            answer = Answer(kind, sent, self.now() - sent, None, error=f"{type(e).__name__}: {e}"[:200])
        else:
            error = {}
            if r.status_code >= 400:
                try:
                    error = r.json().get("error") or {}
                except ValueError:
                    error = {"code": f"not json: {r.text[:80]}"}
            details = error.get("details") if isinstance(error.get("details"), dict) else {}
            answer = Answer(kind, sent, self.now() - sent, r.status_code, r.headers.get("retry-after"),
                            error.get("code"), details.get("reason"), r.headers.get("idempotent-replayed") == "true")
            if r.status_code < 300 and kind in ("write", "retry"):
                answer.receipt = r.json()["receipt"]
        self.answers.append(answer)
        return answer

    def _take(self) -> tuple[str, str, str] | None:
        """The next write: a retry that is due, else a new voter's vote (kind, voter, token)."""
        now = self.now()
        for i, (due, voter, token) in enumerate(self.retries):
            if due <= now:
                self.retries.pop(i)
                return "retry", voter, token
        if self.stopping or self.next_voter >= len(self.voters):
            return None
        voter, token = self.voters[self.next_voter]
        self.next_voter += 1
        self.keys[voter] = uuid.uuid4().hex
        return "write", voter, token

    async def writer(self, c: httpx.AsyncClient) -> None:
        choices = [{"motion_id": m, "choice": "approve"} for m in self.ballot["motions"]]
        while not self.done:
            job = self._take()
            if job is None:
                if self.stopping and not self.retries:
                    return
                await asyncio.sleep(0.05)
                continue
            kind, voter, token = job
            answer = await self.call(c, kind, "POST", f"/api/v1/ballots/{self.ballot['id']}/votes",
                                     json={"voter_id": voter, "choices": choices},
                                     headers={"Authorization": f"Bearer {token}", "Idempotency-Key": self.keys[voter]})
            if answer.status is not None and answer.status < 300:
                self.acknowledged[voter] = answer.receipt or ""
                continue
            if answer.status == 503:
                self.answered_503.add(voter)
            wait = 2.0
            if answer.retry_after and answer.retry_after.isdigit():
                wait = float(answer.retry_after)
            if answer.status in (503, 409, None):  # 409: the key is still in flight (its lease)
                self.retries.append((self.now() + wait, voter, token))
            if answer.status == 503:
                await asyncio.sleep(PAUSE_AFTER_503_S)

    async def reader(self, c: httpx.AsyncClient, n: int) -> None:
        i = n
        while not (self.done or self.stopping):
            voter, token = self.voters[(i * 7919) % len(self.voters)]
            i += 1
            path = "/api/v1/me" if i % 2 else f"/api/v1/ballots/{self.ballot['id']}/turnout"
            answer = await self.call(c, "read", "GET", path, headers={"Authorization": f"Bearer {token}"})
            if answer.status == 503:
                await asyncio.sleep(PAUSE_AFTER_503_S)

    async def ready_probe(self, c: httpx.AsyncClient) -> None:
        while not (self.done or self.stopping):
            await self.call(c, "ready", "GET", "/readyz")
            await asyncio.sleep(0.25)


async def run_load(load: Load, cluster: Cluster, port: int, writers: int, readers: int,
                   before: float, outage: float, after: float, drain_until: float) -> Timeline:
    timeline = Timeline()
    limits = httpx.Limits(max_connections=writers + readers + 4, max_keepalive_connections=writers + readers + 4)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as c:
        load.t0 = time.monotonic()
        tasks = [asyncio.create_task(load.writer(c)) for _ in range(writers)]
        tasks += [asyncio.create_task(load.reader(c, n)) for n in range(readers)]
        tasks.append(asyncio.create_task(load.ready_probe(c)))
        await asyncio.sleep(before)
        timeline.stop_begin = load.now()
        await asyncio.to_thread(cluster.stop, "fast")
        timeline.stop_end = load.now()
        await asyncio.sleep(outage)
        timeline.start_begin = load.now()
        await asyncio.to_thread(cluster.start)
        timeline.start_end = load.now()
        await asyncio.sleep(after)
        timeline.load_end = load.now()
        load.stopping = True
        # the retries: a key cut short by the stop is taken over once its lease has passed
        deadline = time.monotonic() + max(0.0, drain_until - load.now())
        writers_done = asyncio.gather(*tasks[:writers])
        try:
            await asyncio.wait_for(asyncio.shield(writers_done), timeout=max(1.0, deadline - time.monotonic()))
        except TimeoutError:
            pass
        load.done = True
        await asyncio.gather(*tasks, return_exceptions=True)
        timeline.drain_end = load.now()
    return timeline


# ---- checks and report ---------------------------------------------------------------------------------


def _worker_pids(server: subprocess.Popen) -> set[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return set()
    return {int(pid) for pid in out.split()}


def _is_unavailable_answer(a: Answer) -> bool:
    return a.status == 503 and a.code == "service_unavailable" and bool(a.retry_after)


def check(load: Load, t: Timeline, stored: dict[str, list[tuple[str, bool]]], request_timeout: float,
          pids_before: set[int], pids_after: set[int]) -> tuple[list[str], dict]:
    failures: list[str] = []
    answers = load.answers
    figures: dict = {}

    # every answer: 2xx, 503 with Retry-After, or 409 in flight to a retry
    for a in answers:
        ok = (a.status is not None and a.status < 300) or _is_unavailable_answer(a) or (
            a.status == 409 and a.code == "idempotency_in_flight" and a.kind == "retry")
        if not ok:
            failures.append(f"{a.kind} sent at {a.sent:.2f} s answered {a.status} {a.code or ''} "
                            f"retry-after={a.retry_after} {a.error or ''}".strip())
    # while PostgreSQL is down: only 503 with Retry-After
    down = [a for a in answers if t.stop_end <= a.answered <= t.start_begin]
    figures["down_answers"] = len(down)
    figures["down_unavailable"] = sum(1 for a in down if _is_unavailable_answer(a))
    figures["down_statuses"] = dict(Counter(a.status for a in down))
    for a in down:
        if not _is_unavailable_answer(a):
            failures.append(f"during the outage: {a.kind} answered {a.status} {a.code} (sent at {a.sent:.2f} s)")
    sent_down_ok = [a for a in answers if t.stop_end <= a.sent and a.answered <= t.start_begin
                    and a.status is not None and a.status < 300]
    if sent_down_ok:
        failures.append(f"{len(sent_down_ok)} requests sent while PostgreSQL was down answered 2xx")
    if not down:
        failures.append("no request was answered while PostgreSQL was down: the outage was not observed")
    # bounded: never past the request timeout
    limit = request_timeout + MARGIN_S
    slow = [a for a in answers if a.took > limit]
    if slow:
        failures.append(f"{len(slow)} requests took longer than {limit} s (longest {max(a.took for a in slow):.1f} s)")
    figures["max_s"] = round(max(a.took for a in answers), 2)
    outage_window = [a for a in answers if t.stop_begin <= a.answered <= t.start_end]
    figures["max_outage_s"] = round(max((a.took for a in outage_window), default=0.0), 2)
    figures["timeouts_503"] = sum(1 for a in answers if a.reason == "request_timeout")
    # recovery
    ok_after = [a for a in answers if a.sent >= t.start_end and a.status is not None and a.status < 300]
    for kind, kinds in (("write", {"write", "retry"}), ("read", {"read"}), ("ready", {"ready"})):
        first = min((a.answered for a in ok_after if a.kind in kinds), default=None)
        figures[f"recovered_{kind}_s"] = None if first is None else round(first - t.start_end, 2)
        if first is None or first - t.start_end > RECOVERY_S:
            failures.append(f"{kind}s did not succeed again within {RECOVERY_S} s of the start ({first})")
    late = [a for a in answers if a.sent >= t.start_end + RECOVERY_S and not (a.status is not None and a.status < 300)
            and not (a.status == 409 and a.kind == "retry")]
    if late:
        failures.append(f"{len(late)} requests sent more than {RECOVERY_S} s after the start did not succeed: "
                        f"{Counter(a.status for a in late)}")
    ready_down = [a for a in answers if a.kind == "ready" and t.stop_end <= a.sent and a.answered <= t.start_begin]
    if not ready_down or any(a.status != 503 for a in ready_down):
        failures.append(f"/readyz while down: {Counter(a.status for a in ready_down)}")
    if pids_before != pids_after or len(pids_before) < 2:
        failures.append(f"the service's workers changed: {sorted(pids_before)} -> {sorted(pids_after)}")
    # the data
    missing = [v for v in load.acknowledged if v not in stored]
    wrong_receipt = [v for v, receipt in load.acknowledged.items()
                     if v in stored and receipt not in {r for r, _ in stored[v]}]
    doubled = [v for v, casts in stored.items() if len(casts) != 1 or not casts[0][1]]
    unacknowledged = [v for v in stored if v not in load.acknowledged]
    never_landed = [v for v in load.answered_503 if v not in load.acknowledged]
    if missing:
        failures.append(f"{len(missing)} votes answered 2xx are not in the database")
    if wrong_receipt:
        failures.append(f"{len(wrong_receipt)} votes are stored with another receipt than the one answered")
    if doubled:
        failures.append(f"{len(doubled)} voters have more than one cast (or none current)")
    if unacknowledged:
        failures.append(f"{len(unacknowledged)} casts in the database were never answered 2xx")
    if never_landed:
        failures.append(f"{len(never_landed)} votes answered 503 had not landed when the retries ended")
    figures.update(acknowledged=len(load.acknowledged), stored=len(stored), answered_503=len(load.answered_503),
                   retried_landed=len(load.answered_503 & set(load.acknowledged)),
                   replayed=sum(1 for a in answers if a.replayed),
                   in_flight_409=sum(1 for a in answers if a.status == 409),
                   last_retry_landed_s=round(max((a.answered for a in answers if a.kind == "retry"
                                                  and a.status is not None and a.status < 300), default=0.0), 1))
    return failures, figures


def _phase(a: Answer, t: Timeline) -> str:
    if a.sent < t.stop_begin:
        return "1 before"
    if a.sent < t.start_end:
        return "2 outage (stop to ready)"
    if a.sent < t.load_end:
        return "3 after"
    return "4 retries only"


def report(args, load: Load, t: Timeline, failures: list[str], figures: dict, setup_s: float,
           request_timeout: float, cluster: Cluster) -> str:
    rows = []
    phases: dict[tuple[str, str], list[Answer]] = {}
    for a in load.answers:
        phases.setdefault((_phase(a, t), a.kind), []).append(a)
    for (phase, kind), group in sorted(phases.items()):
        statuses = Counter("none" if a.status is None else str(a.status) for a in group)
        took = [a.took for a in group]
        rows.append(f"| {phase} | {kind} | {len(group)} | "
                    f"{', '.join(f'{s}: {n}' for s, n in sorted(statuses.items()))} | "
                    f"{ms(took, 0.5)} | {ms(took, 0.99)} | {round(max(took) * 1000, 1)} |")
    verdict = "**PASS**" if not failures else "**FAIL**"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    lines = [
        "## Fault: PostgreSQL stopped under load",
        "",
        f"`.venv/bin/python bench/fault.py --units {args.units} --writers {args.writers} --readers {args.readers} "
        f"--before {args.before} --outage {args.outage} --after {args.after}` - {when} UTC, {os.cpu_count()} cores. "
        f"A private PostgreSQL 15 cluster (port {cluster.port}, removed afterwards); the service with 2 uvicorn "
        f"workers and its default settings (request timeout {request_timeout:g} s); the load from this Python process "
        "(asyncio + httpx, a closed loop on the same cores as the service and PostgreSQL: it checks behaviour, "
        "it does not measure throughput).",
        "",
        f"{verdict}. Setup {setup_s:.1f} s ({args.units:,} units, {len(load.voters):,} voters). Timeline from the "
        f"start of the load: `pg_ctl stop -m fast` {t.stop_begin:.1f}-{t.stop_end:.1f} s, down until "
        f"{t.start_begin:.1f} s, `pg_ctl start` accepting at {t.start_end:.1f} s, load until {t.load_end:.1f} s, "
        f"retries until {t.drain_end:.1f} s.",
        "",
        f"- While PostgreSQL was down: {figures['down_answers']} answers ({figures['down_statuses']}), "
        f"{figures['down_unavailable']} of them `503 service_unavailable` with `Retry-After`.",
        f"- Longest request: {figures['max_s']} s overall, {figures['max_outage_s']} s around the outage "
        f"(limit: the request timeout + {MARGIN_S:g} s = {request_timeout + MARGIN_S:g} s); "
        f"{figures['timeouts_503']} answered by the request timeout.",
        f"- Recovery after PostgreSQL accepted connections again, same service processes: first write "
        f"{figures['recovered_write_s']} s, first read {figures['recovered_read_s']} s, `/readyz` 200 "
        f"{figures['recovered_ready_s']} s (limit {RECOVERY_S:g} s).",
        f"- Writes: {figures['acknowledged']:,} votes answered 2xx, {figures['stored']:,} casts in the database, "
        f"every acknowledged one with the receipt it was answered with and no voter twice. "
        f"{figures['answered_503']} votes were answered 503 at least once; {figures['retried_landed']} of them "
        f"landed when retried with the same Idempotency-Key ({figures['replayed']} answers were replays of a "
        f"vote that had committed; {figures['in_flight_409']} retries met 409 `idempotency_in_flight` while the "
        f"key of a request the stop cut short waited for its lease; the last retry landed at "
        f"{figures['last_retry_landed_s']} s).",
        "",
        "| phase (by when sent) | requests | count | statuses | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ]
    if failures:
        lines += ["", "Failures (first 10):", "", *[f"- `{f}`" for f in failures[:10]]]
    return "\n".join(lines)


async def main_async(args) -> int:
    from app.core.config import get_settings

    cluster = Cluster()
    server = None
    try:
        started = time.perf_counter()
        await asyncio.to_thread(cluster.init)
        await asyncio.to_thread(cluster.start)
        ballot, voters = await build(cluster.url, args.units)
        request_timeout = get_settings().request_timeout_seconds
        lease = get_settings().idempotency_lease_seconds
        port = _free_port(API_PORT)
        server = serve(cluster.url, port)
        await wait_ready(port)
        await asyncio.sleep(1.0)  # both workers up
        pids_before = _worker_pids(server)
        setup_s = time.perf_counter() - started
        print(f"setup {setup_s:.1f} s: {len(voters)} voters, PostgreSQL on {cluster.port}, service on {port}; "
              f"load {args.before} s, outage {args.outage} s, after {args.after} s", flush=True)

        load = Load(ballot, voters, client_timeout=request_timeout + 5)
        timeline = await run_load(load, cluster, port, args.writers, args.readers, args.before, args.outage,
                                  args.after, drain_until=args.before + lease + DRAIN_MARGIN_S)
        pids_after = _worker_pids(server)
        stop(server)
        server = None
        stored = await stored_casts(cluster.url, ballot["id"])
        failures, figures = check(load, timeline, stored, request_timeout, pids_before, pids_after)
        markdown = report(args, load, timeline, failures, figures, setup_s, request_timeout, cluster)
        write_section("fault", markdown)
        print(markdown)
        return 1 if failures else 0
    finally:
        if server is not None:
            stop(server)
        await asyncio.to_thread(cluster.remove)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=12)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--before", type=float, default=5)
    parser.add_argument("--outage", type=float, default=10)
    parser.add_argument("--after", type=float, default=10)
    args = parser.parse_args()
    if not (PG_BIN / "initdb").exists():
        print(f"needs PostgreSQL 15's initdb and pg_ctl in {PG_BIN}", file=sys.stderr)
        return 2
    # SIGTERM (a CI job cancelled) unwinds like Ctrl-C, so that the cluster is stopped and removed.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
