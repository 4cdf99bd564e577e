"""Every row of an estate's tables belongs to exactly one estate, by the path ``app.core.partitioning``
declares: what a distributed PostgreSQL partitioned by estate needs (docs/scaling.md, "Partitioned by
estate").

The schema: every table of ``SQLModel.metadata`` is placed (a new one fails until it is), each hop of a
path is a real foreign key, a table with an ``estate_id`` of its own uses it, and the foreign keys are
the ones Citus accepts (nothing distributed points at a coordinator table; reference tables point only at
reference tables). The data: a realistic estate (a questionnaire answered and exported, a plan published,
opened and commented on, a ballot announced, corrected, opened, voted, closed, objected to and recounted,
works inspected with an order, a complaint, an acceptance signed, invitation codes, identity checks,
corrections) built through the API; then, for every distributed table, its declared SQL path must take
each row to one estate, and every foreign key between two distributed tables must stay inside that estate
(co-location).
The last two tests break a path and a row on purpose, so that the checks are seen to fail.
"""

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import ForeignKey, func, or_, select
from sqlalchemy.sql import FromClause
from sqlmodel import SQLModel
from sqlmodel import select as sm_select
from sqlmodel.ext.asyncio.session import AsyncSession

import app.models  # noqa: F401  (every table in the metadata)
from app.auth.residence import BindingRelation
from app.core import clock
from app.core.partitioning import (
    PLACEMENT,
    ByEstate,
    Coordinator,
    Hop,
    Placement,
    Reference,
    by_estate,
    needing_estate_column,
    reference_tables,
)
from app.plans.models import PlanView
from app.projects.models import Project, ProjectStatus
from app.registry.models import ImportStatus, OccupantRelation, RegistryImport
from tests import factories as f
from tests.acceptance.conftest import ITEMS, decide, open_round, sign
from tests.voting.conftest import (
    API,
    announced,
    estate,  # noqa: F401  (fixture: world A's estate with owners of every kind)
    open_now,
    vote,
)

METADATA = SQLModel.metadata
SCALING = Path(__file__).resolve().parents[2] / "docs" / "scaling.md"


# ---- the schema -----------------------------------------------------------------------------------------


def _foreign_key(table: str, column: str) -> ForeignKey | None:
    keys = list(METADATA.tables[table].c[column].foreign_keys)
    return keys[0] if keys else None


def path_problems(placement: dict[str, Placement]) -> list[str]:
    """What is wrong with the declared paths, against the tables' columns and foreign keys."""
    problems = []
    for name, p in placement.items():
        if not isinstance(p, ByEstate) or name not in METADATA.tables:
            continue
        at = name
        for hop in p.hops:
            if hop.column not in METADATA.tables[at].c:
                problems.append(f"{name}: {at} has no column {hop.column}")
                break
            fk = _foreign_key(at, hop.column)
            if fk is None or (fk.column.table.name, fk.column.name) != (hop.table, "id"):
                problems.append(f"{name}: {at}.{hop.column} is not a foreign key to {hop.table}.id")
                break
            if not isinstance(placement.get(hop.table), ByEstate):
                problems.append(f"{name}: its path passes through {hop.table}, which is not distributed by estate")
                break
            at = hop.table
        else:
            if p.column not in METADATA.tables[at].c:
                problems.append(f"{name}: {at} has no column {p.column}")
                continue
            fk = _foreign_key(at, p.column)
            if p.foreign_key and (fk is None or (fk.column.table.name, fk.column.name) != ("estate", "id")):
                problems.append(f"{name}: {at}.{p.column} is not a foreign key to estate.id")
            end = placement.get(at)
            if p.hops and not (isinstance(end, ByEstate) and not end.hops and end.column == p.column):
                problems.append(f"{name}: its path ends at {at}, which does not hold its estate itself")
        if p.hops and "estate_id" in METADATA.tables[name].c:
            problems.append(f"{name}: has an estate_id of its own, yet is declared through {p.hops[0].table}")
        if p.city_wide_when_null and p.hops:
            problems.append(f"{name}: only a table's own column may be empty for the city")
    return problems


def test_every_table_is_placed():
    """A new table fails here until app/core/partitioning.py says where it would live."""
    tables = set(METADATA.tables)
    assert sorted(tables - set(PLACEMENT)) == [], "tables without a placement"
    assert sorted(set(PLACEMENT) - tables) == [], "placements of tables that do not exist"


def test_paths_follow_foreign_keys_to_an_estate():
    assert path_problems(PLACEMENT) == []


