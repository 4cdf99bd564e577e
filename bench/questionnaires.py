"""Questionnaires at city scale, on PostgreSQL: offline sync batches and results over 100,000 responses.

    .venv/bin/python bench/questionnaires.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_surveys]

1. A 3,000-unit estate (the registry benchmark's ledger) and the renovation needs survey, published.
2. Sync: six batches of 500 proxy responses through ``service.sync`` (each checked, deduplicated and
   stored as the API does), one transaction each. Target: every batch < 1.5 s.
3. Results: 100,000 current responses (a per-person questionnaire, inserted in bulk with their answer
   rows), then ``results.results`` ten times. Target: p50 < 0.3 s (counted in SQL).
4. Export: the 100,000 responses to XLSX inside one call, as ``GET /questionnaires/{id}/export`` makes it.
   Reported: seconds and the growth of peak memory (the workbook is written row by row to disk, so it
   stays flat).
5. Background export: ``POST /questionnaires/{id}/exports`` through the app in-process (target: its
   latency < 100 ms), then the worker's job ``surveys.exports`` run as the worker runs it (``run_job``)
   while a client polls ``GET /questionnaire-exports/{id}`` every 0.5 s. Reported: seconds from the POST
   to ``done`` (the worker polls its jobs every second, so a real one starts up to a second later), how
   many different progress figures the polls saw, and the stored file's size.

Prints the figures and exits non-zero when a target is missed (a UserWarning, such as a serializer's
about a value of the wrong type, fails the run). The database is dropped and re-created.
"""

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry_import import estate_chain, ledger  # noqa: E402
from report import figures_table, write_section  # noqa: E402

TARGETS = {"sync_batch_max_s": 1.5, "results_p50_s": 0.3, "export_peak_growth_mb": 150.0, "export_post_ms": 100.0}
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_surveys"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _recreate(url: str) -> None:
    import asyncpg
    from sqlalchemy import make_url

    parsed = make_url(url)
    conn = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username, database="postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{parsed.database}"')
    await conn.close()


