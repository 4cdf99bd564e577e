"""Background exports of a questionnaire's answers: queued by the API, written by the worker's job with its
progress committed as it goes, stored, downloaded; scoped like the export itself; failures and dead runs."""

import io
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from app.core import clock
from app.core.jobs import JOBS
from app.surveys import exports, results
from app.surveys.models import ExportStatus, QuestionnaireExport
from tests.surveys.test_api import _answer, _published, estate  # noqa: F401  (estate: the fixture)

API = "/api/v1"


@pytest.fixture(autouse=True)
def sessions(db, monkeypatch):
    """The job's own transactions as savepoints of the test's one connection (a second SQLite connection
    would wait on the test's write lock)."""

    @asynccontextmanager
    async def factory():
        async with db.begin_nested():
            yield db

    monkeypatch.setattr(exports, "write_sessions", factory)
    monkeypatch.setattr(exports, "read_sessions", factory)


async def _answered(client, estate):  # noqa: F811
    q = await _published(client, estate)
    r = await _answer(client, estate.owners["101"], q, estate.units["101"], repair=["pipes", "roof"], elevator="yes",
                      floor_pay=1000)
    assert r.status_code == 201, r.text
    r = await _answer(client, estate.grid, q, estate.units["102"], channel="proxy", repair=["roads"], elevator="no",
                      why_not="=SUM(A1)")
    assert r.status_code == 201, r.text
    return q


async def _request(client, estate, q, **body):  # noqa: F811
    r = await client.post(f"{API}/questionnaires/{q['id']}/exports", headers=estate.staff, json=body or None)
    assert r.status_code == 202, r.text
    return r


def _rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))


def test_the_job_is_installed():
    job = JOBS["surveys.exports"]
    assert job.fn is exports.run_exports and job.interval == timedelta(seconds=1)


