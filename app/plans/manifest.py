"""What design plans add to the application: their routes and error codes; the guards this domain owns
(the plan published, its notice period over); residents told when the project enters publicizing; a
version's drawings and an opinion's photos as attachments; the published plans a resident has not read
in /me/tasks; the opinions in a resident's data."""

from app.core.manifest import Manifest
from app.files.access import AttachmentKind
from app.plans import errors, flows, guards, personal, service
from app.plans.router import router
from app.privacy.holders import PersonalData
from app.projects.lifecycle import on_enter
from app.residency.todo import TaskSource

MANIFEST = Manifest(
    name="plans",
    router=router,
    errors=errors,
    contributions=(
        guards.PLAN_PUBLISHED,
        guards.NOTICE_PERIOD_ENDED,
        on_enter("plans.notify_residents", "publicizing", flows.entered_publicizing),
        AttachmentKind(service.PLAN_KIND, service.can_read_plan_files),
        AttachmentKind(service.OPINION_KIND, service.can_read_opinion_files),
        TaskSource("plans", query=service.unread_query),
        PersonalData("plan_opinions", personal.export, personal.close),
    ),
)
