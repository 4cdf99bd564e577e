"""Imports every table module so that ``SQLModel.metadata`` is complete (Alembic, tests)."""

from app.auth import models as auth_models  # noqa: F401
from app.registry import models as registry_models  # noqa: F401
