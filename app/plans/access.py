"""Object-level access to plans and opinions, in one place (docs/roles.md).

Levels of a plan version:
- ``read``: see it - its project's managers (drafts too), and once published everyone who may read the
  project (the estate's residents, grid workers, committee members, linked organisations, supervisors).
- ``manage``: write, publish and revise it, answer and hide opinions - those who manage the project's
  estate (admin, street and community staff).
- ``collect``: enter opinions for households and follow who has not read it - managers and the estate's
  grid workers (who act only within their grids: each unit is checked on its own).

An opinion is read through its plan; a hidden one only by managers and by its own author.
"""

from typing import Literal

from sqlalchemy import and_, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from app.auth.authz import condition
from app.auth.principal import Principal
from app.plans.models import PlanOpinion, PlanStatus, PlanVersion
from app.projects import reads as projects

PlanLevel = Literal["read", "manage", "collect"]


@condition
def plan_condition(p: Principal, level: PlanLevel = "read") -> ColumnElement[bool]:
    return projects.published_condition(p, level, PlanVersion.project_id, PlanVersion.estate_id,
                                        col(PlanVersion.status) != PlanStatus.draft)


@condition
def opinion_condition(p: Principal, level: PlanLevel = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    on_plan = col(PlanOpinion.plan_id).in_(select(PlanVersion.id).where(plan_condition(p, level)))
    if level != "read":
        return on_plan
    managed = projects.project_in(PlanOpinion.project_id, p, "manage")
    return and_(on_plan, or_(col(PlanOpinion.hidden).is_(False), managed, col(PlanOpinion.author_id) == p.id))
