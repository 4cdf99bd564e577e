"""The privacy notice and consents (PIPL arts. 13-14, 28-29): what needs a consent asks for the version in
force (428 naming it), an old or unknown version is refused, a new version is asked for again, and a
supervisor's position needs its own consent."""

import uuid

from sqlmodel import select

from app.auth.roles import Role
from app.core.config import get_settings
from app.core.models import AuditEntry
from app.privacy import notice
from app.privacy.models import Consent, Purpose
from tests import factories as f
from tests.auth.conftest import API, accept_notice, bearer, wechat_login


async def test_the_notice_is_public_chinese_and_versioned(client):
    r = await client.get(f"{API}/privacy")
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == notice.DEFAULT_VERSION
    assert "个人信息保护告知" in body["text"] and "注销" in body["text"] and get_settings().privacy_operator in body["text"]
    assert {p["purpose"] for p in body["purposes"]} == {"service", "location"}


async def test_the_operators_own_notice_comes_from_its_file(client, tmp_path, monkeypatch):
    text = tmp_path / "notice.md"
    text.write_text("# 某某街道办事处个人信息保护告知\n\n我们收集……", encoding="utf-8")
    monkeypatch.setenv("APP_PRIVACY_NOTICE_FILE", str(text))
    monkeypatch.setenv("APP_PRIVACY_NOTICE_VERSION", "v2027.1")
    get_settings.cache_clear()
    notice.current.cache_clear()
    try:
        body = (await client.get(f"{API}/privacy")).json()
        assert body["version"] == "v2027.1" and body["text"].startswith("# 某某街道办事处")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        notice.current.cache_clear()


def test_a_notice_file_without_its_version_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_PRIVACY_NOTICE_FILE", str(tmp_path / "notice.md"))
    try:
        get_settings.cache_clear()
        try:
            get_settings()
        except ValueError as exc:
            assert "APP_PRIVACY_NOTICE_VERSION" in str(exc)
        else:
            raise AssertionError("a notice file without a version was accepted")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_binding_a_unit_or_a_phone_asks_for_the_current_version(client, db, tree):
    me = await wechat_login(client, "consent-1", consent=False)
    assert (await client.get(f"{API}/me", headers=bearer(me))).json()["consents_needed"] == ["service"]
    for path, body in ((f"{API}/me/unit-bindings", {"unit_id": str(tree.unit.id)}),
                       (f"{API}/me/phone", {"code": "phone:13700000021"})):
        r = await client.post(path, json=body, headers=bearer(me))
        assert r.status_code == 428, r.text
        error = r.json()["error"]
        assert error["code"] == "consent_required"
        assert error["details"] == {"purpose": "service", "notice_version": notice.DEFAULT_VERSION}
        assert notice.DEFAULT_VERSION in error["message"]  # 请先阅读并同意……（版本2026-12-01）
    await accept_notice(client, me)
    assert (await client.get(f"{API}/me", headers=bearer(me))).json()["consents_needed"] == []
    assert (await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)},
                              headers=bearer(me))).status_code == 201
    assert (await client.post(f"{API}/me/phone", json={"code": "phone:13700000021"}, headers=bearer(me))).status_code == 200


async def test_consents_are_recorded_with_version_and_time_once(client, db):
    me = await wechat_login(client, "consent-2", consent=False)
    body = {"notice_version": notice.DEFAULT_VERSION, "purposes": ["service", "location"]}
    first = await client.post(f"{API}/me/consents", json=body, headers=bearer(me))
    again = await client.post(f"{API}/me/consents", json=body, headers=bearer(me))
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()  # accepting again records nothing new
    assert sorted(c["purpose"] for c in first.json()) == ["location", "service"]
    assert all(c["notice_version"] == notice.DEFAULT_VERSION and c["accepted_at"] for c in first.json())
    user_id = uuid.UUID(me["user"]["id"])
    rows = (await db.exec(select(Consent).where(Consent.user_id == user_id))).all()
    assert len(rows) == 2
    audited = (await db.exec(select(AuditEntry).where(AuditEntry.action == "privacy.consent",
                                                      AuditEntry.entity_id == str(user_id)))).all()
    assert sorted(a.after["purpose"] for a in audited) == ["location", "service"]


