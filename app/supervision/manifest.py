"""What supervision adds to the application: inspection, order and complaint routes and their error
codes; the guard this domain owns (every rectification closed); the photos of inspections, orders and
feedback as attachments; the orders waiting for the caller in /me/tasks; overdue reminders; complaints and inspections in a
person's data, and what closing their account does to them."""

from datetime import timedelta

from app.core.jobs import Job
from app.core.manifest import Manifest
from app.files.access import AttachmentKind
from app.privacy.holders import PersonalData
from app.residency.todo import TaskSource
from app.supervision import errors, guards, personal, service, tasks
from app.supervision.router import router

MANIFEST = Manifest(
    name="supervision",
    router=router,
    errors=errors,
    contributions=(
        guards.RECTIFICATIONS_CLOSED,
        AttachmentKind(service.INSPECTION_KIND, service.can_read_inspection_files),
        AttachmentKind(service.ORDER_KIND, service.can_read_order_files),
        AttachmentKind(service.FEEDBACK_KIND, service.can_read_feedback_files),
        TaskSource("rectifications", service.waiting_for),
        Job("supervision.remind_overdue", timedelta(minutes=15), tasks.remind_overdue),
        PersonalData("supervision", personal.export, personal.close),
    ),
)