def test_citus_accepts_the_foreign_keys():
    """Distributed tables may point at distributed (same estate: the data test) and reference tables;
    reference tables only at reference tables; coordinator tables at coordinator and reference tables."""
    allowed = {ByEstate: (ByEstate, Reference), Reference: (Reference,), Coordinator: (Coordinator, Reference)}
    refused = []
    for name, table in METADATA.tables.items():
        for fk in table.foreign_keys:
            source, target = PLACEMENT[name], PLACEMENT[fk.column.table.name]
            if not isinstance(target, allowed[type(source)]):
                refused.append(f"{name}.{fk.parent.name} ({type(source).__name__}) -> "
                               f"{fk.column.table.name} ({type(target).__name__})")
    assert refused == []


def test_the_scaling_document_names_the_tables_the_declaration_lists():
    text = SCALING.read_text(encoding="utf-8")
    assert "\n## Partitioned by estate" in text
    section = text.split("\n## Partitioned by estate", 1)[1].split("\n## ", 1)[0]
    missing = [t for t in needing_estate_column() + reference_tables() if f"`{t}`" not in section]
    assert missing == []


# ---- the data -------------------------------------------------------------------------------------------


def _aliases() -> Iterator[str]:
    return (f"a{n}" for n in itertools.count())


def _walk(frm: FromClause, at: FromClause, name: str, placement: dict[str, Placement], names: Iterator[str]):
    """``frm`` joined along ``name``'s path from ``at`` (an alias of ``name`` in it), then to the estate:
    the join and the estate's id column (NULL where the path does not reach an estate)."""
    p = placement[name]
    assert isinstance(p, ByEstate)
    for hop in p.hops:
        step = METADATA.tables[hop.table].alias(next(names))
        frm = frm.outerjoin(step, at.c[hop.column] == step.c.id)
        at = step
    estate_row = METADATA.tables["estate"].alias(next(names))
    return frm.outerjoin(estate_row, at.c[p.column] == estate_row.c.id), estate_row.c.id


async def unattributed(db: AsyncSession, placement: dict[str, Placement]) -> dict[str, str]:
    """Per distributed table, what its path fails to attribute: rows reaching no estate, or more than one."""
    conn = await db.connection()
    found = {}
    for name, p in placement.items():
        if not isinstance(p, ByEstate):
            continue
        names = _aliases()
        table = METADATA.tables[name]
        t = table.alias(next(names))
        frm, estate_id = _walk(t, t, name, placement, names)
        own = t.c[p.column] if p.city_wide_when_null else None
        scope = [own.is_not(None)] if own is not None else []  # city-wide rows belong to no shard
        rows = (await conn.execute(select(func.count()).select_from(t).where(*scope))).scalar_one()
        joined, reached = (await conn.execute(
            select(func.count(), func.count(estate_id)).select_from(frm).where(*scope))).one()
        if joined != rows:
            found[name] = f"{rows} rows became {joined} along the path"
        elif reached != rows:
            key = [t.c[c.name] for c in table.primary_key]
            lost = (await conn.execute(select(*key).select_from(frm).where(*scope, estate_id.is_(None)).limit(3))).all()
            found[name] = f"{rows - reached} of {rows} rows reach no estate, e.g. {[tuple(map(str, r)) for r in lost]}"
    return found


async def strays(db: AsyncSession, placement: dict[str, Placement]) -> dict[str, int]:
    """Per foreign key between two distributed tables, the rows whose two ends lie in different estates
    (or whose referenced row reaches none): Citus keeps such a key only inside one estate's shard."""
    conn = await db.connection()
    found = {}
    for name, p in placement.items():
        if not isinstance(p, ByEstate):
            continue
        for fk in METADATA.tables[name].foreign_keys:
            target = fk.column.table.name
            if not isinstance(placement.get(target), ByEstate):
                continue
            names = _aliases()
            t = METADATA.tables[name].alias(next(names))
            frm, here = _walk(t, t, name, placement, names)
            other = METADATA.tables[target].alias(next(names))
            frm = frm.outerjoin(other, t.c[fk.parent.name] == other.c[fk.column.name])
            frm, there = _walk(frm, other, target, placement, names)
            count = (await conn.execute(select(func.count()).select_from(frm).where(
                t.c[fk.parent.name].is_not(None),
                or_(here.is_(None), there.is_(None), here != there)))).scalar_one()
            if count:
                found[f"{name}.{fk.parent.name} -> {target}"] = count
    return found


async def row_counts(db: AsyncSession, tables: list[str]) -> dict[str, int]:
    conn = await db.connection()
    return {name: (await conn.execute(select(func.count()).select_from(METADATA.tables[name]))).scalar_one()
            for name in tables}


