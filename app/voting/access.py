"""Object-level access to ballots, in one place (DESIGN.md §2).

Levels:
- ``read``: see the ballot - its project's managers (drafts too), and once open everyone who may read the
  project (owners vote through their bindings; tenants see it without a vote).
- ``manage``: write, open and close it, see the electorate - those who manage the project's estate.
- ``collect``: follow who has not voted while open - managers and the estate's grid workers (each unit
  is checked against their grid on its own).
"""

from typing import Literal

from sqlalchemy import and_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from app.auth.principal import Principal
from app.projects import reads as projects
from app.registry import reads as registry
from app.voting.models import Ballot, BallotStatus

BallotLevel = Literal["read", "manage", "collect"]


def ballot_condition(p: Principal, level: BallotLevel = "read") -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    manage = Ballot.project_id.in_(projects.project_ids(p, "manage"))
    if level == "manage":
        return manage
    opened = Ballot.status != BallotStatus.draft
    if level == "collect":
        return or_(manage, and_(opened, Ballot.estate_id.in_(registry.estate_ids(p, "contact"))))
    return or_(manage, and_(Ballot.status != BallotStatus.draft, Ballot.project_id.in_(projects.project_ids(p, "read"))))
