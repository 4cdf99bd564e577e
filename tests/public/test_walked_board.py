"""No personal data anywhere on the public notice board (docs/public-board.md, issue 24): every page, JSON
document, PDF and photo reachable from the estate's page of a fully walked demo - and every published
receipt's page - is read, and the crawl fails on any phone number, any name from the ledger or of the demo's
staff, and anything that places a choice on a unit (a unit's label or id, or a field that carries a voter,
a unit or a choice)."""

import csv
import io
import json
import re
from urllib.parse import urljoin

import httpx
from pypdf import PdfReader

from app.core.phones import OPAQUE, PHONE_IN_TEXT
from app.demo import STAFF
from app.registry.ledger import split_co_owners
from tests.public.walked import ROOT, Walked

LEDGER = ROOT / "app" / "demo" / "registry_demo_estate.csv"
PUBLIC = ("/public/", "/api/v1/public/")
# Fields that would tie a person, a unit or a vote to what the board shows.
PERSONAL_FIELDS = {"choice", "choices", "unit_id", "voter_id", "user_id", "phone", "signer", "author", "author_id",
                   "name_masked", "owner", "owners", "signature_file_id"}


def _ledger() -> tuple[set[str], set[str]]:
    """The owners' and co-owners' names, and every unit's label, of the demo's ledger."""
    names, labels = set(), set()
    with LEDGER.open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            names.add(row["业主姓名"].strip())
            names.update(name for name, _ in split_co_owners(row["共有人"]))
            labels.add(f"{row['楼栋']}{row['单元']}{row['房号']}")
    names.discard("")
    return names, labels


def _staff_names() -> set[str]:
    """The person in each demo login's display name ("网格员 张敏" -> 张敏)."""
    return {display.split()[-1] for _, display, *_ in STAFF if " " in display}


def _links(kind: str, body: bytes) -> set[str]:
    if kind == "html":
        found = re.findall(r'(?:href|src|action)="([^"#?]+)', body.decode())
    elif kind == "json":
        found = re.findall(r'"(/(?:api/v1/)?public/[^"]+)"', body.decode())
    else:
        return set()
    return {link for link in found if link.startswith(PUBLIC)}


def _kind(response: httpx.Response) -> str:
    media = response.headers["content-type"].split(";")[0]
    return {"text/html": "html", "application/json": "json", "application/pdf": "pdf", "image/jpeg": "jpeg"}[media]


def _text(kind: str, body: bytes) -> str:
    if kind == "pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return body.decode() if kind in ("html", "json") else ""


def _fields(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _fields(v)}
    if isinstance(value, list):
        return {k for v in value for k in _fields(v)}
    return set()


def _unit_ids(w: Walked) -> set[str]:
    ids = set()
    for building in w.staff_get(f"/estates/{w.estate_id}/buildings?limit=100").json()["items"]:
        ids |= {u["id"] for u in w.staff_get(f"/buildings/{building['id']}/units?limit=200").json()["items"]}
    return ids


def _crawl(w: Walked, start: list[str]) -> dict[str, tuple[str, str, bytes]]:
    """Every public address reachable from ``start``: path -> (kind, text, body)."""
    seen: dict[str, tuple[str, str, bytes]] = {}
    todo = list(start)
    with httpx.Client(base_url=w.base, timeout=30) as c:
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            r = c.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            kind = _kind(r)
            seen[path] = (kind, _text(kind, r.content), r.content)
            links = {urljoin(path, link) for link in _links(kind, r.content)} - {"/public/receipts"}  # the form
            # A page and its JSON share their path, the JSON's under /api/v1 (the JSON's links are to pages).
            twins = {f"/api/v1{link}" for link in links if link.startswith("/public/")}
            todo += sorted(links | twins - seen.keys())
    return seen


