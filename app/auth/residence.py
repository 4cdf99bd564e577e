"""What identity knows of where its users live, and the port through which it learns it.

A resident is not assigned a role: they are bound to units, and bindings belong to the residency domain
(``app.residency``), which sits above the registry. Identity still needs them - the principal carries
the caller's approved bindings (residents' access conditions read them), the resident role shows in a
login's roles and in "who did it" - so it asks through one port: the residency domain provides
``ApprovedBindings``, a query of every approved binding, which identity joins where it needs one. The
relation a binding gives is identity's vocabulary, because the principal carries it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select


class BindingRelation(StrEnum):
    """How a bound resident stands to the unit, as the unit's record says (never the applicant's claim)."""

    owner = "owner"
    co_owner = "co_owner"
    tenant = "tenant"
    family = "family"


# Who carries an owner's rights: a vote, an owners' notice.
OWNER_RELATIONS = frozenset({BindingRelation.owner, BindingRelation.co_owner})


@dataclass(frozen=True)
class ApprovedBindings:
    """The provider of approved bindings: ``query()`` selects, for every approved binding, the columns
    ``user_id``, ``unit_id``, ``person_id`` (the person on record it names, if any) and ``relation``."""

    query: Callable[[], Select]


_provider: ApprovedBindings | None = None


def provide(provider: ApprovedBindings) -> None:
    """Install the provider (the composition root does, from the residency domain's manifest)."""
    global _provider
    if _provider is not None and _provider != provider:
        raise ValueError("approved bindings are already provided")
    _provider = provider


def approved_bindings():
    """Every approved binding as a subquery with ``user_id``, ``unit_id``, ``person_id``, ``relation``."""
    if _provider is None:
        raise LookupError("no domain provides approved bindings: install the application's manifests first")
    return _provider.query().subquery("approved_binding")
