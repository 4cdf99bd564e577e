"""What residency adds to the application: /me and the unit-binding routes, their error codes, the
approved bindings identity joins into every principal (``app.auth.residence``), and its answer to a
registry correction that takes people off a unit's record (their bindings go back to be checked); the
photos of identity documents checked in person as attachments; a resident's rights over their personal
information (their data, corrections, closing the account) and what residency holds about them."""

from app.auth.residence import ApprovedBindings
from app.core.manifest import Manifest
from app.files.access import AttachmentKind
from app.privacy.holders import PersonalData
from app.registry.hooks import OnPersonsRemoved
from app.residency import errors, reads, rights, service
from app.residency.router import routes

MANIFEST = Manifest(
    name="residency",
    router=routes,
    errors=errors,
    contributions=(
        ApprovedBindings(reads.approved),
        OnPersonsRemoved(service.recheck_removed_persons),
        AttachmentKind(service.IDENTITY_KIND, service.can_read_identity_files),
        PersonalData("residency", rights.export_personal, rights.close_personal),
    ),
)
