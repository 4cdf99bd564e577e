"""The service against the floor of its own stack, on a district's data, with wrk as the load generator.

    .venv/bin/python bench/compare.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_district]
                                      [--seconds 15] [--rounds 3] [--connections 32] [--only me,cast]

1. A district on PostgreSQL: 50 estates and 50,000 units from generated ledgers (one of 10,000 units,
   49 of about 816), a project with six renovation items in each, every owner of the large estate with an
   account bound to their unit, the renovation needs questionnaire published there, a ballot over its
   10,000 units open, and a grid of 2,000 units (17 buildings) with its grid worker.
2. The service (``python -m app serve --workers 2``) and the floor (``bench/floor.py``, uvicorn with 2
   workers) run side by side on that database. For each scenario wrk (2 threads, --connections keep-alive
   connections) warms up for 3 s (not the casting: a vote counts once), then loads, in --rounds rounds of
   --seconds / --rounds each, the floor's matching request - a read by key, a write, or a page (50 rows,
   about a roster page's ~22 KB of JSON, in one query) - and then the service, with the same script; a
   scenario's ratio is the median of its rounds' (a shared host's speed drifts over minutes: the two runs
   of a round see about the same machine). The service's requests: residents' home (``/me``,
   ``/me/tasks``, the project, its items, each by 2,000 residents in turn), casting votes (each voter of
   the ballot once, with an Idempotency-Key as the mini-program sends it), the grid worker paging through
   the roster (50 units a page, against the floor's pages through as many rows), and the large estate's
   page on the public notice board, as HTML and as JSON, read by anyone (no login). Each round of casting
   also runs the floor's cast-shaped route (``POST /floor/casts``, its own voters) between the floor's
   write and the service: what a vote costs with nothing of the service around it, beside the target.
3. Writes the table to ``bench/results.md`` (section ``floor``): throughput, p50/p95/p99, the ratio to the
   floor and the target, the CPU a request of each side (its server's processes + PostgreSQL's, read from
   Linux's /proc around each round: steadier than the rates on a host whose speed drifts), and checks
   that every vote answered 201 is in the database.

wrk runs on the same two cores as both servers: each side pays for it alike. Exits non-zero when a target
is missed or a request failed.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))
os.environ.setdefault("APP_ACCESS_TOKEN_TTL_SECONDS", str(6 * 3600))  # the tokens outlive the run
os.environ.setdefault("APP_PUBLIC_RATE_PER_MINUTE", str(10**9))  # wrk is one address: the board's limit is not measured

from questionnaires import _recreate  # noqa: E402
from report import write_section  # noqa: E402
from serving import ROOT, cpu_used, serve, stop, wait_ready  # noqa: E402
from voting import _ballot, _estate, _notice_served, _owners_with_accounts, _voters_and_tokens  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_district"
SERVICE_PORT, FLOOR_PORT = 8801, 8802
BIG_UNITS, ESTATES, DISTRICT_UNITS, GRID_BUILDINGS = 10_000, 50, 50_000, 17
ITEMS = ("basic.roads", "basic.water_supply", "basic.power", "basic.stairwell", "improvement.elevator",
         "improvement.waste_sorting")


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    floor: str  # "read", "write" or "page" (FLOORS)
    ratio: float  # the least throughput as a share of the floor's
    p99_ms: float | None = None


# The floor's requests a scenario is measured against, as the target names them.
FLOORS = {"read": "read", "write": "write", "page": "page (50 rows)"}

SCENARIOS = (
    Scenario("me", "resident home: GET /me", "read", 0.6),
    Scenario("tasks", "resident home: GET /me/tasks", "read", 0.6),
    Scenario("project", "resident home: GET /projects/{id}", "read", 0.6),
    Scenario("items", "resident home: GET /projects/{id}/items", "read", 0.6),
    Scenario("cast", "casting a vote: POST /ballots/{id}/votes (10,000-unit electorate)", "write", 0.6, 100.0),
    Scenario("roster", "grid roster, 2,000 units, pages of 50: GET /grids/{id}/roster", "page", 0.6),
    Scenario("board_page", "public notice board, 10,000-unit estate (HTML): GET /public/estates/{code}", "read", 0.6),
    Scenario("board_json", "public notice board, the same as JSON: GET /api/v1/public/estates/{code}", "read", 0.6),
)


def _line(method: str, path: str, token: str, body: dict | None = None, key: str = "") -> str:
    return "\t".join([method, path, token, json.dumps(body, separators=(",", ":")) if body else "", key])


async def build(url: str, workdir: Path) -> dict:
    """The district; writes one request file per scenario (and the floor's three) into ``workdir``."""
    from floor import page_paths, prepare
    from sqlalchemy import insert, text, update
    from sqlmodel import select

    from app import domains
    from app.__main__ import migrate
    from app.auth.models import AuthSession, Role, RoleAssignment, User
    from app.auth.principal import Principal
    from app.auth.roles import ROLE_SCOPE
    from app.core.db import dispose_engine, get_sessionmaker
    from app.core.security import create_access_token
    from app.projects.models import FundingSource, ProjectItem
    from app.projects.reads import project_ref
    from app.registry.models import Building, Grid, PropertyUnit
    from app.residency.models import BindingStatus, UnitBinding
    from app.surveys import service as surveys
    from app.surveys.schemas import QuestionnaireCreate
    from app.voting import service as voting
    from app.voting.models import Ballot

    await _recreate(url)
    domains.install()
    await asyncio.to_thread(migrate)
    sessions = get_sessionmaker()
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        admin = User(display_name="基准管理员")
        session.add(admin)
        await session.flush()
        assignment = RoleAssignment(user_id=admin.id, role=Role.admin, scope_type=ROLE_SCOPE[Role.admin])
        session.add(assignment)
        p = Principal(user=admin, assignments=(assignment,))
        small = (DISTRICT_UNITS - BIG_UNITS) // (ESTATES - 1)
        sizes = [BIG_UNITS] + [small] * (ESTATES - 2) + [DISTRICT_UNITS - BIG_UNITS - small * (ESTATES - 2)]
        projects = [await _estate(session, f"基准小区{n + 1:02d}", size) for n, size in enumerate(sizes)]
        await session.execute(insert(ProjectItem), [
            {"id": uuid.uuid4(), "project_id": project.id, "item_code": code, "estimated_cost_fen": 120_000_00,
             "funding_source": FundingSource.central_provincial} for project in projects for code in ITEMS])
        big = projects[0]
        await _owners_with_accounts(session, big.estate_id)
        needs = await surveys.create(session, admin.id, project_ref(big), QuestionnaireCreate(template="renovation_needs"))
        await surveys.publish(session, admin.id, needs, None)
        ballot = await _ballot(session, p, big, "加装电梯与综合改造")
        await _notice_served(session, ballot)
        community_id = (await session.exec(text("SELECT community_id FROM estate WHERE id = :e"),
                                           params={"e": big.estate_id})).scalar_one()
        grid = Grid(community_id=community_id, name="第一网格")
        worker = User(display_name="网格员")
        session.add_all([grid, worker])
        await session.flush()
        buildings = (await session.exec(select(Building.id).where(Building.estate_id == big.estate_id)
                                        .order_by(Building.name).limit(GRID_BUILDINGS))).all()
        await (await session.connection()).execute(update(Building).where(Building.id.in_(buildings)).values(grid_id=grid.id))
        worker_login = AuthSession(user_id=worker.id, channel="password")
        session.add_all([worker_login, RoleAssignment(user_id=worker.id, role=Role.grid_worker,
                                                      scope_type=ROLE_SCOPE[Role.grid_worker], scope_id=grid.id)])
        grid_units = (await session.exec(select(PropertyUnit.id).join(Building, Building.id == PropertyUnit.building_id)
                                         .where(Building.grid_id == grid.id))).all()
    async with sessions() as session, session.begin():
        ballot = await voting.open_ballot(session, admin.id, await session.get(Ballot, ballot.id))
    async with sessions() as session, session.begin():
        await session.exec(text("ANALYZE"))
    async with sessions() as session:
        voters = await _voters_and_tokens(session, ballot.id)
        residents = (await session.exec(select(UnitBinding.user_id, AuthSession.id)
                                        .join(AuthSession, AuthSession.user_id == UnitBinding.user_id)
                                        .where(UnitBinding.status == BindingStatus.approved))).all()
        motions = [m.id for m in (await voting.motions(session, [ballot.id]))[ballot.id]]
        code = (await session.exec(text("SELECT short_code FROM estate WHERE id = :e"),
                                   params={"e": big.estate_id})).scalar_one()
    built_s = round(time.perf_counter() - started, 1)
    await dispose_engine()
    # As many rows to page as the roster's units; three times the ballot's voters, as the cast-shaped floor
    # casts faster than the service and each of its voters casts once (its voter is read by id: the
    # electorate's size does not weigh on it).
    floor_ids, floor_voters = await prepare(url, 50_000, page_rows=len(grid_units), voters=3 * len(voters))

    rng = random.Random(3)
    homes = [create_access_token(user, login)[0] for user, login in rng.sample(residents, 2000)]
    worker_token = create_access_token(worker.id, worker_login.id)[0]
    base = "/api/v1"
    files = {
        "floor_read": [_line("GET", f"/floor/rows/{rng.choice(floor_ids)}", t) for t in homes],
        "floor_write": [_line("POST", "/floor/rows", t, {"title": "同意改造方案", "body": {"choice": "approve"}})
                        for t in homes],
        "floor_page": [_line("GET", path, worker_token) for path in page_paths(len(grid_units))],
        "floor_cast": [_line("POST", "/floor/casts", create_access_token(user, uuid.uuid4())[0],
                             {"voter_id": str(voter), "choices": [{"motion_id": str(m), "choice": "approve"} for m in motions]},
                             uuid.uuid4().hex)
                       for voter, user in floor_voters],
        "me": [_line("GET", f"{base}/me", t) for t in homes],
        "tasks": [_line("GET", f"{base}/me/tasks", t) for t in homes],
        "project": [_line("GET", f"{base}/projects/{big.id}", t) for t in homes],
        "items": [_line("GET", f"{base}/projects/{big.id}/items", t) for t in homes],
        "cast": [_line("POST", f"{base}/ballots/{ballot.id}/votes", token,
                       {"voter_id": voter, "choices": [{"motion_id": str(m), "choice": "approve"} for m in motions]},
                       uuid.uuid4().hex)
                 for voter, token in voters],
        "roster": await _roster_pages(grid.id, worker_token),
        # Anyone, without logging in, scanning the estate's notices (the board's copy in memory is warm).
        "board_page": [_line("GET", f"/public/estates/{code}", "")] * 100,
        "board_json": [_line("GET", f"{base}/public/estates/{code}", "")] * 100,
    }
    for name, lines in files.items():
        (workdir / f"{name}.tsv").write_text("\n".join(lines) + "\n")
    return {"built_s": built_s, "ballot_id": str(ballot.id), "voters": len(voters), "grid_units": len(grid_units),
            "roster_pages": len(files["roster"])}


async def _roster_pages(grid_id: uuid.UUID, token: str) -> list[str]:
    """Every page of the grid's roster, as the grid worker pages through it (walked once to learn the cursors)."""
    server = serve(os.environ["APP_DATABASE_URL"], SERVICE_PORT)
    try:
        await wait_ready(SERVICE_PORT)
        pages, cursor = [], None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{SERVICE_PORT}",
                                     headers={"Authorization": f"Bearer {token}"}) as c:
            while True:
                path = f"/api/v1/grids/{grid_id}/roster?limit=50" + (f"&cursor={cursor}" if cursor else "")
                r = await c.get(path)
                assert r.status_code == 200, r.text
                pages.append(_line("GET", path, token))
                cursor = r.json()["next_cursor"]
                if cursor is None:
                    return pages
    finally:
        stop(server)


