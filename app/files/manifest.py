"""What files add to the application: upload and download routes and their error codes. The kinds of
object a file attaches to are declared by the domains that own them (``files.access.AttachmentKind``)."""

from app.core.manifest import Manifest
from app.files import errors
from app.files.router import router

MANIFEST = Manifest(name="files", router=router, errors=errors)
