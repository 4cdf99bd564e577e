"""What acceptance adds to the application: round, checklist and signature routes and their error codes;
the guards this domain owns (every required signatory approved, or one rejected); signature images as
attachments; the signatures waiting for the caller in /me/tasks."""

from app.acceptance import errors, guards, service
from app.acceptance.router import router
from app.core.manifest import Manifest
from app.files.access import AttachmentKind
from app.residency.todo import TaskSource

MANIFEST = Manifest(
    name="acceptance",
    router=router,
    errors=errors,
    contributions=(
        guards.ACCEPTANCE_SIGNED,
        guards.ACCEPTANCE_REJECTED,
        AttachmentKind(service.SIGNATURE_KIND, service.can_read_signature_files),
        TaskSource("signatures", service.waiting_for),
    ),
)