def wrk(port: int, requests: Path, seconds: float, connections: int) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{round(seconds)}s", "--timeout", "10s", "-s", str(BENCH / "wrk" / "requests.lua"),
               f"http://127.0.0.1:{port}", "--", str(requests), "2"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = json.loads(next(line for line in out.splitlines() if line.startswith("JSON "))[5:])
    figures["rps"] = round(figures["requests"] / (figures["duration_us"] / 1e6), 1)
    return figures


def wrk_with_cpu(server: subprocess.Popen, port: int, requests: Path, seconds: float, connections: int) -> dict:
    """``wrk``'s figures with the CPU seconds the server and PostgreSQL used meanwhile (``cpu``)."""
    with cpu_used(server) as cpu:
        figures = wrk(port, requests, seconds, connections)
    return figures | {"cpu": cpu}


def serve_floor(url: str) -> subprocess.Popen:
    env = {**os.environ, "FLOOR_DATABASE_URL": url}
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-m", "uvicorn", "--factory", "floor:create_app",
                             "--app-dir", str(BENCH), "--port", str(FLOOR_PORT), "--workers", "2",
                             "--log-level", "warning", "--no-access-log"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _count(url: str, query: str, *args) -> int:
    import asyncpg
    from sqlalchemy import make_url

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database)
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


