"""What projects add to the application: project, item and timeline routes, their error codes; the
guards this domain owns (items selected, contractor assigned, items complete); residents told of every
stage a project enters; item progress photos as attachments; projects as scopes of supervisors' roles,
and the estates those supervisors may read."""

from app.core.manifest import Manifest
from app.files.access import AttachmentKind
from app.projects import errors, guards, reactions, reads, service
from app.projects.lifecycle import STATES, on_enter
from app.projects.router import router
from app.projects.scopes import PROJECT_SCOPE, SUPERVISED_ESTATES

MANIFEST = Manifest(
    name="projects",
    router=router,
    errors=errors,
    contributions=(
        guards.ITEMS_SELECTED,
        guards.CONTRACTOR_ASSIGNED,
        guards.ITEMS_COMPLETE,
        *(on_enter(f"projects.notify_residents.{state}", state, reactions.notify_residents) for state in STATES),
        AttachmentKind(reads.ITEM_PROGRESS_KIND, service.can_read_progress_files),
        PROJECT_SCOPE,
        SUPERVISED_ESTATES,
    ),
)
