"""What voting adds to the application: ballot routes and error codes; the guards this domain owns (the
deciding ballot's final result passed or not); the evidence of paper and proxy votes, of paper notices,
corrections and objections as attachments; the open ballots an owner has not voted in, in /me/tasks;
opening, reminding, closing and making results final on time; and the ballots held on a plan cancelled
when it is revised or withdrawn from the vote; a resident's votes in their data."""

from datetime import timedelta

from app.core.jobs import Job
from app.core.manifest import Manifest
from app.files.access import AttachmentKind
from app.plans.hooks import OnRevised
from app.privacy.holders import PersonalData
from app.projects.lifecycle import on_enter
from app.residency.todo import TaskSource
from app.voting import announcements, corrections, errors, guards, objections, personal, service, tasks
from app.voting.router import router

MANIFEST = Manifest(
    name="voting",
    router=router,
    errors=errors,
    contributions=(
        guards.BALLOT_PASSED,
        guards.BALLOT_REJECTED,
        AttachmentKind(service.EVIDENCE_KIND, service.can_read_evidence_files),
        AttachmentKind(announcements.DELIVERY_KIND, announcements.can_read_delivery_files),
        AttachmentKind(corrections.CORRECTION_KIND, corrections.can_read_correction_files),
        AttachmentKind(objections.OBJECTION_KIND, objections.can_read_objection_files),
        TaskSource("ballots", query=service.open_query),
        PersonalData("votes", personal.export),
        Job("voting.open_due", timedelta(minutes=1), tasks.open_due),
        Job("voting.remind_due", timedelta(minutes=5), tasks.remind_due),
        Job("voting.close_due", timedelta(minutes=1), tasks.close_due),
        Job("voting.finalize_due", timedelta(minutes=1), objections.finalize_due),
        OnRevised(announcements.plan_revised),
        on_enter("voting.cancel_withdrawn", "designing", announcements.plan_withdrawn, from_state="voting"),
    ),
)