def _ms(us: int) -> float:
    return round(us / 1000, 1)


def table(rows: list[dict], data: dict, seconds: float, connections: int, rounds: int) -> str:
    lines = [
        "## The service against the floor (`make bench`, `bench/compare.py`)", "",
        f"Measured {time.strftime('%Y-%m-%d')} on this machine ({os.cpu_count()} cores), PostgreSQL, 2 uvicorn "
        f"workers each, wrk with 2 threads and {connections} keep-alive connections, on the same cores as the "
        f"servers. Each scenario: a 3 s warm-up, then {rounds} rounds of {seconds / rounds:g} s of the floor "
        "followed by the service; the ratio is the median of the rounds' ratios (each round's in the last "
        "column), the rates are over all rounds and each latency quantile is the median of the rounds'. "
        "District: 50 estates, 50,000 units; "
        f"ballot of {data['voters']:,} voters; grid of {data['grid_units']:,} units ({data['roster_pages']} pages). "
        f"Built in {data['built_s']} s." + (f" Casting: {data['casts_stored']} (the rest were on their way when "
                                            "wrk stopped counting)." if "casts_stored" in data else ""), "",
        "The CPU columns: milliseconds of CPU a request, the server's processes + PostgreSQL's (read from /proc "
        "before and after each round); steadier than the rates when the host's speed drifts.", "",
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | floor req/s | floor p50 ms | floor p99 ms | ratio | target "
        "| met | rounds | CPU ms | floor CPU ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|---:|",
    ]
    for row in rows:
        s, a, f = row["scenario"], row["service"], row["floor"]
        target = f">= {s.ratio}x floor {FLOORS[s.floor]}" + (f", p99 < {s.p99_ms:g} ms" if s.p99_ms else "")
        lines.append(f"| {s.label} | {a['rps']:,} | {_ms(a['p50'])} | {_ms(a['p95'])} | {_ms(a['p99'])} | "
                     f"{f['rps']:,} | {_ms(f['p50'])} | {_ms(f['p99'])} | {row['ratio']}x | {target} | {'yes' if row['met'] else '**no**'} | "
                     f"{', '.join(f'{r}x' for r in row['ratios'])} | {_cpu(a)} | {_cpu(f)} |")
    for row in rows:
        if "shaped" in row:
            shaped = row["shaped"]
            b = shaped["floor"]
            lines += ["", (
                "Casting beside the least a vote costs when it is kept as the design keeps one (`POST /floor/casts` "
                "in `bench/floor.py`: in one transaction the voter read with its ballot, the cast, its choices, an "
                "audit entry and the Idempotency-Key's stored answer; a measure beside the target, not the target): "
                f"{b['rps']:,} casts a second, p50 {_ms(b['p50'])} ms, p99 {_ms(b['p99'])} ms, CPU {_cpu(b)} ms a "
                f"cast - {statistics.median(shaped['to_write'])}x the floor's write (rounds "
                f"{', '.join(f'{r}x' for r in shaped['to_write'])}); the service's casting "
                f"{statistics.median(shaped['ratios'])}x of it (rounds {', '.join(f'{r}x' for r in shaped['ratios'])}).")]
    return "\n".join(lines)


