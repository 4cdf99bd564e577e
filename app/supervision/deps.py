"""Resource loaders for supervision: 404 outside the caller's read scope, 403 below the route's level."""

from typing import Annotated

from app.auth.authz import loader
from app.supervision import access
from app.supervision.models import Feedback, Inspection, Rectification

InspectionForRead = Annotated[Inspection, loader(Inspection, access.inspection_condition, "read", param="inspection_id")]
OrderForRead = Annotated[Rectification, loader(Rectification, access.order_condition, "read", param="rectification_id")]
OrderForOversee = Annotated[Rectification, loader(Rectification, access.order_condition, "oversee", param="rectification_id")]
OrderForRespond = Annotated[Rectification, loader(Rectification, access.order_condition, "respond", param="rectification_id")]
OrderForWaive = Annotated[Rectification, loader(Rectification, access.order_condition, "waive", param="rectification_id")]
FeedbackForTriage = Annotated[Feedback, loader(Feedback, access.feedback_condition, "triage", param="feedback_id")]
