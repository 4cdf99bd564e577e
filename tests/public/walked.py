"""A demo service walked as the README walks it: a fresh SQLite database and file directory, the demo
estate loaded, the service in a subprocess with the demo clock, and the README's "Try it with curl" block
run against it with ``bash -e`` - every stage from the needs survey to the closed satisfaction survey.

The public board's crawl (``test_walked_board``) and its browser checks (``test_pages_in_browser``) read
this service: what they find is what a real estate's board shows at the end of a renovation.
"""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.served import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
README_BASE = "http://127.0.0.1:8000"
PASSWORD = "Demo@2026"
STAFF_PHONE = "13900000003"


@dataclass(frozen=True)
class Walked:
    base: str
    estate_id: str
    code: str
    staff: dict[str, str]  # Authorization header of the community staff
    output: str  # what the walk printed

    def staff_get(self, path: str) -> httpx.Response:
        r = httpx.get(f"{self.base}/api/v1{path}", headers=self.staff, timeout=30)
        r.raise_for_status()
        return r


def readme_walk() -> str:
    """The README's curl block, as written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Try it with curl"):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="session")
def walked(tmp_path_factory) -> Iterator[Walked]:
    home = tmp_path_factory.mktemp("walked")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    env |= {"APP_DATABASE_URL": f"sqlite+aiosqlite:///{home}/demo.db", "APP_STORAGE_DIR": str(home / "files"),
            "APP_DEMO_CLOCK": "true", "APP_PUBLIC_BASE_URL": base, "APP_PUBLIC_RATE_PER_MINUTE": "100000",
            "APP_LOG_LEVEL": "WARNING"}
    for command in ("migrate", "seed-demo"):
        subprocess.run([sys.executable, "-m", "app", command], cwd=ROOT, env=env, check=True, capture_output=True)
    command = [sys.executable, "-m", "app", "serve"]
    with serving(command, home / "server.log", env, cwd=ROOT, port=port) as base, \
            (home / "worker.log").open("wb") as worker_log:
        # The worker beside the service, as the README suggests: it follows the demo clock's moves.
        worker = subprocess.Popen([sys.executable, "-m", "app", "worker"], cwd=ROOT, env=env, stdout=worker_log,
                                  stderr=subprocess.STDOUT)
        try:
            walk = subprocess.run(["bash", "-e", "-c", readme_walk().replace(README_BASE, base)], cwd=home,
                                  capture_output=True, text=True, timeout=600)
        finally:
            worker.terminate()
            worker.wait(10)
        assert walk.returncode == 0, f"the README walk failed:\n{walk.stdout[-3000:]}\n{walk.stderr[-3000:]}"
        token = httpx.post(f"{base}/api/v1/auth/login", json={"phone": STAFF_PHONE, "password": PASSWORD},
                           timeout=30).json()
        staff = {"Authorization": f"Bearer {token['access_token']}"}
        [estate] = httpx.get(f"{base}/api/v1/estates", headers=staff, timeout=30).json()["items"]
        yield Walked(base=base, estate_id=estate["id"], code=estate["short_code"], staff=staff, output=walk.stdout)
