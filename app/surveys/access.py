"""Object-level access to questionnaires, in one place (docs/roles.md).

Levels:
- ``read``: see the questionnaire - its project's managers (drafts too), and once published everyone who
  may read the project (residents of the estate, grid workers, committee members, ...).
- ``manage``: write, publish, close, export - those who manage the project's estate.
- ``collect``: answer for households (proxy), follow results and non-respondents while open - managers
  and the estate's grid workers (who answer only within their grids: the unit is checked on its own).
"""

from typing import Literal

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.auth.authz import condition
from app.auth.principal import Principal
from app.projects import reads as projects
from app.surveys.models import Questionnaire, QuestionnaireStatus

QuestionnaireLevel = Literal["read", "manage", "collect"]


@condition
def questionnaire_condition(p: Principal, level: QuestionnaireLevel = "read") -> ColumnElement[bool]:
    return projects.published_condition(p, level, Questionnaire.project_id, Questionnaire.estate_id,
                                        col(Questionnaire.status) != QuestionnaireStatus.draft)
