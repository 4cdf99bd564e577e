"""The acceptance domain's rules as pure functions (docs/domain.md): who must sign, what a record's content
hash is, and what the signatures decide. No database, no clock."""

import hashlib
from collections.abc import Collection, Iterable
from enum import StrEnum
from typing import Any

import rfc8785


class SignatoryRole(StrEnum):
    street = "street"  # 街道: the client (建设单位)
    community = "community"
    contractor = "contractor"
    supervision = "supervision"  # the supervision company (监理单位)
    committee = "committee"  # the owners' committee (业主委员会)
    resident_rep = "resident_rep"  # residents' representatives named for this acceptance


ROLE_NAMES = {
    SignatoryRole.street: "街道（建设单位）", SignatoryRole.community: "社区", SignatoryRole.contractor: "施工单位",
    SignatoryRole.supervision: "监理单位", SignatoryRole.committee: "业主委员会", SignatoryRole.resident_rep: "居民代表",
}


class ItemDecision(StrEnum):
    pending = "pending"
    accepted = "accepted"
    not_accepted = "not_accepted"


ITEM_DECISION_NAMES = {ItemDecision.pending: "待验收", ItemDecision.accepted: "合格", ItemDecision.not_accepted: "不合格"}


class Decision(StrEnum):
    approve = "approve"
    reject = "reject"


class Status(StrEnum):
    open = "open"
    passed = "passed"
    rejected = "rejected"


STATUS_NAMES = {Status.open: "验收中", Status.passed: "验收通过", Status.rejected: "验收未通过"}


class RoleProblem(StrEnum):
    committee_required = "committee_required"  # the estate has a committee: it always signs
    no_committee = "no_committee"  # ... and without one it cannot
    representatives_required = "representatives_required"  # no committee: named residents sign instead
    no_supervision_company = "no_supervision_company"  # the project has no supervision company to sign
    supervision_required = "supervision_required"  # ... and one it has always signs
    mandatory_missing = "mandatory_missing"  # street, community and contractor always sign


MANDATORY = (SignatoryRole.street, SignatoryRole.community, SignatoryRole.contractor)


def required_roles(requested: Collection[SignatoryRole] | None, *, has_committee: bool, has_supervision: bool,
                   representatives: int) -> list[SignatoryRole] | RoleProblem:
    """The roles that must approve. By default: the street, the community, the contractor, the supervision
    company if the project has one, and the owners' committee - or, where the estate has none, the
    residents' representatives named for this acceptance. A project may ask for more (representatives
    beside the committee); never fewer, and never a party that does not exist: whenever the project has a
    supervision company, it signs (建设工程质量管理条例 art. 16: the completion acceptance is organised
    by the client with the design, construction and supervision units)."""
    default = [*MANDATORY, *([SignatoryRole.supervision] if has_supervision else []),
               SignatoryRole.committee if has_committee else SignatoryRole.resident_rep]
    roles = set(default if requested is None else requested)
    if representatives and requested is None:
        roles.add(SignatoryRole.resident_rep)
    if not set(MANDATORY) <= roles:
        return RoleProblem.mandatory_missing
    if has_committee and SignatoryRole.committee not in roles:
        return RoleProblem.committee_required
    if not has_committee and SignatoryRole.committee in roles:
        return RoleProblem.no_committee
    if not has_committee and SignatoryRole.resident_rep not in roles:
        return RoleProblem.representatives_required
    if (SignatoryRole.resident_rep in roles) != (representatives > 0):
        return RoleProblem.representatives_required
    if SignatoryRole.supervision in roles and not has_supervision:
        return RoleProblem.no_supervision_company
    if has_supervision and SignatoryRole.supervision not in roles:
        return RoleProblem.supervision_required
    return [r for r in SignatoryRole if r in roles]


def required_now(roles: Iterable[SignatoryRole], has_supervision: bool) -> list[SignatoryRole]:
    """The roles a round needs when its outcome is decided: its own, and the supervision company whenever
    the project has one - linked after the round opened, it signs too."""
    needed = set(roles) | ({SignatoryRole.supervision} if has_supervision else set())
    return [r for r in SignatoryRole if r in needed]


def canonical(content: dict[str, Any]) -> bytes:
    """The record's content as RFC 8785 canonical JSON: the same content gives the same bytes everywhere."""
    return rfc8785.dumps(content)


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def outcome(required: Iterable[SignatoryRole], signatures: Iterable[tuple[SignatoryRole, Decision]]) -> Status:
    """What the valid signatures decide: one rejection rejects; every required role approving passes;
    otherwise the acceptance stays open."""
    decided = list(signatures)
    if any(d == Decision.reject for _, d in decided):
        return Status.rejected
    approved = {r for r, d in decided if d == Decision.approve}
    return Status.passed if set(required) <= approved else Status.open


def checklist_complete(decisions: Iterable[ItemDecision]) -> bool:
    return all(d != ItemDecision.pending for d in decisions)