async def test_the_worker_writes_the_export_with_progress_and_it_downloads_as_the_synchronous_one(
        client, db, estate, monkeypatch):  # noqa: F811
    q = await _answered(client, estate)
    r = await _request(client, estate, q)
    queued = r.json()
    url = f"{API}/questionnaire-exports/{queued['id']}"
    assert r.headers["location"] == url
    assert (queued["status"], queued["rows_done"], queued["rows_total"], queued["percent"]) == ("queued", 0, None, 0)
    assert queued["download_url"] is None and queued["error"] is None and queued["finished_at"] is None
    assert (await client.get(url, headers=estate.staff)).json() == queued
    r = await client.get(f"{url}/file", headers=estate.staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "questionnaire_export_not_ready"

    # A row a chunk, and what a client reading the export sees after each of the job's commits.
    monkeypatch.setattr(results, "CHUNK", 1)
    seen = []
    renew = exports._renew

    async def watched(claim, **values):
        await renew(claim, **values)
        answer = (await client.get(url, headers=estate.staff)).json()
        seen.append((answer["status"], answer["rows_done"], answer["rows_total"], answer["percent"]))

    monkeypatch.setattr(exports, "_renew", watched)
    await exports.run_exports(db)  # the job, as the worker calls it
    assert seen == [("running", 0, 2, 0), ("running", 1, 2, 50), ("running", 2, 2, 99), ("running", 2, 2, 99)]

    done = (await client.get(url, headers=estate.staff)).json()
    assert (done["status"], done["rows_done"], done["rows_total"], done["percent"]) == ("done", 2, 2, 100)
    assert done["download_url"] == f"{url}/file" and done["size"] > 0 and done["finished_at"] and done["started_at"]
    assert done["error"] is None

    file = await client.get(done["download_url"], headers=estate.staff)
    assert file.status_code == 200 and file.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f"filename*=UTF-8''{quote('改造意见征集')}.xlsx" in file.headers["content-disposition"]
    assert int(file.headers["content-length"]) == len(file.content) == done["size"]
    rows = _rows(file.content)
    synchronous = _rows((await client.get(f"{API}/questionnaires/{q['id']}/export", headers=estate.staff)).content)
    assert rows == synchronous and len(rows) == 3
    assert rows[0][:3] == ("楼栋", "单元", "房号") and rows[0][5] == "1. 最需要修什么"
    body = sorted(rows[1:], key=lambda row: row[2])
    assert body[0][:8] == ("1栋", "1单元", "101", "本人填写", body[0][4], "屋顶、管道", "支持", 1000)
    assert body[1][3] == "网格员代填" and body[1][8] == "'=SUM(A1)"

    await exports.run_exports(db)  # nothing left to do
    assert (await client.get(url, headers=estate.staff)).json() == done


async def test_a_csv_export_is_the_synchronous_csv(client, db, estate):  # noqa: F811
    q = await _answered(client, estate)
    queued = (await _request(client, estate, q, format="csv")).json()
    assert queued["format"] == "csv"
    assert await exports.make_next() == uuid.UUID(queued["id"])
    file = await client.get(f"{API}/questionnaire-exports/{queued['id']}/file", headers=estate.staff)
    assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
    synchronous = await client.get(f"{API}/questionnaires/{q['id']}/export", headers=estate.staff,
                                   params={"format": "csv"})
    assert file.content == synchronous.content
    assert file.content.decode("utf-8-sig").splitlines()[0].startswith("楼栋,单元,房号")
    r = await client.post(f"{API}/questionnaires/{q['id']}/exports", headers=estate.staff, json={"format": "pdf"})
    assert r.status_code == 422


async def test_only_those_who_manage_the_questionnaire_see_its_exports(client, db, estate, world):  # noqa: F811
    q = await _answered(client, estate)
    queued = (await _request(client, estate, q)).json()
    await exports.make_next()
    url = f"{API}/questionnaire-exports/{queued['id']}"
    assert (await client.get(f"{url}/file", headers=estate.staff)).status_code == 200
    admin = await world.headers_for(db, "admin")
    assert (await client.get(url, headers=admin)).status_code == 200
    # Those of the estate who read the questionnaire but may not export it: 403 to ask, the export does not
    # exist for them.
    for headers in (estate.owners["101"], estate.grid):
        assert (await client.post(f"{API}/questionnaires/{q['id']}/exports", headers=headers)).status_code == 403
        for path in (url, f"{url}/file"):
            r = await client.get(path, headers=headers)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    # Another estate's staff: nothing of it exists.
    for variant in ("community_staff:out", "street_staff:out", "resident:out"):
        headers = await world.headers_for(db, variant)
        assert (await client.post(f"{API}/questionnaires/{q['id']}/exports", headers=headers)).status_code == 404
        for path in (url, f"{url}/file"):
            assert (await client.get(path, headers=headers)).status_code == 404, (variant, path)
    assert (await client.get(f"{API}/questionnaire-exports/{uuid.uuid4()}", headers=estate.staff)).status_code == 404
    assert (await client.get(url)).status_code == 401


async def test_a_failing_export_is_recorded_failed_with_the_reason(client, db, estate, monkeypatch):  # noqa: F811
    q = await _answered(client, estate)
    queued = (await _request(client, estate, q)).json()

    async def broken(session, questionnaire, out, progress=None):
        await progress(1)
        raise OSError("磁盘已满")

    monkeypatch.setattr(results, "write_xlsx", broken)
    await exports.run_exports(db)
    url = f"{API}/questionnaire-exports/{queued['id']}"
    failed = (await client.get(url, headers=estate.staff)).json()
    assert failed["status"] == "failed" and failed["finished_at"] and failed["download_url"] is None
    assert failed["error"]["code"] == "questionnaire_export_failed"
    assert failed["error"]["message"] == "导出文件生成失败，请重新发起导出"
    assert failed["error"]["details"] == {"reason": "OSError: 磁盘已满"}
    english = (await client.get(url, headers={**estate.staff, "Accept-Language": "en"})).json()
    assert english["error"]["message"] == "The export could not be made; request it again"
    r = await client.get(f"{url}/file", headers=estate.staff)
    assert r.status_code == 409 and r.json()["error"]["details"] == {"status": "failed"}
    await exports.run_exports(db)  # a failed export is not retried: another is requested
    assert (await client.get(url, headers=estate.staff)).json()["status"] == "failed"


async def test_a_stored_file_gone_answers_410(client, db, estate):  # noqa: F811
    from app.files.storage import get_storage

    q = await _answered(client, estate)
    queued = (await _request(client, estate, q)).json()
    await exports.make_next()
    export = await db.get(QuestionnaireExport, uuid.UUID(queued["id"]))
    await get_storage().delete(export.storage_key)
    r = await client.get(f"{API}/questionnaire-exports/{queued['id']}/file", headers=estate.staff)
    assert r.status_code == 410 and r.json()["error"]["code"] == "questionnaire_export_gone"


async def test_a_run_that_dies_is_taken_over_once_its_lease_lapses(client, db, estate):  # noqa: F811
    q = await _answered(client, estate)
    queued = (await _request(client, estate, q)).json()
    export_id = uuid.UUID(queued["id"])
    dead = await exports._claim()  # the worker claimed it, then died
    assert dead is not None and dead.id == export_id
    assert await exports.make_next() is None  # its lease still holds: nobody else takes it
    with clock.freeze(clock.now() + exports.LEASE + timedelta(seconds=1)):
        assert await exports.make_next() == export_id
    export = await db.get(QuestionnaireExport, export_id)
    assert (export.status, export.attempts, export.rows_done, export.lease_id) == (ExportStatus.done, 2, 2, None)
    with pytest.raises(exports.ExportLeaseLost):  # the dead run, come back, can no longer write to it
        await exports._renew(dead, rows_done=1)
    assert (await client.get(f"{API}/questionnaire-exports/{export_id}/file", headers=estate.staff)).status_code == 200


async def test_an_export_that_ends_every_run_is_given_up(client, db, estate):  # noqa: F811
    q = await _answered(client, estate)
    queued = (await _request(client, estate, q)).json()
    later = clock.now()
    for _ in range(exports.MAX_ATTEMPTS):
        later += exports.LEASE + timedelta(seconds=1)
        with clock.freeze(later):
            assert await exports._claim() is not None
    with clock.freeze(later + exports.LEASE + timedelta(seconds=1)):
        assert await exports.make_next() is None
    failed = (await client.get(f"{API}/questionnaire-exports/{queued['id']}", headers=estate.staff)).json()
    assert failed["status"] == "failed" and failed["error"]["details"]["reason"].startswith("worker_lost")


async def test_the_request_is_idempotent_under_a_key_and_audited(client, db, estate):  # noqa: F811
    from app.core.models import AuditEntry

    q = await _answered(client, estate)
    headers = {**estate.staff, "Idempotency-Key": "export-1"}
    first = await client.post(f"{API}/questionnaires/{q['id']}/exports", headers=headers, json={"format": "xlsx"})
    again = await client.post(f"{API}/questionnaires/{q['id']}/exports", headers=headers, json={"format": "xlsx"})
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    count = select(func.count()).select_from(QuestionnaireExport).where(
        QuestionnaireExport.questionnaire_id == uuid.UUID(q["id"]))
    assert (await db.exec(count)).one() == 1
    other = await client.post(f"{API}/questionnaires/{q['id']}/exports", headers=headers, json={"format": "csv"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    # Without a key, each request is an export of its own.
    await _request(client, estate, q)
    assert (await db.exec(count)).one() == 2
    actions = (await db.exec(select(AuditEntry.action).where(AuditEntry.entity_id == first.json()["id"]))).all()
    assert actions == ["questionnaire.export"]
