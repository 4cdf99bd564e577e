"""What identity adds to the application: login, token and staff-account routes, its error codes, and
the check that a token's login still lives, which the idempotency layer asks before a replay; the account
in a resident's data, and closing it."""

from datetime import timedelta

from app.auth import account, errors
from app.auth.deps import login_is_live
from app.auth.router import router
from app.core.idempotency import LoginCheck
from app.core.jobs import Job
from app.core.manifest import Manifest
from app.privacy.holders import PersonalData

MANIFEST = Manifest(
    name="auth",
    router=router,
    errors=errors,
    contributions=(LoginCheck(login_is_live), PersonalData("account", account.export, account.close),
                   Job("auth.remove_old_logins", timedelta(hours=6), account.remove_old_logins)),
)
