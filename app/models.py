"""Imports every table module so that ``SQLModel.metadata`` is complete (Alembic, tests)."""

from app.acceptance import models as acceptance_models  # noqa: F401
from app.auth import models as auth_models  # noqa: F401
from app.core import models as core_models  # noqa: F401
from app.files import models as files_models  # noqa: F401
from app.notifications import models as notifications_models  # noqa: F401
from app.plans import models as plans_models  # noqa: F401
from app.privacy import models as privacy_models  # noqa: F401
from app.projects import models as projects_models  # noqa: F401
from app.registry import models as registry_models  # noqa: F401
from app.residency import models as residency_models  # noqa: F401
from app.supervision import models as supervision_models  # noqa: F401
from app.surveys import models as surveys_models  # noqa: F401
from app.voting import models as voting_models  # noqa: F401
from app.wechat import models as wechat_models  # noqa: F401
