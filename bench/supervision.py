"""Supervision on PostgreSQL: inspections filed with photos through the API, and the residents' list of
rectification orders of a big project.

    .venv/bin/python bench/supervision.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_supervision]
                                          [--supervisors 16] [--seconds 20] [--orders 1000]

1. An estate of 2,000 units from a generated ledger, with a position; a project under construction with
   its contractor; --supervisors supervisors appointed to it, each with a login and photos already
   uploaded (a phone uploads its photos first, then files the report that references them).
2. Filing: the service runs as in production (``python -m app serve --workers 2`` on the same database);
   each supervisor files reports through ``POST /projects/{id}/inspections`` for --seconds, one after
   another: eight checklist items (one failed), a position, three photos (one on the report, two on
   items). Every answer must be 201, and the database must hold every report and its three photos
   attached. Then offline batches of 50 reports through ``POST /sync/inspections`` (timed each), and one
   of them sent again (all ``duplicate``). Reported: reports per second, p50 / p99; batch seconds.
3. Reading: --orders rectification orders on the project (open, responded, closed, overdue, each with
   its timeline), inserted in bulk; a resident of the estate reads ``GET /projects/{id}/rectifications``
   twenty times, then with ``?overdue=true``. Target: p50 < 200 ms for the full list.

The load generator is this Python process on the same 2 cores as the server, so throughput is a floor.
Prints the figures and exits non-zero when a target is missed. The database is dropped and re-created.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from questionnaires import _recreate  # noqa: E402
from registry_import import ledger  # noqa: E402
from serving import ms, serve, stop, wait_ready  # noqa: E402

TARGETS = {"file_p50_ms": 200.0, "batch_s": 3.0, "orders_p50_ms": 200.0}
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_supervision"
PORT = 8766
UNITS = 2000
PHOTOS = 3
ESTATE_AT = (31.2304, 121.4737)



async def _world(session, supervisors: int):
    """The estate, its project under construction and contractor, the supervisors (with logins) and a
    resident bound to a unit. Returns (project, contractor id, [(user id, login id)], resident (user, login))."""
    from sqlmodel import select

    from app.auth.models import AuthSession, Role, RoleAssignment, User
    from app.auth.residence import BindingRelation
    from app.auth.roles import ROLE_SCOPE
    from app.projects.models import Project, ProjectOrganization, ProjectOrganizationRole, ProjectStatus
    from app.registry.importer import import_ledger
    from app.registry.models import Community, Estate, Organization, OrganizationKind, PropertyUnit, Street
    from app.residency.models import BindingMethod, BindingStatus, UnitBinding

    street = Street(district="基准区", name="监督街道")
    session.add(street)
    await session.flush()
    community = Community(street_id=street.id, name="监督社区")
    session.add(community)
    await session.flush()
    estate = Estate(community_id=community.id, name="监督小区", latitude=ESTATE_AT[0], longitude=ESTATE_AT[1])
    contractor = Organization(street_id=street.id, name="基准建设公司", kind=OrganizationKind.contractor)
    session.add_all([estate, contractor])
    await session.flush()
    report = await import_ledger(session, estate.id, "ledger.csv", ledger(UNITS))
    assert report.created == UNITS and not report.errors, report
    project = Project(estate_id=estate.id, name="监督小区综合改造", status=ProjectStatus.constructing)
    session.add(project)
    await session.flush()
    session.add(ProjectOrganization(project_id=project.id, organization_id=contractor.id,
                                    role=ProjectOrganizationRole.contractor))
    people = []
    for n in range(supervisors + 1):
        user = User(display_name=f"监督员{n}", phone=f"139{n:08d}")
        session.add(user)
        await session.flush()
        login = AuthSession(user_id=user.id, channel="wechat")
        session.add(login)
        people.append((user.id, login.id))
    for user_id, _ in people[:-1]:
        session.add(RoleAssignment(user_id=user_id, role=Role.supervisor, scope_type=ROLE_SCOPE[Role.supervisor],
                                   scope_id=project.id))
    unit_id = (await session.exec(select(PropertyUnit.id).where(PropertyUnit.estate_id == estate.id))).first()
    session.add(UnitBinding(user_id=people[-1][0], unit_id=unit_id, relation=BindingRelation.tenant,
                            status=BindingStatus.approved, method=BindingMethod.request))
    await session.flush()
    return project, contractor.id, people[:-1], people[-1]


async def _photos(session, uploader: uuid.UUID, count: int) -> list[str]:
    """``count`` uploads by ``uploader`` of one stored JPEG (the bytes are not what is measured)."""
    from sqlalchemy import insert

    from app.files.models import FileBlob, StoredFile

    blob_id = uuid.uuid4()
    await session.execute(insert(FileBlob), [{"id": blob_id, "sha256": uuid.uuid4().hex + uuid.uuid4().hex,
                                              "size": 180_000, "content_type": "image/jpeg",
                                              "storage_key": f"bench/{blob_id}"}])
    ids = [uuid.uuid4() for _ in range(count)]
    await session.execute(insert(StoredFile), [{"id": i, "blob_id": blob_id, "uploaded_by": uploader,
                                                "filename": "photo.jpg"} for i in ids])
    return [str(i) for i in ids]


def _report(photos: list[str], rng: random.Random) -> dict:
    from app.core import clock

    items = [{"code": f"item{n}", "text": f"检查项{n}", "result": "pass"} for n in range(8)]
    items[3] = {"code": "item3", "text": "脚手架牢固", "result": "fail", "note": "西侧未绑扎", "file_ids": photos[1:3]}
    return {"inspection_id": str(uuid.uuid4()), "category": "safety",
            "occurred_at": (clock.now() - timedelta(minutes=rng.randint(1, 600))).isoformat(),
            "location": {"lat": ESTATE_AT[0] + rng.uniform(-0.001, 0.001), "lng": ESTATE_AT[1] + rng.uniform(-0.001, 0.001)},
            "checklist": items, "summary": "例行安全巡查", "file_ids": photos[:1]}


async def _file_load(project_id, supervisors: list[tuple[str, list[str]]], seconds: float) -> dict:
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    async def supervisor(c: httpx.AsyncClient, token: str, photos: list[str]) -> None:
        rng = random.Random(token)
        for start in range(0, len(photos) - PHOTOS + 1, PHOTOS):
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            r = await c.post(f"/api/v1/projects/{project_id}/inspections", json=_report(photos[start:start + PHOTOS], rng),
                             headers={"Authorization": f"Bearer {token}"})
            latencies.append(time.perf_counter() - started)
            if r.status_code != 201:
                failures.append(f"{r.status_code} {r.text[:200]}")

    limits = httpx.Limits(max_connections=len(supervisors), max_keepalive_connections=len(supervisors))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", limits=limits, timeout=30) as c:
        started = time.perf_counter()
        await asyncio.gather(*(supervisor(c, token, photos) for token, photos in supervisors))
        elapsed = time.perf_counter() - started
    return {"reports": len(latencies), "failures": failures, "file_rps": round(len(latencies) / elapsed, 1),
            "file_p50_ms": ms(latencies, 0.5), "file_p99_ms": ms(latencies, 0.99)}


async def _orders(session, project, contractor_id, supervisor_id, count: int) -> int:
    """``count`` orders in every status, a third of the open ones overdue, each with its timeline."""
    from sqlalchemy import insert

    from app.core import clock
    from app.supervision.models import Rectification, RectificationEvent
    from app.supervision.rules import OrderStatus, Priority

    now, rng = clock.now(), random.Random(3)
    orders, events, overdue = [], [], 0
    for number in range(1, count + 1):
        status = rng.choice(list(OrderStatus))
        due = now + timedelta(days=rng.randint(-20, 20), hours=12)
        overdue += status in (OrderStatus.open, OrderStatus.reopened) and due < now
        order_id = uuid.uuid4()
        orders.append({"id": order_id, "number": number, "project_id": project.id, "estate_id": project.estate_id,
                       "organization_id": contractor_id, "title": f"整改事项{number}", "description": "按规范整改",
                       "priority": rng.choice(list(Priority)), "due_at": due, "status": status, "file_ids": [],
                       "created_by": supervisor_id, "created_at": now - timedelta(days=30),
                       "updated_at": now, "closed_at": now if status in (OrderStatus.closed, OrderStatus.waived) else None})
        events.append({"id": uuid.uuid4(), "rectification_id": order_id, "kind": "created", "from_status": None,
                       "to_status": OrderStatus.open, "actor_id": supervisor_id, "note": "", "file_ids": [],
                       "created_at": now - timedelta(days=30)})
        if status != OrderStatus.open:
            events.append({"id": uuid.uuid4(), "rectification_id": order_id, "kind": "respond",
                           "from_status": OrderStatus.open, "to_status": status, "actor_id": supervisor_id,
                           "note": "已整改", "file_ids": [], "created_at": now - timedelta(days=10)})
    await session.execute(insert(Rectification), orders)
    await session.execute(insert(RectificationEvent), events)
    return overdue


async def run(url: str, supervisors: int, seconds: float, orders: int) -> dict:
    os.environ["APP_DATABASE_URL"] = url
    await _recreate(url)
    from sqlalchemy import func, text
    from sqlmodel import select

    from app import domains
    from app.__main__ import migrate
    from app.core.db import dispose_engine, get_sessionmaker
    from app.core.security import create_access_token
    from app.files.models import FileAttachment
    from app.supervision.models import Inspection

    domains.install()
    await asyncio.to_thread(migrate)
    sessions = get_sessionmaker()
    figures: dict = {}
    # Enough photos for a report every 20 ms per supervisor, and for the offline batches.
    per_supervisor = PHOTOS * int(seconds * 50 + 200)
    async with sessions() as session, session.begin():
        project, contractor_id, people, resident = await _world(session, supervisors)
        phones = [(create_access_token(user, login)[0], await _photos(session, user, per_supervisor))
                  for user, login in people]
    async with sessions() as session, session.begin():
        await session.exec(text("ANALYZE"))

    server = serve(url, PORT)
    try:
        await wait_ready(PORT)
        # 2. filing, online then in offline batches
        load = await _file_load(project.id, phones, seconds)
        assert not load["failures"], load["failures"][:3]
        figures.update({k: v for k, v in load.items() if k != "failures"})
        token, photos = phones[0]
        used = PHOTOS * (load["reports"] // len(phones) + 50)  # beyond what the first supervisor used online
        rng = random.Random(8)
        batches, timings = [], []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=60) as c:
            for b in range(3):
                start = used + b * 50 * PHOTOS
                items = [{**_report(photos[start + n * PHOTOS:start + (n + 1) * PHOTOS], rng), "project_id": str(project.id)}
                         for n in range(50)]
                started = time.perf_counter()
                r = await c.post("/api/v1/sync/inspections", json={"items": items},
                                 headers={"Authorization": f"Bearer {token}"})
                timings.append(time.perf_counter() - started)
                assert r.status_code == 200 and {i["status"] for i in r.json()} == {"created"}, r.text[:300]
                batches.append(items)
            r = await c.post("/api/v1/sync/inspections", json={"items": batches[0]},
                             headers={"Authorization": f"Bearer {token}"})
            assert {i["status"] for i in r.json()} == {"duplicate"}, r.text[:300]
        figures["batch_s"] = round(max(timings), 2)
        filed = load["reports"] + 150
        async with sessions() as session:
            stored = (await session.exec(select(func.count()).select_from(Inspection))).one()
            attached = (await session.exec(select(func.count()).select_from(FileAttachment).where(
                FileAttachment.object_type == "inspection"))).one()
        assert (stored, attached) == (filed, filed * PHOTOS), (stored, attached, filed)

        # 3. the residents' list of a project with --orders orders
        async with sessions() as session, session.begin():
            overdue = await _orders(session, project, contractor_id, people[0][0], orders)
        async with sessions() as session, session.begin():
            await session.exec(text("ANALYZE"))
        headers = {"Authorization": f"Bearer {create_access_token(*resident)[0]}"}
        seconds_each = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=60) as c:
            path = f"/api/v1/projects/{project.id}/rectifications"
            for _ in range(20):
                started = time.perf_counter()
                r = await c.get(path, params={"limit": 200}, headers=headers)  # the largest page
                seconds_each.append(time.perf_counter() - started)
                assert r.status_code == 200 and len(r.json()["items"]) == min(orders, 200), r.text[:300]
            figures["orders_kb"] = round(len(r.content) / 1024)
            started = time.perf_counter()
            r = await c.get(path, params={"overdue": "true", "limit": 200}, headers=headers)
            figures["overdue_ms"] = round((time.perf_counter() - started) * 1000, 1)
            assert r.status_code == 200 and len(r.json()["items"]) == min(overdue, 200), r.text[:300]
        figures["orders_p50_ms"] = round(statistics.median(seconds_each) * 1000, 1)
        figures["orders_max_ms"] = round(max(seconds_each) * 1000, 1)
    finally:
        stop(server)
        await dispose_engine()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--supervisors", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args()
    figures = asyncio.run(run(args.database_url, args.supervisors, args.seconds, args.orders))
    missed = {k: figures[k] for k, target in TARGETS.items() if figures[k] > target}
    print({**figures, "targets": TARGETS, "missed": missed})
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
