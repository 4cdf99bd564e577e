"""What voting adds to the application: ballot routes and error codes; the guards this domain owns (the
deciding ballot passed or not); the evidence of paper and proxy votes as attachments; the open ballots an
owner has not voted in, in /me/tasks; opening, reminding and closing ballots on time."""

from datetime import timedelta

from app.core.jobs import Job
from app.core.manifest import Manifest
from app.files.access import AttachmentKind
from app.residency.todo import TaskSource
from app.voting import errors, guards, service, tasks
from app.voting.router import router

MANIFEST = Manifest(
    name="voting",
    router=router,
    errors=errors,
    contributions=(
        guards.BALLOT_PASSED,
        guards.BALLOT_REJECTED,
        AttachmentKind(service.EVIDENCE_KIND, service.can_read_evidence_files),
        TaskSource("ballots", service.open_for),
        Job("voting.open_due", timedelta(minutes=1), tasks.open_due),
        Job("voting.remind_due", timedelta(minutes=5), tasks.remind_due),
        Job("voting.close_due", timedelta(minutes=1), tasks.close_due),
    ),
)
