"""`/docs` works offline: its page loads nothing from outside the service, and headless Chromium, with every
host but the service's unresolvable, renders the operations (issue 8).

The browser test needs Debian's ``chromium``; `.ci/run` installs it and sets ``APP_REQUIRE_BROWSER=1`` so
that a missing browser fails there instead of skipping.
"""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from app.core.docs import ASSETS_URL
from tests.served import serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Every name but the service's own resolves to nothing: a CDN reference would leave the page blank.
NO_NETWORK = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


async def test_docs_pages_reference_only_local_assets(client):
    for path in ("/docs", "/redoc"):
        page = await client.get(path)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith(ASSETS_URL + "/") for s in sources), sources
        assert "http" not in " ".join(sources)
        for source in sources:
            asset = await client.get(source)
            assert asset.status_code == 200 and len(asset.content) > 1000, source


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    """The service in a subprocess on a free local port (no database is needed for the docs)."""
    with serving([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"],
                 tmp_path_factory.mktemp("docs") / "server.log", os.environ.copy()) as base:
        yield base


def _chromium(*args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        if os.environ.get("APP_REQUIRE_BROWSER"):
            pytest.fail("APP_REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", NO_NETWORK,
         "--virtual-time-budget=20000", "--window-size=1280,1600", *args],
        capture_output=True, text=True, timeout=120)


def test_swagger_ui_renders_every_operation_with_no_network(served):
    operations = sum(len(ops) for ops in httpx.get(f"{served}/openapi.json", timeout=60).json()["paths"].values())
    dom = _chromium("--dump-dom", f"{served}/docs").stdout
    rendered = re.findall(r'class="opblock opblock-(get|post|put|patch|delete)', dom)
    assert len(rendered) == operations, (len(rendered), operations)
    assert 'data-path="/api/v1/estates"' in dom
    assert "老旧小区改造居民参与平台 API" in dom


def test_swagger_ui_screenshot_shows_the_operations(served, tmp_path):
    shot = tmp_path / "docs.png"
    _chromium(f"--screenshot={shot}", f"{served}/docs")
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 1600)
    # Swagger UI draws each operation as a coloured bar: GET blue (#61affe), POST green (#49cc90). A page
    # that failed to load its script or the document is white and grey.
    colours = image.getcolors(maxcolors=1 << 20)

    def pixels_near(rgb: tuple[int, int, int]) -> int:
        return sum(n for n, c in colours if all(abs(a - b) <= 12 for a, b in zip(c, rgb, strict=True)))

    assert pixels_near((0x61, 0xAF, 0xFE)) > 2000
    assert pixels_near((0x49, 0xCC, 0x90)) > 2000
    if keep := os.environ.get("APP_DOCS_SCREENSHOT"):
        Path(keep).write_bytes(shot.read_bytes())