async def _ok(response, status: int = 200) -> dict:
    r = await response
    assert r.status_code == status, r.text
    return r.json()


async def _stage(db, project_id, status: ProjectStatus) -> None:
    project = (await db.exec(sm_select(Project).where(Project.id == project_id))).one()
    project.status = status
    db.add(project)
    await db.flush()


async def build_participation(client, db, world, estate) -> None:  # noqa: F811
    """World A's estate through a whole renovation, and a little of world B's; a resident bound in both."""
    a, staff, owners, units = world.a, estate.staff, estate.owners, estate.units
    pid = a.project_id
    worker = await world.headers_for(db, "grid_worker:in")
    both = await f.user(db, display_name="两处业主")
    tenant = await f.owner(db, estate.units_obj["202"], name="钱七", phone=None, relation=OccupantRelation.tenant)
    binding = await f.bind(db, both, estate.units_obj["202"], BindingRelation.tenant, person=tenant)
    await f.bind(db, both, world.b.unit)
    db.add(RegistryImport(estate_id=a.estate_id, filename="台账.xlsx", status=ImportStatus.done, rows_total=7))

    # Surveying: a questionnaire, answered.
    question = {"id": "repair", "type": "single_choice", "title": "最需要修什么", "required": True,
                "options": [{"value": "roof", "label": "屋顶"}, {"value": "roads", "label": "道路"}]}
    q = await _ok(client.post(f"{API}/projects/{pid}/questionnaires", headers=staff,
                              json={"title": "改造意见征集", "questions": [question]}), 201)
    await _ok(client.post(f"{API}/questionnaires/{q['id']}/publish", headers=staff, json={}))
    await _ok(client.post(f"{API}/questionnaires/{q['id']}/responses", headers=owners["zhang"], json={
        "response_id": str(uuid.uuid4()), "unit_id": str(units["101"]), "channel": "self",
        "answers": [{"question_id": "repair", "value": "roof"}]}), 201)
    await _ok(client.post(f"{API}/questionnaires/{q['id']}/exports", headers=staff, json={"format": "csv"}), 202)

    # Designing: two menu items, a plan published, read and commented on.
    await _stage(db, pid, ProjectStatus.designing)
    items = [(await f.project_item(db, pid, code)).id for code in ITEMS]
    plan = await _ok(client.post(f"{API}/projects/{pid}/plans", headers=staff,
                                 json={"title": "综合改造方案", "summary": "道路修缮与屋面防水。"}), 201)
    await _ok(client.post(f"{API}/plans/{plan['id']}/publish", headers=staff, json={}))
    await _ok(client.post(f"{API}/plans/{plan['id']}/views", headers=owners["zhang"]))
    await _ok(client.post(f"{API}/plans/{plan['id']}/opinions", headers=owners["li"],
                          json={"content": "建议增加路灯"}), 201)

    # A ballot: announced, delivered on paper, corrected, opened, voted, closed, objected to, recounted.
    ballot = await announced(client, estate, rule="simple_majority")
    await _ok(client.post(f"{API}/ballots/{ballot['id']}/notice-deliveries", headers=worker,
                          json={"unit_id": str(units["201"]), "channel": "handed"}), 201)
    correction = await _ok(client.post(f"{API}/ballots/{ballot['id']}/corrections", headers=owners["zhao"], json={
        "unit_id": str(units["203"]), "kind": "area_wrong", "note": "产权证面积为62.50平方米"}), 201)
    await _ok(client.post(f"{API}/corrections/{correction['id']}/answer", headers=staff,
                          json={"accepted": False, "reply": "与登记一致"}))
    ballot = await open_now(client, estate, ballot)
    assert (await vote(client, owners["zhang"], ballot, "approve")).status_code == 201
    await _ok(client.post(f"{API}/ballots/{ballot['id']}/close", headers=staff))
    await _ok(client.post(f"{API}/ballots/{ballot['id']}/objections", headers=owners["zhao"],
                          json={"kind": "vote_missing", "note": "我的票不在名单中"}), 201)
    await _ok(client.post(f"{API}/ballots/{ballot['id']}/recount", headers=staff))

    # Construction: progress, an inspection with an order from its failed item, a complaint.
    await _stage(db, pid, ProjectStatus.constructing)
    contractor = await world.headers_for(db, "contractor:in")
    supervisor = await world.headers_for(db, "supervisor:in")
    for item_id in items:
        await _ok(client.post(f"{API}/projects/{pid}/items/{item_id}/progress", headers=contractor,
                              json={"percent": 100, "note": "完工"}), 201)
    inspection = await _ok(client.post(f"{API}/projects/{pid}/inspections", headers=supervisor, json={
        "inspection_id": str(uuid.uuid4()), "category": "safety", "occurred_at": clock.now().isoformat(),
        "summary": "脚手架检查", "checklist": [{"code": "scaffold", "text": "脚手架牢固", "result": "fail"}]}), 201)
    order = await _ok(client.post(f"{API}/projects/{pid}/rectifications", headers=supervisor, json={
        "title": "脚手架加固", "organization_id": str(a.organization_id), "inspection_id": inspection["id"],
        "checklist_index": 0, "due_at": (clock.now() + timedelta(days=3)).isoformat()}), 201)
    await _ok(client.post(f"{API}/rectifications/{order['id']}/respond", headers=contractor, json={"note": "已加固"}))
    await _ok(client.post(f"{API}/rectifications/{order['id']}/verify", headers=supervisor, json={"accepted": True}))
    await _ok(client.post(f"{API}/projects/{pid}/feedback", headers=owners["zhang"],
                          json={"content": "楼道里堆满了建筑垃圾"}), 201)

    # Acceptance: a round opened (the project moves to accepting), decided, signed by the street.
    await world.user_for(db, "committee_member:in")  # the owners' committee must exist to open a round
    acceptance = await decide(client, staff, await open_round(client, staff, world))
    r = await sign(client, await world.headers_for(db, "street_staff:in"), acceptance, "street")
    assert r.status_code == 201, r.text

    # Residency: an invitation code, an identity check at the door, a correction of the record.
    await _ok(client.post(f"{API}/units/{units['202']}/invite-codes", headers=worker, json={}), 201)
    await _ok(client.post(f"{API}/unit-bindings/{binding.id}/identity-checks", headers=worker,
                          json={"document": "id_card"}))
    await _ok(client.post(f"{API}/me/correction-requests", headers=owners["wang"],
                          json={"unit_id": str(units["104"]), "name": "王 五"}), 201)

    # World B: a plan its resident (the one bound in both estates) has read.
    b_plan = await f.published_plan(db, world.b.project_id, world.b.estate_id)
    await _ok(client.post(f"{API}/plans/{b_plan.id}/views", headers=await f.headers(db, both)))
    await db.flush()


