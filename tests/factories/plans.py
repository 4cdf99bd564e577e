"""Plans factories: a plan version already published (its notice period over), as a project in voting has."""

import uuid
from datetime import timedelta

from app.core import clock
from app.plans.models import PlanStatus, PlanVersion
from tests.factories._base import add as _add


async def published_plan(db, project_id: uuid.UUID, estate_id: uuid.UUID, version: int = 1, **kw) -> PlanVersion:
    now = clock.now()
    values = {"project_id": project_id, "estate_id": estate_id, "version": version, "title": "综合改造设计方案",
              "summary": "屋面防水、道路硬化、雨污分流", "status": PlanStatus.published,
              "notice_starts_at": now - timedelta(days=8), "notice_ends_at": now - timedelta(days=1),
              "published_at": now - timedelta(days=8), **kw}
    return await _add(db, PlanVersion(**values))
