"""What the privacy domain adds: the public privacy notice and its error codes; the record of consents and
of who looked, which the domains above call; what it holds about a person, for ``/me/data``."""

from app.core.manifest import Manifest
from app.privacy import errors
from app.privacy.holders import PersonalData
from app.privacy.router import router
from app.privacy.service import export

MANIFEST = Manifest(
    name="privacy",
    router=router,
    errors=errors,
    contributions=(PersonalData("privacy", export),),
)