async def test_an_unknown_or_old_version_is_refused_with_the_current_one(client):
    me = await wechat_login(client, "consent-3", consent=False)
    for version in ("2020-01-01", "no-such-version"):
        r = await client.post(f"{API}/me/consents", json={"notice_version": version, "purposes": ["service"]},
                              headers=bearer(me))
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "consent_version_unknown"
        assert r.json()["error"]["details"] == {"notice_version": notice.DEFAULT_VERSION}
    r = await client.post(f"{API}/me/consents", json={"notice_version": notice.DEFAULT_VERSION, "purposes": []},
                          headers=bearer(me))
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    r = await client.post(f"{API}/me/consents", json={"notice_version": notice.DEFAULT_VERSION,
                                                      "purposes": ["marketing"]}, headers=bearer(me))
    assert r.status_code == 422
    assert (await client.post(f"{API}/me/consents", json={"notice_version": notice.DEFAULT_VERSION,
                                                          "purposes": ["service"]})).status_code == 401


async def test_a_new_version_is_asked_for_again(client, tree, monkeypatch):
    me = await wechat_login(client, "consent-4")
    newer = notice.Notice("2027-03-01", "# 新版告知", notice.PURPOSES)
    monkeypatch.setattr(notice, "current", lambda: newer)
    assert (await client.get(f"{API}/me", headers=bearer(me))).json()["consents_needed"] == ["service"]
    r = await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)}, headers=bearer(me))
    assert r.status_code == 428 and r.json()["error"]["details"]["notice_version"] == "2027-03-01"
    r = await client.post(f"{API}/me/consents", json={"notice_version": notice.DEFAULT_VERSION, "purposes": ["service"]},
                          headers=bearer(me))
    assert r.status_code == 409  # the version accepted before is no longer the one in force
    await accept_notice(client, me)
    r = await client.post(f"{API}/me/unit-bindings", json={"unit_id": str(tree.unit.id)}, headers=bearer(me))
    assert r.status_code == 201


async def test_a_supervisors_position_needs_their_separate_consent(client, db, world):
    supervisor = await f.user(db, (Role.supervisor, world.a.project_id))
    await f.consent(db, supervisor)  # the service consent alone does not cover the position
    headers = await f.headers(db, supervisor)
    assert (await client.get(f"{API}/me", headers=headers)).json()["consents_needed"] == ["location"]

    def report(**extra):
        return {"inspection_id": str(uuid.uuid4()), "category": "safety", "occurred_at": "2026-12-01T08:00:00+08:00",
                "summary": "巡查", "checklist": [{"text": "围挡封闭", "result": "pass"}], **extra}

    where = {"location": {"lat": 31.2304, "lng": 121.4737}}
    r = await client.post(f"{API}/projects/{world.a.project_id}/inspections", headers=headers, json=report(**where))
    assert r.status_code == 428 and r.json()["error"]["details"] == {"purpose": "location",
                                                                      "notice_version": notice.DEFAULT_VERSION}
    # Without a position the report is taken; offline, each item with one is refused on its own.
    assert (await client.post(f"{API}/projects/{world.a.project_id}/inspections", headers=headers,
                              json=report())).status_code == 201
    batch = [report(**where, project_id=str(world.a.project_id)), report(project_id=str(world.a.project_id))]
    answers = (await client.post(f"{API}/sync/inspections", headers=headers, json={"items": batch})).json()
    assert [a["status"] for a in answers] == ["rejected", "created"]
    assert answers[0]["error"]["code"] == "consent_required"

    await f.consent(db, supervisor, Purpose.location)
    assert (await client.get(f"{API}/me", headers=headers)).json()["consents_needed"] == []
    r = await client.post(f"{API}/projects/{world.a.project_id}/inspections", headers=headers, json=report(**where))
    assert r.status_code == 201 and r.json()["location"] == where["location"]