def test_every_public_page_of_a_walked_demo_is_free_of_personal_data(walked: Walked):
    ballots = [b for p in walked.staff_get(f"/projects?estate_id={walked.estate_id}").json()["items"]
               for b in walked.staff_get(f"/projects/{p['id']}/ballots").json()]
    receipts = [code for b in ballots for code in walked.staff_get(f"/ballots/{b['id']}/receipts").json()["receipts"]]
    assert len(receipts) >= 40  # the resident's online vote and the paper ballots of both grids
    start = [f"/public/estates/{walked.code}", f"/api/v1/public/estates/{walked.code}"]
    start += [f"{prefix}/receipts/{code}" for code in receipts for prefix in ("/public", "/api/v1/public")]
    pages = _crawl(walked, start)

    # The crawl reached every kind of document the board has, as a page and as JSON.
    families = {re.sub(r"/[0-9a-fA-F-]{16,}|/[A-Z0-9-]{4,}$", "/*", path) for path in pages}
    for family in ("/public/estates/*", "/public/plans/*", "/public/ballots/*", "/public/receipts/*",
                   "/public/certificates/*"):
        assert family in families and "/api/v1" + family in families, (family, sorted(families))
    for document in ("/api/v1/public/plans/*/pdf", "/api/v1/public/ballots/*/announcement.pdf",
                     "/api/v1/public/ballots/*/results.pdf", "/api/v1/public/certificates/*/pdf",
                     "/api/v1/public/photos/*"):
        assert document in families, (document, sorted(families))
    estate = json.loads(pages[f"/api/v1/public/estates/{walked.code}"][2])
    [project] = estate["projects"]
    assert project["status"] == "accepted" and project["satisfaction"][0]["results"]["responses"] == 1
    assert [b["status"] for b in project["ballots"]] == ["final"]
    assert any(r["note"] == "完工" for i in project["items"] for r in i["reports"])

    names, labels = _ledger()
    names |= _staff_names()
    unit_ids = _unit_ids(walked)
    assert len(names) > 80 and len(labels) == 84 and len(unit_ids) == 84
    for path, (kind, text, body) in pages.items():
        words = OPAQUE.sub(" ", text)  # ids, hashes and receipt codes, whose digits may read as a phone
        assert not PHONE_IN_TEXT.search(words), (path, PHONE_IN_TEXT.search(words))
        assert not [n for n in names if n in text], (path, [n for n in names if n in text])
        assert not [u for u in labels if u in text], (path, [u for u in labels if u in text])
        assert not [u for u in unit_ids if u in text], path
        if kind == "json":
            assert not _fields(json.loads(body)) & PERSONAL_FIELDS, (path, _fields(json.loads(body)) & PERSONAL_FIELDS)


def test_the_crawl_would_see_a_name_a_phone_or_a_unit(walked: Walked):
    """The checks above are not blind: the staff API's answers about the same estate carry each of them."""
    names, labels = _ledger()
    [project] = walked.staff_get(f"/projects?estate_id={walked.estate_id}").json()["items"]
    [ballot] = walked.staff_get(f"/projects/{project['id']}/ballots").json()
    shut = walked.staff_get(f"/ballots/{ballot['id']}/non-voters").text  # the doors that stayed shut
    assert [u for u in labels if u in shut] and [u for u in _unit_ids(walked) if u in shut]
    unit = json.loads(shut)["items"][0]["unit_id"]
    detail = walked.staff_get(f"/units/{unit}").text
    assert PHONE_IN_TEXT.search(detail) and [n for n in names if n in detail]


def test_with_the_worker_beside_it_the_residents_inbox_reaches_the_acceptance(walked: Walked):
    """The demo clock lives in the database: the worker follows the walk's moves (32 days), so the notices
    made at the moved time are delivered - the README prints the resident's inbox titles, newest first."""
    [titles] = [line for line in walked.output.splitlines() if "：验收通过" in line]
    for stage in ("验收通过", "竣工验收", "施工中", "表决通过", "居民表决"):
        assert f"：{stage}" in titles, (stage, titles)
