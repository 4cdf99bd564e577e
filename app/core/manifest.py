"""A domain's manifest: everything it adds to the application, declared in one place.

Each domain package has a ``manifest.py`` holding one ``Manifest``: its API router, its error codes, and
what it contributes to the extension points of the layers below it - lifecycle guards and reactions,
scheduled jobs, sources of ``/me/tasks``, kinds of file attachment, scope kinds of role assignment, the
registry's hooks. A contribution is a plain value of the type its extension point defines
(``core.jobs.Job``, ``projects.lifecycle.Guard``, ``files.access.AttachmentKind``...): declaring one
installs nothing. The composition root (``app.domains``) reads the manifests in layer order and installs
each contribution through its map of extension points, refusing a value that none of them takes.

Core is a package like the others: its own periodic work is in ``MANIFEST`` below.
"""

from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType

from fastapi import APIRouter

from app.core import errors
from app.core.audit import chain_job, log_anchor
from app.core.idempotency import purge_expired
from app.core.jobs import Job


@dataclass(frozen=True)
class Manifest:
    name: str
    router: APIRouter | None = None  # mounted under the API prefix, in the OpenAPI document
    pages: APIRouter | None = None  # web pages, mounted at the root, outside the OpenAPI document
    errors: ModuleType | None = None  # the module defining the domain's error codes (``define``)
    contributions: tuple[object, ...] = ()


MANIFEST = Manifest(
    name="core",
    errors=errors,
    contributions=(
        Job("idempotency.purge_expired", timedelta(hours=1), purge_expired),
        Job("audit.chain", timedelta(seconds=1), chain_job, lock=timedelta(minutes=1)),
        Job("audit.anchor", timedelta(minutes=10), log_anchor),
    ),
)
