"""Ledger import at the size of a large estate: 3,000 units, imported fresh and then re-imported.

    .venv/bin/python bench/registry_import.py [--units 3000] [--database-url sqlite+aiosqlite:///...]

Prints seconds and the process's peak resident memory for both runs and exits non-zero when a target is missed.
Targets (2 cores, SQLite on local disk): first import <= 3 s, re-import <= 1.5 s, peak RSS <= 250 MB.
"""

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"first_s": 3.0, "again_s": 1.5, "peak_rss_mb": 250.0}


def ledger(units: int) -> bytes:
    lines = ["楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名,联系电话,共有人,备注"]
    for i in range(units):
        building, rest = divmod(i, 120)
        entrance, rest = divmod(rest, 24)
        floor, room = divmod(rest, 4)
        lines.append(
            f"{building + 1}栋,{entrance + 1}单元,{floor + 1},{floor + 1}0{room + 1},{50 + i % 60}.{i % 100:02d},"
            f"业主{i},13{i % 10}{i:08d},{'共有人' + str(i) if i % 7 == 0 else ''},"
        )
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


async def estate_chain(session, street_name: str = "基准街道"):
    """A street, its community and an estate (the registry's chain every benchmark starts from); the three."""
    from app.registry.models import Community, Estate, Street

    street = Street(district="基准区", name=street_name)
    session.add(street)
    await session.flush()
    community = Community(street_id=street.id, name="基准社区")
    session.add(community)
    await session.flush()
    estate = Estate(community_id=community.id, name="基准小区")
    session.add(estate)
    await session.flush()
    return street, community, estate


async def run(units: int, url: str) -> dict[str, float]:
    os.environ["APP_DATABASE_URL"] = url
    from app.__main__ import migrate
    from app.core.db import dispose_engine, get_sessionmaker
    from app.registry.importer import import_ledger
    await asyncio.to_thread(migrate)
    content = ledger(units)
    async with get_sessionmaker()() as session, session.begin():
        _, _, estate = await estate_chain(session, f"基准街道{time.time_ns()}")
    results = {}
    for label in ("first", "again"):
        started = time.perf_counter()
        async with get_sessionmaker()() as session, session.begin():
            report = await import_ledger(session, estate.id, "ledger.csv", content)
        results[f"{label}_s"] = round(time.perf_counter() - started, 2)
        expected = (units, 0) if label == "first" else (0, units)
        assert (report.created, report.unchanged) == expected and not report.errors, report
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    await dispose_engine()
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--database-url", default=f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    results = asyncio.run(run(args.units, args.database_url))
    missed = {k: v for k, v in results.items() if v > TARGETS[k]}
    print({"units": args.units, **results, "targets": TARGETS, "missed": missed})
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
