"""Resource loaders for questionnaires: 404 outside the caller's read scope, 403 below the route's level."""

from typing import Annotated

from app.auth.authz import loader
from app.surveys import access
from app.surveys.models import Questionnaire, QuestionnaireExport

QuestionnaireForRead = Annotated[Questionnaire, loader(Questionnaire, access.questionnaire_condition, "read", param="questionnaire_id")]
QuestionnaireForManage = Annotated[Questionnaire, loader(Questionnaire, access.questionnaire_condition, "manage", param="questionnaire_id")]
QuestionnaireForCollect = Annotated[Questionnaire, loader(Questionnaire, access.questionnaire_condition, "collect", param="questionnaire_id")]
ExportForManage = Annotated[QuestionnaireExport, loader(QuestionnaireExport, access.export_condition, "read", param="export_id")]
