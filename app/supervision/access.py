"""Object-level access to supervision, in one place (docs/roles.md, docs/domain.md).

- Inspections: ``read`` everyone who may read the project (residents see them without the supervisors'
  phones); ``file`` the project's appointed supervisors.
- Rectification orders: ``read`` everyone who may read the project; ``oversee`` (issue an order, verify a
  response) the project's supervisors and those who manage it; ``respond`` the staff of the order's
  contractor; ``waive`` the street's staff.
- Complaints (随手拍): ``read`` their author, the project's managers and supervisors; ``triage`` its
  managers.

Admins may do everything. Each function is a SQL condition, so that what is out of reach is not found.
"""

from typing import Literal

from sqlalchemy import or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.auth.authz import condition, in_ids
from app.auth.principal import Principal
from app.auth.roles import Role
from app.projects import reads as projects
from app.registry import reads as registry
from app.supervision.models import Feedback, Inspection, Rectification

InspectionLevel = Literal["read", "file"]
OrderLevel = Literal["read", "oversee", "respond", "waive"]
FeedbackLevel = Literal["read", "triage"]


def supervises(p: Principal, project_id) -> ColumnElement[bool]:
    return in_ids(project_id, p.scope_ids(Role.supervisor))


def _oversee(p: Principal, project_id) -> ColumnElement[bool]:
    return or_(projects.project_in(project_id, p, "manage"), supervises(p, project_id))


@condition
def inspection_condition(p: Principal, level: InspectionLevel = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    if level == "file":
        return supervises(p, Inspection.project_id)
    return projects.project_in(Inspection.project_id, p, "read")


@condition
def order_condition(p: Principal, level: OrderLevel = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    if level == "oversee":
        return _oversee(p, Rectification.project_id)
    if level == "respond":
        return in_ids(Rectification.organization_id, p.scope_ids(Role.contractor))
    if level == "waive":
        return col(Rectification.estate_id).in_(registry.street_estate_ids(p.scope_ids(Role.street_staff)))
    return projects.project_in(Rectification.project_id, p, "read")


@condition
def feedback_condition(p: Principal, level: FeedbackLevel = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    manage = projects.project_in(Feedback.project_id, p, "manage")
    if level == "triage":
        return manage
    return or_(manage, supervises(p, Feedback.project_id), col(Feedback.author_id) == p.id)
