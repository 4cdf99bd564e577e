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


class Assurance(StrEnum):
    """How the person behind an approved binding was verified (实名, docs/ballot-procedure.md)."""

    invite_code = "invite_code"  # a code printed for the named person on the record, handed over
    phone_match = "phone_match"  # the WeChat-verified phone equals the one on the record
    provider = "provider"  # an external real-name check (WeChat 实名/人脸核身, the 不动产登记 query)
    in_person = "in_person"  # a grid worker or staff member checked an ID card or property certificate


# Stronger is higher. A document checked by a person, or by a real-name service, is the strongest; a phone
# on the record beats a code on paper, which anyone in the household may have picked up.
RANK: dict[Assurance, int] = {Assurance.invite_code: 1, Assurance.phone_match: 2, Assurance.provider: 3,
                              Assurance.in_person: 3}


def sufficient(held: Assurance | None, required: Assurance) -> bool:
    """Whether a binding verified as ``held`` meets ``required`` (no record of how: never)."""
    return held is not None and RANK[held] >= RANK[required]


def stronger(held: Assurance | None, new: Assurance) -> Assurance:
    """The assurance after a further check: a check never lowers what an earlier one proved."""
    return new if held is None or RANK[new] > RANK[held] else held


@dataclass(frozen=True)
class ApprovedBindings:
    """The provider of approved bindings: ``query()`` selects, for every approved binding, the columns
    ``user_id``, ``unit_id``, ``person_id`` (the person on record it names, if any), ``relation`` and
    ``assurance``."""

    query: Callable[[], Select]


_provider: ApprovedBindings | None = None


def provide(provider: ApprovedBindings) -> None:
    """Install the provider (the composition root does, from the residency domain's manifest)."""
    global _provider
    if _provider is not None and _provider != provider:
        raise ValueError("approved bindings are already provided")
    _provider = provider


def approved_bindings():
    """Every approved binding as a subquery with ``user_id``, ``unit_id``, ``person_id``, ``relation``,
    ``assurance``."""
    if _provider is None:
        raise LookupError("no domain provides approved bindings: install the application's manifests first")
    return _provider.query().subquery("approved_binding")
