"""What notifications add to the application: the inbox and subscription routes and their error codes.
The outbox is drained by ``python -m app worker``, which is not a scheduled job but the worker's loop."""

from app.core.manifest import Manifest
from app.notifications import errors
from app.notifications.router import router

MANIFEST = Manifest(name="notifications", router=router, errors=errors)
