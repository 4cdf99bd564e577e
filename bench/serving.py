"""What the benchmarks that go through the API share: the service started as in production on a
database, waiting for it, and latency quantiles."""

import asyncio
import os
import subprocess
import tempfile
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
