"""Resource loaders for plans and opinions: 404 outside the caller's read scope, 403 below the route's level."""

from typing import Annotated

from app.auth.authz import loader
from app.plans import access
from app.plans.models import PlanOpinion, PlanVersion

PlanForRead = Annotated[PlanVersion, loader(PlanVersion, access.plan_condition, "read", param="plan_id")]
PlanForManage = Annotated[PlanVersion, loader(PlanVersion, access.plan_condition, "manage", param="plan_id")]
PlanForCollect = Annotated[PlanVersion, loader(PlanVersion, access.plan_condition, "collect", param="plan_id")]
OpinionForManage = Annotated[PlanOpinion, loader(PlanOpinion, access.opinion_condition, "manage", param="opinion_id")]