async def run(url: str, responses: int) -> dict[str, float]:
    os.environ["APP_DATABASE_URL"] = url
    os.environ["APP_STORAGE_DIR"] = tempfile.mkdtemp(prefix="bench-questionnaires-")  # the stored export
    if url.startswith("postgresql"):
        await _recreate(url)
    import httpx
    from sqlalchemy import insert, text
    from sqlmodel import select

    from app import domains
    from app.__main__ import migrate
    from app.auth.models import AuthSession, Role, RoleAssignment, User
    from app.auth.principal import Principal
    from app.auth.roles import ROLE_SCOPE
    from app.core.db import dispose_engine, get_sessionmaker
    from app.core.jobs import JOBS, run_job
    from app.core.models import ScheduledJob
    from app.core.security import create_access_token
    from app.main import create_app
    from app.projects.models import Project
    from app.projects.reads import project_ref
    from app.registry.importer import import_ledger
    from app.registry.models import PropertyUnit
    from app.surveys import logic, results, service
    from app.surveys.models import Channel, QuestionnaireAnswer, QuestionnaireResponse, ResponseUnit
    from app.surveys.schemas import QuestionnaireCreate

    domains.install()
    await asyncio.to_thread(migrate)
    sessions = get_sessionmaker()
    async with sessions() as session, session.begin():
        _, _, estate = await estate_chain(session)
        await import_ledger(session, estate.id, "ledger.csv", ledger(3000))
        project = Project(estate_id=estate.id, name="基准改造项目")
        admin = User(display_name="基准管理员")
        session.add_all([project, admin])
        await session.flush()
        assignment = RoleAssignment(user_id=admin.id, role=Role.admin, scope_type=ROLE_SCOPE[Role.admin])
        login = AuthSession(user_id=admin.id, channel="password")
        session.add_all([assignment, login])
        p = Principal(user=admin, assignments=(assignment,))
        ref = project_ref(project)
        needs = await service.create(session, p.id, ref, QuestionnaireCreate(template="renovation_needs"))
        await service.publish(session, p.id, needs, None)
        per_person = await service.create(session, p.id, ref, QuestionnaireCreate(
            template="renovation_needs", response_unit=ResponseUnit.person))
        await service.publish(session, p.id, per_person, None)
        units = (await session.exec(select(PropertyUnit.id, PropertyUnit.building_id)
                                    .where(PropertyUnit.estate_id == estate.id))).all()
    questions = service.questions_of(needs)
    codes = [o.value for o in questions[2].options]
    rng = random.Random(7)

    def answers() -> dict:
        chosen = rng.sample(codes, rng.randint(1, 5))
        values = {"household": rng.randint(1, 6), "elderly": rng.choice(["yes", "no"]), "items": chosen,
                  "contribute": rng.choice(["yes", "depends", "no"])}
        if "improvement.elevator" in chosen:
            values["elevator"] = rng.choice(["support", "oppose", "neutral"])
        return values

    # 2. sync batches of 500
    batch_seconds = []
    for batch in range(6):
        items = [{"questionnaire_id": str(needs.id), "response_id": str(uuid.uuid4()), "unit_id": str(unit_id),
                  "channel": "proxy", "answers": [{"question_id": k, "value": v} for k, v in answers().items()]}
                 for unit_id, _ in units[batch * 500:(batch + 1) * 500]]
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            out = await service.sync(session, p, items)
        batch_seconds.append(time.perf_counter() - started)
        assert all(r.status == "created" for r in out), [r for r in out if r.status != "created"][:1]

    # 3. 100,000 responses in bulk, then results
    rows, answer_rows = [], []
    for i in range(responses):
        unit_id, building_id = units[i % len(units)]
        normal, problems = logic.check_answers(questions, [{"question_id": k, "value": v} for k, v in answers().items()])
        assert not problems
        response = QuestionnaireResponse(
            id=uuid.uuid4(), questionnaire_id=per_person.id, unit_id=unit_id, building_id=building_id,
            respondent_key=f"{unit_id}:{i}", recorded_by=admin.id, channel=Channel.self, answers=normal,
            content_hash=logic.content_hash(unit_id, str(i), normal))
        rows.append(response.model_dump())
        answer_rows.extend(service._answer_rows(response, questions))
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        for chunk in range(0, len(rows), 5000):
            await session.execute(insert(QuestionnaireResponse), rows[chunk:chunk + 5000])
        for chunk in range(0, len(answer_rows), 20000):
            await session.execute(insert(QuestionnaireAnswer), answer_rows[chunk:chunk + 20000])
    load_s = time.perf_counter() - started
    if url.startswith("postgresql"):
        async with sessions() as session, session.begin():
            await session.execute(text("ANALYZE questionnaire_answer"))
            await session.execute(text("ANALYZE questionnaire_response"))
    result_seconds = []
    for _ in range(10):
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            out = await results.results(session, per_person)
        result_seconds.append(time.perf_counter() - started)
    assert out.responses == responses, out.responses

    # 4. export
    before = _peak_mb()
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        spooled = await results.export_xlsx(session, per_person)
    export_s = time.perf_counter() - started
    size_mb = spooled.seek(0, 2) / 1e6
    peak_growth_mb = _peak_mb() - before

    # 5. the same export in the background: the POST answers at once, the worker's job writes the file
    headers = {"Authorization": f"Bearer {create_access_token(admin.id, login.id)[0]}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://bench",
                                 timeout=60) as client:
        assert (await client.get(f"/api/v1/questionnaires/{per_person.id}", headers=headers)).status_code == 200
        started = time.perf_counter()  # the app warmed up by that first request: the POST alone is measured
        r = await client.post(f"/api/v1/questionnaires/{per_person.id}/exports", headers=headers,
                              json={"format": "xlsx"})
        post_ms = (time.perf_counter() - started) * 1000
        assert r.status_code == 202, r.text
        url = f"/api/v1/questionnaire-exports/{r.json()['id']}"
        worker = asyncio.create_task(run_job(sessions.begin, JOBS["surveys.exports"]))
        progress = set()
        while not worker.done():
            await asyncio.sleep(0.5)
            polled = (await client.get(url, headers=headers)).json()
            progress.add(polled["rows_done"])
        assert await worker
        done = (await client.get(url, headers=headers)).json()
        background_s = time.perf_counter() - started
        async with sessions() as session:
            job = await session.get(ScheduledJob, "surveys.exports")
            assert job is not None and job.last_error is None, job
        assert (done["status"], done["rows_done"]) == ("done", responses), done
        file = await client.get(done["download_url"], headers=headers)
        assert file.status_code == 200 and len(file.content) == done["size"], file.status_code
    await dispose_engine()
    return {
        "sync_batch_max_s": round(max(batch_seconds), 2), "sync_batch_median_s": round(statistics.median(batch_seconds), 2),
        "bulk_load_s": round(load_s, 1), "results_p50_s": round(statistics.median(result_seconds), 3),
        "results_max_s": round(max(result_seconds), 3), "export_xlsx_s": round(export_s, 1),
        "export_xlsx_mb": round(size_mb, 1), "export_peak_growth_mb": round(peak_growth_mb, 1),
        "export_post_ms": round(post_ms, 1), "export_background_s": round(background_s, 1),
        "export_progress_seen": len(progress), "export_background_mb": round(done["size"] / 1e6, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--responses", type=int, default=100_000)
    args = parser.parse_args()
    # A serializer's warning means a value of the wrong type on its way somewhere: a failure, not a line.
    warnings.simplefilter("error", UserWarning)
    figures = asyncio.run(run(args.database_url, args.responses))
    missed = {k: figures[k] for k, target in TARGETS.items() if figures[k] > target}
    print({**figures, "targets": TARGETS, "missed": missed})
    write_section("questionnaires", figures_table("Questionnaires: sync batches, results, XLSX export (in a call and in the background)", "python " + " ".join(sys.argv), figures, TARGETS,
                                           "Sync batches run through the service in-process; the export's memory is the growth of the process's peak RSS; "
                                           "the background export's POST and polls go through the app in-process, its job runs as the worker runs it."))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
