"""Resource loaders for acceptance: 404 outside the caller's read scope, 403 below the route's level."""

from typing import Annotated

from app.acceptance import access
from app.acceptance.models import Acceptance
from app.auth.authz import loader

AcceptanceForRead = Annotated[Acceptance, loader(Acceptance, access.acceptance_condition, "read", param="acceptance_id")]
AcceptanceForManage = Annotated[Acceptance, loader(Acceptance, access.acceptance_condition, "manage", param="acceptance_id")]