def _cpu(figures: dict) -> str:
    """The server's and PostgreSQL's CPU a request, in milliseconds ("-" without /proc)."""
    cpu = figures["cpu"]
    if not cpu:
        return "-"
    return " + ".join(f"{cpu[group] * 1000 / figures['requests']:.2f}" for group in ("server", "postgres"))


def _split(path: Path, parts: int) -> list[Path]:
    """``path``'s lines dealt into ``parts`` files of their own: each round of casting votes for voters no
    other round has."""
    lines = path.read_text().splitlines()
    out = []
    for k in range(parts):
        part = path.with_name(f"{path.stem}_{k + 1}{path.suffix}")
        part.write_text("\n".join(lines[k::parts]) + "\n")
        out.append(part)
    return out


def _rounds(pairs: list[tuple[dict, dict]]) -> tuple[dict, dict, list[float]]:
    """The rounds' floor and service figures together - requests per second over all rounds, each latency
    quantile the median of the rounds' - and each round's ratio."""
    def together(runs: list[dict]) -> dict:
        out = {key: sum(r[key] for r in runs) for key in ("requests", "duration_us", "non2xx", "socket_errors")}
        out.update({q: statistics.median(r[q] for r in runs) for q in ("p50", "p95", "p99")})
        out["max"] = max(r["max"] for r in runs)
        groups = set.intersection(*(set(r["cpu"]) for r in runs))
        out["cpu"] = {group: sum(r["cpu"][group] for r in runs) for group in groups}
        out["rps"] = round(out["requests"] / (out["duration_us"] / 1e6), 1)
        return out

    return (together([f for f, _ in pairs]), together([s for _, s in pairs]),
            [round(s["rps"] / f["rps"], 2) for f, s in pairs])


