"""Object-level access to acceptance, in one place (docs/roles.md, docs/domain.md).

- ``read``: everyone who may read the project (residents read the record, its signatures and the
  certificate: the result is published to the estate).
- ``manage`` (open a round, edit the checklist): those who manage the project.

Signing is not a level: it depends on the role signed for (``service.held_roles``). Admins may read and
manage everything, but sign only for roles they hold. Each function is a SQL condition, so that what is
out of reach is not found.
"""

from typing import Literal

from sqlalchemy import true
from sqlalchemy.sql.elements import ColumnElement

from app.acceptance.models import Acceptance
from app.auth.authz import condition
from app.auth.principal import Principal
from app.projects import reads as projects

AcceptanceLevel = Literal["read", "manage"]


@condition
def acceptance_condition(p: Principal, level: AcceptanceLevel = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    return projects.project_in(Acceptance.project_id, p, level)
