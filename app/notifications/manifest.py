"""What notifications add to the application: the inbox and subscription routes and their error codes.
A user's notifications in their
data, and what closing the account does to them. The outbox is drained by ``python -m app worker``, which is not a scheduled job but the worker's loop."""

from datetime import timedelta

from app.core.jobs import Job
from app.core.manifest import Manifest
from app.notifications import errors, personal
from app.notifications.router import router
from app.privacy.holders import PersonalData

MANIFEST = Manifest(name="notifications", router=router, errors=errors,
                    contributions=(PersonalData("notifications", personal.export, personal.close),
                                   Job("notifications.remove_sent", timedelta(hours=6), personal.remove_sent)))
