"""The composition root: the domains that make up the application, and installing what they declare.

Each domain declares its routes, error codes and contributions in its ``manifest.py``
(``app.core.manifest``). ``MANIFESTS`` lists them in layer order (README, "Layers"); ``install`` puts each
contribution into its extension point through ``EXTENSION_POINTS``, the one map of contribution type to
the function that installs it. The API (``app.main``) and the worker (``python -m app worker``) both
install, so they see the same guards, reactions, jobs and hooks. Adding a domain is adding its manifest
here.
"""

from collections.abc import Callable, Collection
from typing import Any

from fastapi import APIRouter

from app.acceptance.manifest import MANIFEST as ACCEPTANCE
from app.audit.manifest import MANIFEST as AUDIT
from app.auth import residence, scopes
from app.auth.manifest import MANIFEST as AUTH
from app.core import idempotency, jobs
from app.core.manifest import MANIFEST as CORE
from app.core.manifest import Manifest
from app.files import access as file_access
from app.files.manifest import MANIFEST as FILES
from app.notifications.manifest import MANIFEST as NOTIFICATIONS
from app.plans import hooks as plan_hooks
from app.plans.manifest import MANIFEST as PLANS
from app.privacy import holders
from app.privacy.manifest import MANIFEST as PRIVACY
from app.projects import lifecycle
from app.projects.manifest import MANIFEST as PROJECTS
from app.public.manifest import MANIFEST as PUBLIC
from app.registry import hooks as registry_hooks
from app.registry.manifest import MANIFEST as REGISTRY
from app.residency import todo
from app.residency.manifest import MANIFEST as RESIDENCY
from app.supervision.manifest import MANIFEST as SUPERVISION
from app.surveys.manifest import MANIFEST as SURVEYS
from app.voting.manifest import MANIFEST as VOTING
from app.wechat.manifest import MANIFEST as WECHAT

# In layer order: a domain may read those before it, never those after.
MANIFESTS: tuple[Manifest, ...] = (
    CORE, WECHAT, PRIVACY, AUTH, REGISTRY, FILES, NOTIFICATIONS, AUDIT, RESIDENCY, PROJECTS,
    SURVEYS, PLANS, VOTING, SUPERVISION, ACCEPTANCE, PUBLIC,
)

# Every extension point of the application: the type a domain declares, and where it is installed.
EXTENSION_POINTS: dict[type, Callable[[Any], Any]] = {
    jobs.Job: jobs.install,
    idempotency.LoginCheck: idempotency.install_login_check,
    residence.ApprovedBindings: residence.provide,
    scopes.ScopeKind: scopes.install,
    registry_hooks.OnPersonsRemoved: registry_hooks.install_persons_removed,
    registry_hooks.EstateReaders: registry_hooks.install_estate_readers,
    file_access.AttachmentKind: file_access.install,
    plan_hooks.OnRevised: plan_hooks.install,
    todo.TaskSource: todo.install,
    holders.PersonalData: holders.install,
    lifecycle.Guard: lifecycle.registry.register,
    lifecycle.OnEnter: lifecycle.reactions.register,
}


def install(manifests: tuple[Manifest, ...] = MANIFESTS) -> None:
    """Install every contribution of ``manifests``, in order. Installing the same values again changes
    nothing; a value no extension point takes is refused (TypeError)."""
    for manifest in manifests:
        for contribution in manifest.contributions:
            installer = EXTENSION_POINTS.get(type(contribution))
            if installer is None:
                raise TypeError(f"{manifest.name}: no extension point takes a {type(contribution).__name__}")
            installer(contribution)


def routers(manifests: tuple[Manifest, ...] = MANIFESTS, first: Collection[str] = ()) -> list[APIRouter]:
    """The API routers, in layer order, those of the domains named in ``first`` before the rest."""
    return [m.router for m in sorted(manifests, key=lambda m: m.name not in first) if m.router is not None]


def pages(manifests: tuple[Manifest, ...] = MANIFESTS) -> list[APIRouter]:
    """The web pages' routers, in layer order."""
    return [m.pages for m in manifests if m.pages is not None]
