"""What residency adds to the application: /me and the unit-binding routes, their error codes, the
approved bindings identity joins into every principal (``app.auth.residence``), and its answer to a
registry correction that takes people off a unit's record (their bindings go back to be checked); the
photos of identity documents checked in person as attachments."""

from app.auth.residence import ApprovedBindings
from app.core.manifest import Manifest
from app.files.access import AttachmentKind
from app.registry.hooks import OnPersonsRemoved
from app.residency import errors, reads, service
from app.residency.router import router

MANIFEST = Manifest(
    name="residency",
    router=router,
    errors=errors,
    contributions=(
        ApprovedBindings(reads.approved),
        OnPersonsRemoved(service.recheck_removed_persons),
        AttachmentKind(service.IDENTITY_KIND, service.can_read_identity_files),
    ),
)