async def run(url: str, seconds: float, connections: int, rounds: int, only: set[str] | None) -> int:
    os.environ["APP_DATABASE_URL"] = url
    workdir = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    data = await build(url, workdir)
    print("district built", data, flush=True)
    service, floor = serve(url, SERVICE_PORT), serve_floor(url)
    rows, failed = [], []
    try:
        await wait_ready(SERVICE_PORT)
        await wait_ready(FLOOR_PORT, "/docs")
        warmed = set()
        for scenario in SCENARIOS:
            if only and scenario.name not in only:
                continue
            if scenario.floor not in warmed:
                wrk(FLOOR_PORT, workdir / f"floor_{scenario.floor}.tsv", 3, connections)
                warmed.add(scenario.floor)
            requests = workdir / f"{scenario.name}.tsv"
            if scenario.name == "cast":  # every vote counts once: no warm-up, and each round its own voters
                files = _split(requests, rounds)
            else:
                wrk(SERVICE_PORT, requests, 3, connections)
                files = [requests] * rounds
            # Casting is also run beside the cast-shaped floor (bench/floor.py), each round its own voters.
            shaped = _split(workdir / "floor_cast.tsv", rounds) if scenario.name == "cast" else []
            # Rounds of the floor then the service, the ratio taken in each: on a shared host whose speed
            # drifts over minutes, the runs of a round see about the same machine.
            pairs, beside = [], []
            for k, path in enumerate(files):
                floor_run = wrk_with_cpu(floor, FLOOR_PORT, workdir / f"floor_{scenario.floor}.tsv", seconds / rounds, connections)
                if shaped:
                    beside.append(wrk_with_cpu(floor, FLOOR_PORT, shaped[k], seconds / rounds, connections))
                pairs.append((floor_run, wrk_with_cpu(service, SERVICE_PORT, path, seconds / rounds, connections)))
            floor_figures, measured, ratios = _rounds(pairs)
            ratio = round(statistics.median(ratios), 2)
            met = ratio >= scenario.ratio and (scenario.p99_ms is None or measured["p99"] / 1000 < scenario.p99_ms)
            rows.append({"scenario": scenario, "service": measured, "floor": floor_figures, "ratio": ratio,
                         "ratios": ratios, "met": met})
            if beside:
                shaped_figures, _, shaped_ratios = _rounds([(b, s) for b, (_, s) in zip(beside, pairs, strict=True)])
                rows[-1]["shaped"] = {"floor": shaped_figures, "ratios": shaped_ratios,
                                      "to_write": [round(b["rps"] / f["rps"], 2) for b, (f, _) in zip(beside, pairs, strict=True)]}
                answered = shaped_figures["requests"] - shaped_figures["non2xx"]
                # Each cast with its voter's stored answer: the two commit together.
                kept = await _count(url, "SELECT count(*) FROM floor_cast c JOIN floor_voter v ON v.id = c.voter_id "
                                         "WHERE EXISTS (SELECT FROM floor_key k WHERE k.user_id = v.user_id)")
                if shaped_figures["non2xx"] or shaped_figures["socket_errors"] or not answered <= kept <= answered + connections * rounds:
                    failed.append(f"the cast-shaped floor: {shaped_figures['non2xx']} non-2xx, "
                                  f"{shaped_figures['socket_errors']} socket errors, {kept} casts kept for {answered} answered")
            print(scenario.name, measured, "floor", floor_figures["rps"], floor_figures["cpu"], "ratios", ratios, flush=True)
            if measured["non2xx"] or measured["socket_errors"]:
                failed.append(f"{scenario.name}: {measured['non2xx']} non-2xx, {measured['socket_errors']} socket errors")
            if scenario.name == "cast":
                stored = await _count(url, "SELECT count(*) FROM ballot_cast WHERE ballot_id = $1 AND is_current",
                                      uuid.UUID(data["ballot_id"]))
                if measured["requests"] > data["voters"]:
                    failed.append(f"cast: {measured['requests']} requests for {data['voters']} voters (recasts)")
                # wrk stops counting at the deadline: up to one request per connection and round was still
                # on its way.
                answered = measured["requests"] - measured["non2xx"]
                if not answered <= stored <= answered + connections * rounds:
                    failed.append(f"cast: {stored} casts stored for {answered} answered")
                data["casts_stored"] = f"{stored:,} casts stored for {answered:,} answered"
    finally:
        stop(service)
        stop(floor)
    write_section("floor", table(rows, data, seconds, connections, rounds) + (
        "\n\nFailures: " + "; ".join(failed) if failed else ""))
    missed = [r["scenario"].name for r in rows if not r["met"]]
    print({"missed": missed, "failed": failed})
    return 1 if missed or failed else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of floor then service, --seconds in all")
    parser.add_argument("--only", help="comma-separated scenario names: " + ",".join(s.name for s in SCENARIOS))
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    return asyncio.run(run(args.database_url, args.seconds, args.connections, args.rounds, only))


if __name__ == "__main__":
    sys.exit(main())