async def test_every_participation_row_reaches_exactly_one_estate(client, db, world, estate):  # noqa: F811
    await build_participation(client, db, world, estate)
    distributed = sorted(by_estate())
    counts = await row_counts(db, distributed)
    # Each distributed table has rows to check: a check of an empty table proves nothing.
    assert [name for name in distributed if counts[name] == 0] == []
    assert await unattributed(db, PLACEMENT) == {}
    assert await strays(db, PLACEMENT) == {}
    # Both estates hold rows of the resident bound in both; the audit log has entries of an estate.
    conn = await db.connection()
    binding = METADATA.tables["unit_binding"]
    assert (await conn.execute(select(func.count(func.distinct(METADATA.tables["property_unit"].c.estate_id)))
                               .select_from(binding.join(METADATA.tables["property_unit"],
                                                         binding.c.unit_id == METADATA.tables["property_unit"].c.id)))
            ).scalar_one() >= 2
    entry = METADATA.tables["audit_entry"]
    assert (await conn.execute(select(func.count()).select_from(entry).where(
        entry.c.estate_id == world.a.estate_id))).scalar_one() > 0


async def test_a_wrong_path_is_caught(db, world):
    """A path through the wrong foreign key: the schema check names it, and its rows reach no estate."""
    wrong = dict(PLACEMENT)
    wrong["project_organization"] = replace(by_estate()["project_organization"],
                                            hops=(Hop("organization_id", "project"),))
    assert path_problems(wrong) == [
        "project_organization: project_organization.organization_id is not a foreign key to project.id"]
    found = await unattributed(db, wrong)
    assert list(found) == ["project_organization"] and "2 of 2 rows reach no estate" in found["project_organization"]
    assert await unattributed(db, PLACEMENT) == {}


async def test_a_row_of_two_estates_is_caught(db, world):
    """A read receipt of estate A's plan by a unit of estate B: no shard could hold both ends."""
    plan = await f.published_plan(db, world.a.project_id, world.a.estate_id)
    viewer = await f.user(db)
    db.add(PlanView(plan_id=plan.id, unit_id=world.b.unit.id, first_viewed_by=viewer.id))
    await db.flush()
    assert await unattributed(db, PLACEMENT) == {}  # each row reaches one estate by its own path...
    assert await strays(db, PLACEMENT) == {"plan_view.unit_id -> property_unit": 1}  # ...not its unit's

