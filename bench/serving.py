"""What the benchmarks that go through the API share: the service started as in production on a
database, waiting for it, latency quantiles, and the CPU a server and PostgreSQL used meanwhile."""

import asyncio
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def ms(seconds: list[float], q: float) -> float:
    """The ``q`` quantile of the durations, in milliseconds."""
    ordered = sorted(seconds)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def serve(url: str, port: int) -> subprocess.Popen:
    """``python -m app serve --workers 2`` on the database, files in a temporary directory."""
    env = {**os.environ, "APP_DATABASE_URL": url, "APP_LOG_LEVEL": "WARNING", "APP_STORAGE_DIR": tempfile.mkdtemp()}
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-m", "app", "serve", "--port", str(port),
                             "--workers", "2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_ready(port: int, path: str = "/readyz") -> None:
    """Until ``path`` answers 200 (the service's readiness; another app's page of its own)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        for _ in range(200):
            try:
                if (await c.get(path)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


def stop(process: subprocess.Popen) -> None:
    """Terminate a server started here, killing it if it does not exit in 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _cpu_seconds(pids: set[int]) -> dict[int, float]:
    """User and system CPU seconds of each of ``pids`` still running (Linux's /proc; none elsewhere)."""
    out = {}
    for pid in pids:
        try:
            fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def _processes() -> dict[int, tuple[int, str]]:
    """Every process: its parent and its name."""
    out = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        try:
            name, rest = (entry / "stat").read_text().rsplit(")", 1)
            out[int(entry.name)] = (int(rest.split()[1]), name.partition("(")[2])
        except (OSError, ValueError, IndexError):
            continue
    return out


def _tree(root: int, processes: dict[int, tuple[int, str]]) -> set[int]:
    pids, added = {root}, True
    while added:
        children = {pid for pid, (parent, _) in processes.items() if parent in pids} - pids
        pids |= children
        added = bool(children)
    return pids


@contextmanager
def cpu_used(server: subprocess.Popen) -> Iterator[dict[str, float]]:
    """The CPU seconds ``server`` (with its worker processes) and this machine's PostgreSQL processes use
    while the block runs, filled in when it ends: ``{"server": s, "postgres": s}``. A process that ends
    meanwhile is left out; one that starts counts from its start. Empty where there is no /proc."""
    used: dict[str, float] = {}
    before = {group: _cpu_seconds(pids) for group, pids in _groups(server).items()}
    yield used
    for group, pids in _groups(server).items():
        if pids:
            after = _cpu_seconds(pids)
            used[group] = sum(seconds - before[group].get(pid, 0.0) for pid, seconds in after.items())


def _groups(server: subprocess.Popen) -> dict[str, set[int]]:
    processes = _processes()
    return {"server": _tree(server.pid, processes) if processes else set(),
            "postgres": {pid for pid, (_, name) in processes.items() if name == "postgres"}}
