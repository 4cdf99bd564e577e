"""What identity adds to the application: login, token and staff-account routes, its error codes, and
the check that a token's login still lives, which the idempotency layer asks before a replay."""

from app.auth import errors
from app.auth.deps import login_is_live
from app.auth.router import router
from app.core.idempotency import LoginCheck
from app.core.manifest import Manifest

MANIFEST = Manifest(
    name="auth",
    router=router,
    errors=errors,
    contributions=(LoginCheck(login_is_live),),
)
