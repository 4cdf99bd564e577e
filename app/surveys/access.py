"""Object-level access to questionnaires, in one place (docs/roles.md).

Levels:
- ``read``: see the questionnaire - its project's managers (drafts too), and once published everyone who
  may read the project (residents of the estate, grid workers, committee members, ...).
- ``manage``: write, publish, close, export - those who manage the project's estate.
- ``collect``: answer for households (proxy), follow results and non-respondents while open - managers
  and the estate's grid workers (who answer only within their grids: the unit is checked on its own).
"""

from typing import Literal

from sqlalchemy import true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from app.auth.authz import condition
from app.auth.principal import Principal
from app.projects import reads as projects
from app.surveys.models import Questionnaire, QuestionnaireExport, QuestionnaireStatus

QuestionnaireLevel = Literal["read", "manage", "collect"]


@condition
def questionnaire_condition(p: Principal, level: QuestionnaireLevel = "read") -> ColumnElement[bool]:
    return projects.published_condition(p, level, Questionnaire.project_id, Questionnaire.estate_id,
                                        col(Questionnaire.status) != QuestionnaireStatus.draft)


@condition
def export_condition(p: Principal, level: Literal["read"] = "read") -> ColumnElement[bool]:
    """A background export holds every answer: those who manage its questionnaire (and may export it at
    once) see it and ask for one, nobody else (404)."""
    if p.is_admin:
        return true()
    managed = select(Questionnaire.id).where(questionnaire_condition(p, "manage"))
    return col(QuestionnaireExport.questionnaire_id).in_(managed)
