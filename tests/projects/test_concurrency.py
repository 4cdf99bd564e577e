"""Concurrent transitions of one project on real transactions: exactly one wins (the project row lock on
PostgreSQL; SQLite's single writer lock)."""

import asyncio

import httpx
from sqlmodel import select

from app.auth.models import Role
from app.projects.models import ProjectEvent
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
