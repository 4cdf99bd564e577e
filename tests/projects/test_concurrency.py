"""Concurrent changes of one project on real transactions: the project row lock (PostgreSQL; SQLite's
single writer lock) makes them take turns, so no two both pass a check the other invalidates."""

import asyncio

import httpx
from sqlmodel import select

from app.auth.roles import Role
from app.projects.models import Project, ProjectEvent, ProjectOrganization, ProjectOrganizationRole, ProjectStatus
from tests import factories


async def test_ten_concurrent_identical_transitions_move_the_project_once(live_app):
    from app.core.db import get_sessionmaker

    async with get_sessionmaker()() as session, session.begin():
        admin = await factories.user(session, (Role.admin, None))
        headers = await factories.headers(session, admin)
        project = await factories.project(session, (await factories.estate(session)).id)
        pid = project.id
    url = f"/api/v1/projects/{pid}/transitions"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        responses = await asyncio.gather(*[c.post(url, json={"to": "designing"}, headers=headers) for _ in range(10)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 9, statuses
    assert all(r.json()["error"]["code"] == "transition_not_allowed" for r in responses if r.status_code == 409)
    async with get_sessionmaker()() as session:
        events = (await session.exec(select(ProjectEvent).where(ProjectEvent.project_id == pid,
                                                                ProjectEvent.kind == "transition"))).all()
    assert [(e.from_status, e.to_status) for e in events] == [("surveying", "designing")]


ROUNDS = 8


async def _setup_projects(status: ProjectStatus, contractors: int):
    """An admin's headers and ``ROUNDS`` projects in ``status``, each with ``contractors`` contractor links."""
    from app.core.db import get_sessionmaker

    async with get_sessionmaker()() as session, session.begin():
        admin = await factories.user(session, (Role.admin, None))
        headers = await factories.headers(session, admin)
        estate = await factories.estate(session)
        projects = []
        for _ in range(ROUNDS):
            project = await factories.project(session, estate.id, status=status)
            links = [await factories.project_organization(session, project.id, (await factories.organization(session)).id)
                     for _ in range(contractors)]
            projects.append((project.id, [link.id for link in links]))
    return headers, projects


async def _contractor_count(pid) -> tuple[str, int]:
    from app.core.db import get_sessionmaker

    async with get_sessionmaker()() as session:
        project = await session.get(Project, pid)
        links = (await session.exec(select(ProjectOrganization).where(
            ProjectOrganization.project_id == pid, ProjectOrganization.role == ProjectOrganizationRole.contractor))).all()
        return project.status, len(links)


async def test_unlinking_the_contractor_races_the_start_of_construction_safely(live_app):
    """Either construction starts (and the contractor then stays) or the contractor goes (and construction
    is refused) - never a project under construction without a contractor."""
    headers, projects = await _setup_projects(ProjectStatus.approved, contractors=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        calls = []
        for pid, (link_id,) in projects:
            calls.append(c.post(f"/api/v1/projects/{pid}/transitions", json={"to": "constructing"}, headers=headers))
            calls.append(c.delete(f"/api/v1/projects/{pid}/organizations/{link_id}", headers=headers))
        responses = await asyncio.gather(*calls)
    for (pid, _), moved, unlinked in zip(projects, responses[::2], responses[1::2], strict=True):
        assert sorted([moved.status_code, unlinked.status_code]) in ([200, 409], [204, 409]), (moved.text, unlinked.text)
        status, count = await _contractor_count(pid)
        if moved.status_code == 200:
            assert unlinked.json()["error"]["code"] == "contractor_required"
            assert (status, count) == ("constructing", 1)
        else:
            assert moved.json()["error"]["details"]["unmet_guards"][0]["name"] == "contractor_assigned"
            assert (status, count) == ("approved", 0)


async def test_two_contractors_unlinked_at_once_during_construction_leave_one(live_app):
    headers, projects = await _setup_projects(ProjectStatus.constructing, contractors=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        responses = await asyncio.gather(*[
            c.delete(f"/api/v1/projects/{pid}/organizations/{link_id}", headers=headers)
            for pid, links in projects for link_id in links
        ])
    for i, (pid, _) in enumerate(projects):
        pair = responses[2 * i:2 * i + 2]
        assert sorted(r.status_code for r in pair) == [204, 409], [r.text for r in pair]
        assert await _contractor_count(pid) == ("constructing", 1)


async def test_concurrent_progress_reports_audit_each_change_from_the_value_before_it(live_app):
    """The item is re-read under the project lock, so every audit entry's ``before`` is the previous
    report's ``after`` - not the value the request happened to load before waiting its turn."""
    from app.core.db import get_sessionmaker
    from app.core.models import AuditEntry

    async with get_sessionmaker()() as session, session.begin():
        admin = await factories.user(session, (Role.admin, None))
        headers = await factories.headers(session, admin)
        project = await factories.project(session, (await factories.estate(session)).id,
                                          status=ProjectStatus.constructing)
        item = await factories.project_item(session, project.id)
        pid, item_id = project.id, item.id
    url = f"/api/v1/projects/{pid}/items/{item_id}/progress"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        responses = await asyncio.gather(*[c.post(url, json={"percent": p}, headers=headers)
                                           for p in (10, 20, 30, 40, 50, 60)])
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    async with get_sessionmaker()() as session:
        entries = (await session.exec(select(AuditEntry).where(AuditEntry.entity_id == str(item_id),
                                                               AuditEntry.action == "project.item.progress")
                                      .order_by(AuditEntry.id))).all()
    chain = [(e.before["progress_percent"], e.after["progress_percent"]) for e in entries]
    assert len(chain) == 6 and chain[0][0] == 0
    assert all(prev[1] == nxt[0] for prev, nxt in zip(chain, chain[1:], strict=False)), chain


async def test_concurrent_project_updates_audit_each_change_from_the_value_before_it(live_app):
    from app.core.db import get_sessionmaker
    from app.core.models import AuditEntry

    async with get_sessionmaker()() as session, session.begin():
        admin = await factories.user(session, (Role.admin, None))
        headers = await factories.headers(session, admin)
        project = await factories.project(session, (await factories.estate(session)).id, name="v0")
        pid = project.id
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        responses = await asyncio.gather(*[c.patch(f"/api/v1/projects/{pid}", json={"name": f"v{i}"}, headers=headers)
                                           for i in range(1, 7)])
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    async with get_sessionmaker()() as session:
        entries = (await session.exec(select(AuditEntry).where(AuditEntry.entity_id == str(pid),
                                                               AuditEntry.action == "project.update")
                                      .order_by(AuditEntry.id))).all()
    chain = [(e.before["name"], e.after["name"]) for e in entries]
    assert len(chain) == 6 and chain[0][0] == "v0"
    assert all(prev[1] == nxt[0] for prev, nxt in zip(chain, chain[1:], strict=False)), chain
