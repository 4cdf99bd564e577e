"""Large ledgers are checked in the request and applied by the worker in chunks, each its own transaction."""

import pytest
from sqlmodel import func, select

from app.core.config import get_settings
from app.core.models import AuditEntry
from app.registry.imports import run_import_chunk
from app.registry.models import PropertyUnit, RegistryImport
from tests import factories as f

API = "/api/v1"


def _ledger(n: int, bad: int = 0) -> bytes:
    lines = ["楼栋,单元,楼层,房号,建筑面积(㎡),业主姓名"]
    lines += [f"{i // 100 + 1}栋,1单元,{i % 100 // 4 + 1},{i % 100 + 1},60.00,业主{i}" for i in range(n)]
    lines += [f"9栋,1单元,1,{i + 1},不是面积,坏行{i}" for i in range(bad)]
    return "\n".join(lines).encode()


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(get_settings(), "import_sync_max_rows", 50)
    monkeypatch.setattr(get_settings(), "import_chunk_rows", 40)


async def _units(db, estate_id) -> int:
    return (await db.exec(select(func.count()).select_from(PropertyUnit).where(PropertyUnit.estate_id == estate_id))).one()


async def test_a_large_ledger_is_queued_and_applied_in_chunks(client, db, world, small_batches):
    staff = await world.headers_for(db, "community_staff:in")
    estate_id = (await f.estate(db, world.a.community_id)).id
    r = await client.post(f"{API}/estates/{estate_id}/registry-imports", headers=staff,
                          files={"file": ("big.csv", _ledger(100, bad=2), "text/csv")})
    assert r.status_code == 202, r.text
    queued = r.json()
    assert (queued["status"], queued["rows_total"], queued["rows_done"]) == ("queued", 100, 0)
    assert len(queued["report"]["errors"]) == 2  # every row error is known at once
    assert await _units(db, estate_id) == 0

    url = f"{API}/registry-imports/{queued['id']}"
    seen = []
    for _ in range(3):
        await run_import_chunk(db)
        seen.append((await client.get(url, headers=staff)).json())
    assert [(s["status"], s["rows_done"]) for s in seen] == [("running", 40), ("running", 80), ("done", 100)]
    assert seen[-1]["report"]["created"] == 100 and seen[-1]["finished_at"]
    assert await _units(db, estate_id) == 100
    actions = (await db.exec(select(AuditEntry.action).where(AuditEntry.estate_id == estate_id)
                             .order_by(AuditEntry.id))).all()
    assert actions == ["registry.import.queue", "registry.import"]
    await run_import_chunk(db)  # nothing left to do
    assert (await client.get(url, headers=staff)).json()["rows_done"] == 100
    job = (await db.exec(select(RegistryImport).where(RegistryImport.estate_id == estate_id))).one()
    assert job.rows == []  # the checked rows are not kept once applied


async def test_small_ledgers_are_still_imported_at_once(client, db, world, small_batches):
    staff = await world.headers_for(db, "community_staff:in")
    estate_id = (await f.estate(db, world.a.community_id)).id
    r = await client.post(f"{API}/estates/{estate_id}/registry-imports", headers=staff,
                          files={"file": ("small.csv", _ledger(50), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 50


async def test_a_failing_chunk_fails_the_import_and_keeps_what_committed(client, db, world, small_batches, monkeypatch):
    from app.registry import imports

    staff = await world.headers_for(db, "community_staff:in")
    estate_id = (await f.estate(db, world.a.community_id)).id
    queued = (await client.post(f"{API}/estates/{estate_id}/registry-imports", headers=staff,
                                files={"file": ("big.csv", _ledger(100), "text/csv")})).json()
    await run_import_chunk(db)
    original = imports.apply_rows

    async def broken(*args, **kw):
        await original(*args, **kw)
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "apply_rows", broken)
    await run_import_chunk(db)
    state = (await client.get(f"{API}/registry-imports/{queued['id']}", headers=staff)).json()
    assert (state["status"], state["rows_done"], state["failure"]) == ("failed", 40, "disk full")
    assert await _units(db, estate_id) == 40  # the failed chunk undid itself; sending the file again finishes it


async def test_imports_are_their_estate_managers_business(client, db, world, small_batches):
    staff = await world.headers_for(db, "community_staff:in")
    estate_id = (await f.estate(db, world.a.community_id)).id
    queued = (await client.post(f"{API}/estates/{estate_id}/registry-imports", headers=staff,
                                files={"file": ("big.csv", _ledger(100), "text/csv")})).json()
    url = f"{API}/registry-imports/{queued['id']}"
    for variant in ("community_staff:out", "grid_worker:in", "committee_member:in", "resident:in"):
        assert (await client.get(url, headers=await world.headers_for(db, variant))).status_code == 404, variant
    for variant in ("admin", "street_staff:in"):
        assert (await client.get(url, headers=await world.headers_for(db, variant))).status_code == 200, variant
