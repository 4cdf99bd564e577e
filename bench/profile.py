"""Where a request's time goes: the requests of ``bench/compare.py``'s scenarios, one at a time, in process,
with their SQL statements counted and their Python profiled (pyinstrument).

    .venv/bin/pip install -e '.[profile]'   # pyinstrument, a tool of this command only
    .venv/bin/python bench/profile.py [--database-url ...] [--only me,tasks] [--requests 300] [--html DIR]

Builds compare.py's district, starts the application in this process (with its caller cache's listener, as
``serve`` does), sends each scenario's first ``--requests`` requests through the ASGI app after a warm-up
(a read scenario's requests are all sent once before, as wrk's later laps find every caller known), and prints per scenario: statements per request, milliseconds per request (p50, wall and CPU) and
pyinstrument's call tree of the whole run. What each change bought goes by hand into bench/results.md.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))
os.environ.setdefault("APP_ACCESS_TOKEN_TTL_SECONDS", str(6 * 3600))
os.environ.setdefault("APP_LOG_LEVEL", "WARNING")

from compare import DEFAULT_URL, SCENARIOS, build  # noqa: E402


def _requests(path: Path, count: int) -> list[tuple[str, str, dict[str, str], bytes | None]]:
    out = []
    for line in path.read_text().splitlines()[:count]:
        method, target, token, body, key = (line.split("\t") + [""] * 5)[:5]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body:
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        out.append((method, target, headers, body.encode() if body else None))
    return out


async def _profile(app, requests, html: Path | None, name: str) -> dict:
    from pyinstrument import Profiler
    from sqlalchemy import event

    from app.core.db import get_engine

    statements = 0

    def count(*_args) -> None:
        nonlocal statements
        statements += 1

    walls, cpus = [], []
    # Reads are sent twice, the second time profiled: as in wrk's later laps, every caller is known to the
    # process. A write is sent once (a voter casts once): after a warm-up of 20, each caller is new.
    reads = all(method == "GET" for method, *_ in requests)
    warm, requests = (requests, requests) if reads else (requests[:20], requests[20:])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for method, target, headers, body in warm:  # warm-up: statements built, caches filled
            await client.request(method, target, headers=headers, content=body)
        event.listen(get_engine().sync_engine, "before_cursor_execute", count)
        profiler = Profiler(interval=0.0005, async_mode="enabled")
        profiler.start()
        for method, target, headers, body in requests:
            wall, cpu = time.perf_counter(), time.process_time()
            r = await client.request(method, target, headers=headers, content=body)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            assert r.status_code < 400, (target, r.status_code, r.text[:200])
        profiler.stop()
        event.remove(get_engine().sync_engine, "before_cursor_execute", count)
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if html is not None:
        html.mkdir(parents=True, exist_ok=True)
        (html / f"{name}.html").write_text(profiler.output_html())
    n = len(walls)
    return {"requests": n, "statements": round(statements / n, 2), "wall_p50_ms": round(statistics.median(walls) * 1000, 2),
            "cpu_p50_ms": round(statistics.median(cpus) * 1000, 2)}


async def run(url: str, only: set[str] | None, count: int, html: Path | None) -> None:
    from app.auth import caller_cache
    from app.core.db import dispose_engine
    from app.main import create_app

    os.environ["APP_DATABASE_URL"] = url
    os.environ.setdefault("APP_STORAGE_DIR", tempfile.mkdtemp())
    workdir = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    print("district built", await build(url, workdir), flush=True)
    app = create_app()
    listener = caller_cache.listener_for(url)
    if listener is not None:
        listener.start()
        while not caller_cache.CACHE.live:
            await asyncio.sleep(0.05)
    results = {}
    try:
        for scenario in SCENARIOS:
            if (only and scenario.name not in only) or scenario.name.startswith("board"):
                continue
            print(f"==== {scenario.label}", flush=True)
            results[scenario.name] = await _profile(app, _requests(workdir / f"{scenario.name}.tsv", count + 20),
                                                    html, scenario.name)
    finally:
        if listener is not None:
            await listener.stop()
        await dispose_engine()
    for name, figures in results.items():
        print(name, figures)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--only", help="comma-separated scenario names: " + ",".join(s.name for s in SCENARIOS))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html", type=Path, help="also write each scenario's profile as HTML into this directory")
    args = parser.parse_args()
    asyncio.run(run(args.database_url, set(args.only.split(",")) if args.only else None, args.requests, args.html))
    return 0


if __name__ == "__main__":
    sys.exit(main())
