"""What the public notice board adds to the application: its JSON documents under the API (``router``),
the same as web pages at the root (``pages``), and its error codes. Its caching and limits wrap those paths
(``cache.PublicBoard``, installed by ``app.main``)."""

from app.core.manifest import Manifest
from app.public import errors
from app.public.pages import router as pages
from app.public.router import router

MANIFEST = Manifest(name="public", router=router, pages=pages, errors=errors)
