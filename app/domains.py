"""The composition root: which domain packages make up the application, and loading them.

Each domain registers what it adds to the shared machinery from its own modules, at import: error codes
(``errors.py``), lifecycle guards and reactions, scope kinds for role assignment (``scopes.py``), file
attachment kinds, scheduled jobs (``tasks.py``). ``load`` imports every domain's modules of those
conventional names that exist, so the API and the worker see the same registrations whichever process
imports them first. Adding a domain is adding its name here.
"""

from importlib import import_module
from importlib.util import find_spec

from fastapi import APIRouter

# In layer order (README, "Layout"): a domain may read those before it, never those after.
DOMAINS: tuple[str, ...] = ("auth", "registry", "files", "notifications", "audit", "projects", "surveys", "plans",
                             "voting", "supervision", "acceptance")

# The modules a domain may have that register something at import, besides what its router imports.
HOOK_MODULES: tuple[str, ...] = ("router", "scopes", "guards", "reactions", "tasks")


def _modules(domain: str):
    for hook in HOOK_MODULES:
        name = f"app.{domain}.{hook}"
        if find_spec(name) is not None:
            yield import_module(name)


def load() -> list[APIRouter]:
    """Import every domain's hook modules (and core's own jobs); the domains' API routers in order."""
    import_module("app.core.tasks")
    routers = []
    for domain in DOMAINS:
        for module in _modules(domain):
            if module.__name__.endswith(".router"):
                routers.append(module.router)
    return routers
