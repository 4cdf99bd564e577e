"""The plan's guards on the project lifecycle, and who is told when: designing -> publicizing needs the
latest version published; publicizing -> voting waits for the end of its notice period (the refusal
names it in Beijing time), checked with a moved clock."""

from datetime import timedelta

from sqlmodel import select

from app.auth.residence import BindingRelation
from app.core import clock
from app.notifications.models import NotificationOutbox as Outbox
from app.projects.models import Project, ProjectStatus
from app.residency.models import UnitBinding
from tests.plans.conftest import API, draft, headers_now, published


async def _move(client, headers, project_id, to):
    return await client.post(f"{API}/projects/{project_id}/transitions", headers=headers, json={"to": to})


def _unmet(response):
    assert response.status_code == 409, response.text
    return {g["name"]: g["message"] for g in response.json()["error"]["details"]["unmet_guards"]}


async def _told(db, template):
    return sorted((n.user_id for n in (await db.exec(select(Outbox).where(Outbox.template == template))).all()), key=str)


async def test_publicizing_needs_the_latest_version_published(client, db, estate):
    pid = estate.project_id
    assert _unmet(await _move(client, estate.staff, pid, "publicizing")) == {"plan_published": "请先发布设计方案"}
    plan = await draft(client, estate)
    assert _unmet(await _move(client, estate.staff, pid, "publicizing")) == {
        "plan_published": "方案第1版尚未发布，请先发布最新版本"}
    await client.post(f"{API}/plans/{plan['id']}/publish", headers=estate.staff, json={})
    # Publishing during design tells nobody yet: residents hear of it when the notice stage begins.
    assert await _told(db, "plan_published") == []
    r = await _move(client, estate.staff, pid, "publicizing")
    assert r.status_code == 200, r.text
    residents = sorted([*estate.owner_ids.values(), *await _tenant_ids(db, estate)], key=str)
    assert await _told(db, "plan_published") == residents
    notice = (await db.exec(select(Outbox).where(Outbox.template == "plan_published"))).first()
    shown = (await client.get(f"{API}/plans/{plan['id']}", headers=estate.staff)).json()
    assert notice.body == (f"「{shown_project(estate)}」的改造方案「电力小区综合改造方案」（第1版）正在公示，"
                           f"公示期至{shown['notice_ends_display']}。欢迎查看并提出意见。")
    assert notice.data["thing2"] == "电力小区综合改造方案"


def shown_project(estate) -> str:
    return estate.side.project.name


async def _tenant_ids(db, estate):
    return list((await db.exec(select(UnitBinding.user_id).where(
        UnitBinding.relation == BindingRelation.tenant, UnitBinding.unit_id.in_(list(estate.units.values()))))).all())


async def test_voting_waits_for_the_end_of_the_notice_period(client, db, estate):
    pid = estate.project_id
    plan = await published(client, estate)
    assert (await _move(client, estate.staff, pid, "publicizing")).status_code == 200
    ends = clock.now().fromisoformat(plan["notice_ends_at"])
    when = clock.shanghai_text(ends)
    assert _unmet(await _move(client, estate.staff, pid, "voting")) == {
        "notice_period_ended": f"方案公示期至{when}（北京时间）结束，届时方可进入表决"}
    r = await client.post(f"{API}/projects/{pid}/transitions", headers=estate.staff | {"Accept-Language": "en"},
                          json={"to": "voting"})
    assert _unmet(r)["notice_period_ended"] == f"The notice period ends on {when} (Beijing time); voting can start after that"
    with clock.freeze(ends - timedelta(seconds=1)):
        assert "notice_period_ended" in _unmet(await _move(client, await headers_now(db, estate.staff_id), pid, "voting"))
    with clock.freeze(ends):
        r = await _move(client, await headers_now(db, estate.staff_id), pid, "voting")
    assert r.status_code == 200 and r.json()["status"] == "voting"


async def test_a_new_version_restarts_the_notice_and_is_announced_at_once(client, db, estate):
    pid = estate.project_id
    v1 = await published(client, estate)
    assert (await _move(client, estate.staff, pid, "publicizing")).status_code == 200
    told_v1 = len(await _told(db, "plan_published"))
    v1_ends = clock.now().fromisoformat(v1["notice_ends_at"])
    later = v1_ends - timedelta(days=1)
    with clock.freeze(later):
        staff = await headers_now(db, estate.staff_id)
        v2 = (await client.post(f"{API}/plans/{v1['id']}/revise", headers=staff, json={"change_notes": "调整"})).json()
        # A draft newer than the published version holds voting back.
        assert "notice_period_ended" in _unmet(await _move(client, staff, pid, "voting"))
        r = await client.post(f"{API}/plans/{v2['id']}/publish", headers=staff, json={})
        assert r.status_code == 200, r.text
        v2_ends = clock.now().fromisoformat(r.json()["notice_ends_at"])
    assert v2_ends == later + timedelta(days=7)
    # Already in the notice stage: the residents are told of v2 when it is published.
    assert len(await _told(db, "plan_published")) == 2 * told_v1
    with clock.freeze(v1_ends + timedelta(hours=1)):
        unmet = _unmet(await _move(client, await headers_now(db, estate.staff_id), pid, "voting"))
    assert clock.shanghai_text(v2_ends) in unmet["notice_period_ended"]
    with clock.freeze(v2_ends):
        assert (await _move(client, await headers_now(db, estate.staff_id), pid, "voting")).status_code == 200


async def test_the_plan_is_frozen_once_the_owners_decided(client, db, estate):
    """Until the owners decide, a plan may still be revised (the ballots held on it are then cancelled);
    once they decided, it is what they decided."""
    pid = estate.project_id
    plan = await published(client, estate)
    await _move(client, estate.staff, pid, "publicizing")
    with clock.freeze(clock.now().fromisoformat(plan["notice_ends_at"])):
        staff = await headers_now(db, estate.staff_id)
        assert (await _move(client, staff, pid, "voting")).status_code == 200
        r = await client.post(f"{API}/plans/{plan['id']}/revise", headers=staff, json={"change_notes": "改"})
    assert r.status_code == 201 and r.json()["status"] == "draft"
    project = (await db.exec(select(Project).where(Project.id == pid))).one()
    project.status = ProjectStatus.approved
    db.add(project)
    await db.flush()
    r = await client.post(f"{API}/plans/{r.json()['id']}/publish", headers=estate.staff, json={})
    assert r.status_code == 409 and r.json()["error"]["code"] == "plan_stage_closed"
