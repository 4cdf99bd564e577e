"""What questionnaires add to the application: their routes and error codes; photo answers and paper
forms as attachments; the open questionnaires a resident has not answered in /me/tasks; the satisfaction
survey started when a project is accepted; closing on time and reminding non-respondents; a resident's answers in their data;
the answers exported in the background."""

from datetime import timedelta

from app.core.jobs import Job
from app.core.manifest import Manifest
from app.files.access import AttachmentKind
from app.privacy.holders import PersonalData
from app.projects.lifecycle import on_enter
from app.residency.todo import TaskSource
from app.surveys import errors, exports, personal, reactions, service, tasks
from app.surveys.router import router

MANIFEST = Manifest(
    name="surveys",
    router=router,
    errors=errors,
    contributions=(
        AttachmentKind(service.RESPONSE_KIND, service.can_read_response_files),
        TaskSource("questionnaires", query=service.open_query),
        on_enter("surveys.satisfaction_survey", "accepted", reactions.satisfaction_survey),
        Job("surveys.close_due", timedelta(minutes=1), tasks.close_due),
        Job("surveys.remind", timedelta(minutes=10), tasks.remind_non_respondents),
        PersonalData("questionnaire_answers", personal.export, personal.close),
        Job("surveys.remove_paper_photos", timedelta(hours=6), personal.remove_paper_photos),
        # One export a run, written in transactions of its own; the lock outlasts the longest export.
        Job("surveys.exports", timedelta(seconds=1), exports.run_exports, lock=timedelta(minutes=5)),
    ),
)
