"""What the audit log's API adds to the application: reading entries in scope and verifying the chain.
The chain itself is core's (``app.core.audit``)."""

from app.audit.router import router
from app.core.manifest import Manifest

MANIFEST = Manifest(name="audit", router=router)
