"""What files add to the application: upload and download routes and their error codes. The kinds of
object a file attaches to are declared by the domains that own them (``files.access.AttachmentKind``). A resident's uploads in their data, and what closing their account does to them."""

from app.core.manifest import Manifest
from app.files import errors, service
from app.files.router import router
from app.privacy.holders import PersonalData

MANIFEST = Manifest(name="files", router=router, errors=errors,
                    contributions=(PersonalData("files", service.export_personal, service.close_personal),))
