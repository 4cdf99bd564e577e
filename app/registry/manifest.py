"""What the registry adds to the application: the ledger's routes and error codes, the kinds of scope
roles are assigned to (streets, communities, estates, grids, organisations; units name residents'
scopes), and the job that applies large ledger imports a chunk at a time."""

from datetime import timedelta

from app.core.jobs import Job
from app.core.manifest import Manifest
from app.registry import errors
from app.registry.imports import run_import_chunk
from app.registry.router import router
from app.registry.scopes import SCOPE_KINDS

MANIFEST = Manifest(
    name="registry",
    router=router,
    errors=errors,
    contributions=(
        *SCOPE_KINDS,
        Job("registry.import_chunks", timedelta(seconds=1), run_import_chunk, lock=timedelta(minutes=5)),
    ),
)
