"""The kinds of object a role can be scoped to, as the domains that own them describe them.

Role assignment needs to know where a scope object sits (its street and community, for the rule in
``app.auth.rules``), what it is called (for ``/me`` and ``/users``) and which of them a principal manages
(to decide whose accounts they see). The registry owns streets, communities, estates, grids and units;
projects own projects and where organisations work. Each declares its kinds as ``ScopeKind`` values in
its manifest, and the composition root installs them here, so auth never imports the domains above it.
"""

import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from sqlalchemy import Select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import ScopeType
from app.auth.rules import Ancestry

# Where the object sits, or None when it does not exist *or the principal cannot read it*: an object
# outside one's view must answer exactly as a missing one.
Locate = Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[Ancestry | None]]
Names = Callable[[AsyncSession, Collection[uuid.UUID]], Awaitable[dict[uuid.UUID, str]]]
ManagedIds = Callable[[Principal], Select]


@dataclass(frozen=True)
class ScopeKind:
    scope_type: ScopeType
    names: Names
    locate: Locate | None = None  # None: roles are never assigned to this kind (units)
    managed_ids: ManagedIds | None = None  # None: managing one does not show its role holders


_KINDS: dict[ScopeType, ScopeKind] = {}


def install(kind: ScopeKind) -> None:
    if (existing := _KINDS.get(kind.scope_type)) is not None and existing != kind:
        raise ValueError(f"scope kind {kind.scope_type.value!r} is already installed")
    _KINDS[kind.scope_type] = kind


def scope_kind(scope_type: ScopeType) -> ScopeKind | None:
    return _KINDS.get(scope_type)


def registered() -> dict[ScopeType, ScopeKind]:
    return dict(_KINDS)
