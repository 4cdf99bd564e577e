"""Object-level access to ballots, in one place (docs/roles.md).

Levels:
- ``read``: see the ballot - its project's managers (drafts too), and once open everyone who may read the
  project (owners vote through their bindings; tenants see it without a vote).
- ``manage``: write, open and close it, see the electorate - those who manage the project's estate.
- ``collect``: follow who has not voted while open - managers and the estate's grid workers (each unit
  is checked against their grid on its own).
"""

from typing import Literal

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.auth.authz import condition
from app.auth.principal import Principal
from app.projects import reads as projects
from app.voting.models import Ballot, BallotStatus

BallotLevel = Literal["read", "manage", "collect"]


@condition
def ballot_condition(p: Principal, level: BallotLevel = "read") -> ColumnElement[bool]:
    return projects.published_condition(p, level, Ballot.project_id, Ballot.estate_id,
                                        col(Ballot.status) != BallotStatus.draft)
