"""The public notice board's pages in real headless Chromium (docs/public-board.md, 适老化): each page of a walked
demo renders in Chinese, fits a 360 px wide phone without horizontal scrolling, keeps its text at 18 px or
more, needs no JavaScript and sets no time limit, and axe-core finds no serious or critical violation.

Needs Debian's ``chromium`` (driven by Playwright with the system browser) and axe-core from npm
(``tests/public/package.json``, installed by ``make install`` when npm is present). Without them the tests
skip, except under ``APP_REQUIRE_BROWSER=1`` (set by `.ci/run`), where a missing piece fails.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.public.walked import Walked

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
# Every rule of WCAG 2.0/2.1 A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# The text a reader reads: every element with text of its own (not a container of other elements).
SMALLEST_TEXT = """() => {
  let smallest = null;
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (smallest === null || size < smallest.size) smallest = {size, tag: el.tagName, text: el.textContent.trim().slice(0, 40)};
  }
  return smallest;
}"""


def _missing(what: str) -> None:
    if os.environ.get("APP_REQUIRE_BROWSER"):
        pytest.fail(f"APP_REQUIRE_BROWSER is set but {what}")
    pytest.skip(what)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if CHROMIUM is None:
        _missing("chromium is not installed (apt-get install chromium)")
    if not AXE.exists():
        _missing("axe-core is not installed (npm ci --prefix tests/public)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


def _board_pages(w: Walked) -> dict[str, tuple[str, int]]:
    """name -> (path, status) of one page of each kind, found as a reader finds them: by following links."""
    estate = httpx.get(f"{w.base}/api/v1/public/estates/{w.code}").json()
    [project] = estate["projects"]
    [ballot] = project["ballots"]
    [receipt] = httpx.get(f"{w.base}/api/v1/ballots/{ballot['id']}/receipts", headers=w.staff).json()["receipts"][:1]
    return {"estate": (f"/public/estates/{w.code}", 200), "plan": (project["plans"][0]["url"], 200),
            "ballot": (ballot["url"], 200), "receipt": (f"/public/receipts/{receipt}", 200),
            "certificate": (project["acceptance"]["certificate_url"], 200),
            "missing": ("/public/estates/NOSUCH", 404)}


def test_each_page_fits_a_phone_reads_large_and_passes_axe(walked: Walked, browser, tmp_path):
    keep = os.environ.get("APP_BOARD_SCREENSHOTS")
    axe = AXE.read_text(encoding="utf-8")
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="zh-CN")
    try:
        for name, (path, status) in _board_pages(walked).items():
            page = context.new_page()
            answer = page.goto(f"{walked.base}{path}")
            assert answer is not None and answer.status == status, (name, answer and answer.status)
            html = page.content()
            # Plain HTML: no script, no handler, no refresh - nothing runs out or moves on by itself.
            assert not re.search(r"<script|\son[a-z]+=|http-equiv=\"refresh\"", html, re.I), name
            assert page.evaluate("document.documentElement.lang") == "zh-CN", name
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
            smallest = page.evaluate(SMALLEST_TEXT)
            assert smallest["size"] >= 18, (name, smallest)
            shot = tmp_path / f"{name}.png"
            page.screenshot(path=shot)
            image = Image.open(shot)
            assert image.size == (PHONE["width"], PHONE["height"])
            assert len(image.convert("L").getcolors(maxcolors=1 << 16) or []) > 8, name  # text was drawn
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, Path(keep) / shot.name)

            page.evaluate(axe)
            result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
            assert result["passes"], name  # axe ran its rules on the page
            serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                       for v in result["violations"] if v["impact"] in ("serious", "critical")]
            assert not serious, (name, serious)
            page.close()
    finally:
        context.close()


def test_axe_finds_what_it_is_asked_to_find(walked: Walked, browser):
    """The check is not blind: the estate page with its text turned pale and its language removed fails."""
    axe = AXE.read_text(encoding="utf-8")
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(f"{walked.base}/public/estates/{walked.code}")
        page.evaluate("""() => { document.documentElement.removeAttribute('lang');
                                 document.body.style.color = '#bbb'; }""")
        page.evaluate(axe)
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        found = {v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")}
        assert {"color-contrast", "html-has-lang"} <= found, found
    finally:
        page.close()
