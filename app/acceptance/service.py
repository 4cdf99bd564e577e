"""Completion acceptance (竣工验收): opening a round, the checklist, signatures on the record's content
hash, the outcome, verification. The rules are ``rules.py``; who is told what is ``flows.py``."""

import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import Select
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.acceptance import access, flows, rules
from app.acceptance.errors import (
    ACCEPTANCE_CLOSED,
    ACCEPTANCE_OPEN,
    CHECKLIST_INCOMPLETE,
    COMMITTEE_REQUIRED,
    CONTENT_CHANGED,
    ITEM_UNKNOWN,
    MANDATORY_MISSING,
    NO_COMMITTEE,
    NO_SUPERVISION_COMPANY,
    PROJECT_NOT_READY,
    REASONS_REQUIRED,
    REPRESENTATIVE_INVALID,
    REPRESENTATIVES_REQUIRED,
    ROLE_NOT_HELD,
    ROLE_NOT_REQUIRED,
    ROLE_SIGNED,
    SIGNATURE_IMAGE_INVALID,
    SUPERVISION_REQUIRED,
)
from app.acceptance.models import Acceptance, AcceptanceSignature
from app.acceptance.rules import Decision, ItemDecision, RoleProblem, SignatoryRole, Status
from app.acceptance.schemas import (
    AcceptanceOpen,
    AcceptancePatch,
    AcceptancePublic,
    ItemPublic,
    PersonPublic,
    RolePublic,
    SignatureCheck,
    SignaturePublic,
    SignIn,
    VerifyPublic,
)
from app.auth import appointments
from app.auth import reads as accounts
from app.auth.authz import scoped_statement
from app.auth.principal import Principal, versions_move
from app.auth.roles import Role
from app.core import audit, clock, db
from app.core.db import locked
from app.files import service as files
from app.projects import moves
from app.projects import reads as projects
from app.projects.lifecycle import STATE_NAMES
from app.projects.reads import ProjectOrganizationRole, ProjectRef, ProjectStatus
from app.registry import reads as registry
from app.residency import reads as residency
from app.residency.todo import SignatureTask
from app.supervision import orders

SIGNATURE_KIND = "acceptance_signature"
# How long the contractor has to put right what a rejection names (the orders' due time).
RECTIFY_DAYS = 14
ROLE_PROBLEMS = {
    RoleProblem.committee_required: COMMITTEE_REQUIRED, RoleProblem.no_committee: NO_COMMITTEE,
    RoleProblem.representatives_required: REPRESENTATIVES_REQUIRED,
    RoleProblem.no_supervision_company: NO_SUPERVISION_COMPANY, RoleProblem.mandatory_missing: MANDATORY_MISSING,
    RoleProblem.supervision_required: SUPERVISION_REQUIRED,
}


def content(a: Acceptance) -> dict[str, Any]:
    """What signatories sign: the record's own data, never names that may change elsewhere."""
    return {"acceptance_id": str(a.id), "project_id": str(a.project_id), "round": a.round,
            "items": [{k: i[k] for k in ("code", "name", "decision", "remarks")} for i in a.items],
            "roles": list(a.roles), "representatives": sorted(a.representatives), "remarks": a.remarks}


# ---- who signs -----------------------------------------------------------------------------------


Linked = dict[ProjectOrganizationRole, set[uuid.UUID]]  # a project's organisations by role


async def _organizations(session: AsyncSession, project_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Linked]:
    return {i: defaultdict(set, roles) for i, roles in (await projects.organization_ids(session, project_ids)).items()}


def _required(a: Acceptance, orgs: Linked) -> list[SignatoryRole]:
    """The roles that must approve the round now: its own, and the supervision company if one is linked."""
    return rules.required_now([SignatoryRole(r) for r in a.roles], bool(orgs[ProjectOrganizationRole.supervision]))


def _held(p: Principal, a: Acceptance, estate: registry.EstateRef, orgs: Linked) -> set[SignatoryRole]:
    held = {
        SignatoryRole.street: estate.street_id in p.scope_ids(Role.street_staff),
        SignatoryRole.community: estate.community_id in p.scope_ids(Role.community_staff),
        SignatoryRole.contractor: bool(orgs[ProjectOrganizationRole.contractor] & set(p.scope_ids(Role.contractor))),
        SignatoryRole.supervision: bool(orgs[ProjectOrganizationRole.supervision] & set(p.scope_ids(Role.contractor))),
        SignatoryRole.committee: a.estate_id in p.scope_ids(Role.committee_member),
        SignatoryRole.resident_rep: str(p.id) in a.representatives,
    }
    return {r for r in _required(a, orgs) if held[r]}


async def held_roles(session: AsyncSession, p: Principal, a: Acceptance, orgs: Linked | None = None) -> set[SignatoryRole]:
    """The required roles the caller may sign for (an admin too: only those it holds); ``orgs``, the
    project's organisations, when the caller has read them already."""
    estate = await registry.estate(session, a.estate_id)
    assert estate is not None  # foreign key
    if orgs is None:
        orgs = (await _organizations(session, [a.project_id]))[a.project_id]
    return _held(p, a, estate, orgs)


async def signatories(session: AsyncSession, a: Acceptance) -> list[uuid.UUID]:
    """Every account that may sign for one of the required roles."""
    estate = await registry.estate(session, a.estate_id)
    assert estate is not None  # foreign key
    orgs = (await _organizations(session, [a.project_id]))[a.project_id]
    scopes = {
        SignatoryRole.street: (Role.street_staff, [estate.street_id]),
        SignatoryRole.community: (Role.community_staff, [estate.community_id]),
        SignatoryRole.contractor: (Role.contractor, list(orgs[ProjectOrganizationRole.contractor])),
        SignatoryRole.supervision: (Role.contractor, list(orgs[ProjectOrganizationRole.supervision])),
        SignatoryRole.committee: (Role.committee_member, [a.estate_id]),
    }
    out: list[uuid.UUID] = []
    for r in _required(a, orgs):
        if r == SignatoryRole.resident_rep:
            out += [uuid.UUID(u) for u in a.representatives]
            continue
        role, ids = scopes[r]
        out += [u for users in (await appointments.holders(session, role, ids)).values() for u in users]
    return list(dict.fromkeys(out))


# ---- opening and editing -------------------------------------------------------------------------


async def open_acceptance(session: AsyncSession, p: Principal, project: ProjectRef, data: AcceptanceOpen) -> Acceptance:
    """A new round on a project under construction (moving it to ``accepting``: every item at 100 % and
    every rectification order closed or waived, or the move's 409 says what is missing) or already in
    ``accepting`` without a round open. The checklist lists the project's items, to be decided."""
    if project.status not in (ProjectStatus.constructing, ProjectStatus.accepting):
        raise PROJECT_NOT_READY(details={"stage": STATE_NAMES[project.status]})
    last = await latest(session, project.id)
    if last is not None and last.status == Status.open:
        raise ACCEPTANCE_OPEN()
    if project.status == ProjectStatus.constructing:
        await moves.move(session, project.id, ProjectStatus.accepting, p.id,
                         note=f"发起第{(last.round if last else 0) + 1}轮竣工验收")
    has_committee = bool((await appointments.holders(session, Role.committee_member, [project.estate_id]))
                         [project.estate_id])
    has_supervision = bool(await projects.organizations(session, project.id, ProjectOrganizationRole.supervision))
    representatives = list(dict.fromkeys(data.representatives))
    if representatives:
        residents = set(await residency.residents(session, registry.estate_unit_ids(project.estate_id)))
        if not set(representatives) <= residents:
            raise REPRESENTATIVE_INVALID(details={"user_ids": [str(u) for u in representatives if u not in residents]})
    roles = rules.required_roles(data.roles, has_committee=has_committee, has_supervision=has_supervision,
                                 representatives=len(representatives))
    if isinstance(roles, RoleProblem):
        raise ROLE_PROBLEMS[roles]()
    a = Acceptance(
        project_id=project.id, estate_id=project.estate_id, round=(last.round if last else 0) + 1,
        items=[{"code": i.item_code, "name": i.name, "decision": ItemDecision.pending.value, "remarks": ""}
               for i in await projects.items(session, project.id)],
        roles=[r.value for r in roles], representatives=[str(u) for u in representatives], remarks=data.remarks,
        content_hash="", opened_by=p.id)
    a.content_hash = rules.content_hash(content(a))
    session.add(a)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="acceptance.open", entity_type="acceptance", entity_id=a.id,
                       after=audit.snapshot(a), estate_id=a.estate_id)
    await flows.opened(session, a, project.name, await signatories(session, a))
    return a


async def latest(session: AsyncSession, project_id: uuid.UUID) -> Acceptance | None:
    return (await session.exec(select(Acceptance).where(Acceptance.project_id == project_id)
                               .order_by(col(Acceptance.round).desc()).limit(1))).first()


def _require_open(a: Acceptance) -> None:
    if a.status != Status.open:
        raise ACCEPTANCE_CLOSED(details={"status": rules.STATUS_NAMES[a.status]})


async def update(session: AsyncSession, p: Principal, a: Acceptance, data: AcceptancePatch) -> Acceptance:
    """Decide checklist items, change remarks. A change of the content invalidates every signature in
    force, and their signers are told to sign again; the same content again changes nothing."""
    a = await locked(session, a)
    _require_open(a)
    items = {i["code"]: dict(i) for i in a.items}
    for patch in data.items:
        if patch.code not in items:
            raise ITEM_UNKNOWN(details={"code": patch.code})
        if patch.decision is not None:
            items[patch.code]["decision"] = patch.decision.value
        if patch.remarks is not None:
            items[patch.code]["remarks"] = patch.remarks
    before = audit.snapshot(a)
    a.items = list(items.values())
    if data.remarks is not None:
        a.remarks = data.remarks
    digest = rules.content_hash(content(a))
    if digest == a.content_hash:
        return a
    now = clock.now()
    a.content_hash, a.revision, a.updated_at = digest, a.revision + 1, now
    session.add(a)
    invalidated = (await session.exec(select(AcceptanceSignature).where(
        AcceptanceSignature.acceptance_id == a.id, col(AcceptanceSignature.invalidated_at).is_(None)))).all()
    for s in invalidated:
        s.invalidated_at = now
        session.add(s)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="acceptance.update", entity_type="acceptance", entity_id=a.id,
                       before=before, after={**audit.snapshot(a), "invalidated_signatures": len(invalidated)},
                       estate_id=a.estate_id)
    if invalidated:
        project = await projects.project(session, a.project_id)
        assert project is not None  # foreign key
        await flows.invalidated(session, a, project.name, [s.signer_id for s in invalidated])
    return a


# ---- signing -------------------------------------------------------------------------------------


async def sign(session: AsyncSession, p: Principal, a: Acceptance, data: SignIn) -> AcceptanceSignature:
    """A signatory's decision on the record as they read it (``content_hash``). When every required role
    has approved, the project is accepted; one rejection sends it back to construction with an order per
    reason."""
    a = await locked(session, a)
    _require_open(a)
    role_name = rules.ROLE_NAMES[data.role]
    orgs = (await _organizations(session, [a.project_id]))[a.project_id]
    needed = _required(a, orgs)
    if data.role not in needed:
        raise ROLE_NOT_REQUIRED(details={"role": role_name})
    if data.role not in await held_roles(session, p, a, orgs):
        raise ROLE_NOT_HELD(details={"role": role_name})
    if data.content_hash != a.content_hash:
        raise CONTENT_CHANGED()
    pending = sum(1 for i in a.items if i["decision"] == ItemDecision.pending)
    if pending:
        raise CHECKLIST_INCOMPLETE(details={"count": pending})
    reasons = [r.strip() for r in data.reasons if r.strip()]
    if data.decision == Decision.reject and not reasons:
        raise REASONS_REQUIRED()
    image = (await files.describe(session, [data.signature_file_id])).get(data.signature_file_id)
    if image is None or not image.content_type.startswith("image/"):
        raise SIGNATURE_IMAGE_INVALID()
    signature = AcceptanceSignature(
        acceptance_id=a.id, role=data.role, signer_id=p.id, decision=data.decision, comment=data.comment,
        reasons=reasons if data.decision == Decision.reject else [], signature_file_id=data.signature_file_id,
        content_hash=a.content_hash, revision=a.revision)
    try:
        async with session.begin_nested():
            session.add(signature)
            await session.flush()
    except IntegrityError:  # another signer of the role, at the same moment
        raise ROLE_SIGNED(details={"role": role_name}) from None
    await files.attach(session, p, [data.signature_file_id], SIGNATURE_KIND, a.id)
    await audit.record(session, actor_id=p.id, action="acceptance.sign", entity_type="acceptance", entity_id=a.id,
                       after={"role": data.role.value, "decision": data.decision.value,
                              "content_hash": a.content_hash}, estate_id=a.estate_id)
    valid = await signatures(session, [a.id], in_force=True)
    decided = rules.outcome(needed, [(s.role, s.decision) for s in valid[a.id]])
    if decided != Status.open:
        await _decide(session, p, a, decided, signature)
    return signature


async def _decide(session: AsyncSession, p: Principal, a: Acceptance, decided: Status,
                  signature: AcceptanceSignature) -> None:
    before = audit.snapshot(a)
    a.status, a.decided_at = decided, clock.now()
    session.add(a)
    project = await projects.project(session, a.project_id)
    assert project is not None  # foreign key
    if decided == Status.rejected:
        issued = await orders.issue(session, p.id, project, [
            (reason, f"第{a.round}轮竣工验收未通过（{rules.ROLE_NAMES[signature.role]}）：{reason}")
            for reason in signature.reasons], clock.now() + timedelta(days=RECTIFY_DAYS))
        signature.rectification_ids = [str(o.id) for o in issued]
        session.add(signature)
    await session.flush()
    await audit.record(session, actor_id=p.id, action=f"acceptance.{decided.value}", entity_type="acceptance",
                       entity_id=a.id, before=before, after=audit.snapshot(a), estate_id=a.estate_id)
    if decided == Status.passed:
        await moves.move(session, a.project_id, ProjectStatus.accepted, p.id, note=f"第{a.round}轮竣工验收通过")
    else:
        await moves.move(session, a.project_id, ProjectStatus.constructing, p.id,
                         note=f"第{a.round}轮竣工验收未通过，整改{len(signature.reasons)}项")


async def signatures(session: AsyncSession, ids: list[uuid.UUID],
                     in_force: bool = False) -> dict[uuid.UUID, list[AcceptanceSignature]]:
    out: dict[uuid.UUID, list[AcceptanceSignature]] = {i: [] for i in ids}
    if not ids:
        return out
    stmt = select(AcceptanceSignature).where(col(AcceptanceSignature.acceptance_id).in_(ids))
    if in_force:
        stmt = stmt.where(col(AcceptanceSignature.invalidated_at).is_(None))
    for s in (await session.exec(stmt.order_by(col(AcceptanceSignature.signed_at), col(AcceptanceSignature.id)))).all():
        out[s.acceptance_id].append(s)
    return out


# ---- reading -------------------------------------------------------------------------------------


async def list_acceptances(session: AsyncSession, p: Principal, project_id: uuid.UUID) -> list[Acceptance]:
    return list((await session.exec(select(Acceptance).where(
        Acceptance.project_id == project_id, access.acceptance_condition(p, "read"))
        .order_by(col(Acceptance.round)))).all())


async def public(session: AsyncSession, found: list[Acceptance]) -> list[AcceptancePublic]:
    signed = await signatures(session, [a.id for a in found])
    actors = await accounts.actors(session, [s.signer_id for ss in signed.values() for s in ss])
    names = await accounts.contacts(session, [uuid.UUID(u) for a in found for u in a.representatives])
    orgs = await _organizations(session, {a.project_id for a in found})
    out = []
    for a in found:
        approved = {s.role for s in signed[a.id] if s.invalidated_at is None and s.decision == Decision.approve}
        needed = _required(a, orgs[a.project_id])
        out.append(AcceptancePublic(
            id=a.id, project_id=a.project_id, round=a.round, status=a.status, status_name=rules.STATUS_NAMES[a.status],
            items=[ItemPublic(**i, decision_name=rules.ITEM_DECISION_NAMES[ItemDecision(i["decision"])]) for i in a.items],
            roles=[RolePublic(role=r, role_name=rules.ROLE_NAMES[r], approved=r in approved) for r in needed],
            representatives=[PersonPublic(user_id=u, name=names.get(uuid.UUID(u), ("", None))[0])
                             for u in a.representatives],
            remarks=a.remarks, revision=a.revision, content=content(a), content_hash=a.content_hash,
            opened_at=a.opened_at, decided_at=a.decided_at,
            signatures=[_signature_public(s, actors) for s in signed[a.id]]))
    return out


def _signature_public(s: AcceptanceSignature, actors) -> SignaturePublic:
    return SignaturePublic(
        id=s.id, role=s.role, role_name=rules.ROLE_NAMES[s.role], signer=actors.get(s.signer_id), decision=s.decision,
        comment=s.comment, reasons=s.reasons, rectification_ids=s.rectification_ids,
        signature_file_id=s.signature_file_id, content_hash=s.content_hash, revision=s.revision,
        signed_at=s.signed_at, invalidated_at=s.invalidated_at)


async def verify(session: AsyncSession, a: Acceptance) -> VerifyPublic:
    """Recompute the content hash from the record as stored now and check every signature against it:
    a record or a signature edited in the database no longer matches."""
    digest = rules.content_hash(content(a))
    signed = (await signatures(session, [a.id]))[a.id]
    actors = await accounts.actors(session, [s.signer_id for s in signed])
    checks = [SignatureCheck(id=s.id, role=s.role, signer=actors.get(s.signer_id), decision=s.decision,
                             signed_at=s.signed_at, content_hash=s.content_hash, matches=s.content_hash == digest,
                             invalidated=s.invalidated_at is not None) for s in signed]
    intact = digest == a.content_hash
    return VerifyPublic(acceptance_id=a.id, status=a.status, content_hash=digest, stored_hash=a.content_hash,
                        record_intact=intact, signatures=checks,
                        valid=intact and all(c.matches for c in checks if not c.invalidated))


# ---- files and tasks -----------------------------------------------------------------------------


async def can_read_signature_files(session: AsyncSession, p: Principal, object_id: uuid.UUID) -> bool:
    return (await session.exec(select(Acceptance.id).where(
        Acceptance.id == object_id, access.acceptance_condition(p, "read")))).first() is not None




@scoped_statement
def _open_in_scope(p: Principal) -> Select:
    return sa_select(col(Acceptance.id)).where(col(Acceptance.status) == Status.open, access.acceptance_condition(p))


# The roles ``_held`` grants through a scope. A caller with none of them (a resident) signs only where an open
# round names them as a residents' representative.
_SCOPED_SIGNERS = (Role.street_staff, Role.community_staff, Role.contractor, Role.committee_member)


def signs_only_as_representative(p: Principal) -> bool:
    return not p.is_admin and not any(p.scope_ids(role) for role in _SCOPED_SIGNERS)


# The residents, each at one principal version, whom no open round they can read names as a representative:
# their ``/me/tasks`` needs no statement here. Exact because naming a user in an open round moves their
# version (migration 0021's trigger), as a new binding does, and a caller is served at the version current
# when their request arrived (``app.auth.caller_cache``); a round closing or a name taken off only makes
# the fact truer. Kept where versions move (PostgreSQL), the least recently used first out.
NAMED_NOWHERE: OrderedDict[tuple[uuid.UUID, int], None] = OrderedDict()


async def waiting_for(session: AsyncSession, p: Principal) -> list[SignatureTask]:
    """``/me/tasks``: open acceptances the caller may sign for a role not signed yet. A resident named in no
    open round costs one statement the first time, none after (``NAMED_NOWHERE``); staff one statement
    (built once per shape of caller) when they can read no open round, five however many they can."""
    resident = signs_only_as_representative(p)
    key = (p.id, p.user.principal_version) if resident and versions_move(session) else None
    if key is not None and key in NAMED_NOWHERE:
        NAMED_NOWHERE.move_to_end(key)
        return []
    open_ids = [i for (i,) in await db.rows(session, _open_in_scope(p))]
    found = list((await session.exec(select(Acceptance).where(col(Acceptance.id).in_(open_ids)))).all()
                 if open_ids else [])
    if resident:
        found = [a for a in found if str(p.id) in a.representatives]
    if not found:
        if key is not None:
            NAMED_NOWHERE[key] = None
            if len(NAMED_NOWHERE) > 10_000:
                NAMED_NOWHERE.popitem(last=False)
        return []
    signed = await signatures(session, [a.id for a in found], in_force=True)
    estates = await registry.estates(session, {a.estate_id for a in found})
    orgs = await _organizations(session, {a.project_id for a in found})
    out = []
    for a in found:
        waiting = _held(p, a, estates[a.estate_id], orgs[a.project_id]) - {s.role for s in signed[a.id]}
        if waiting:
            out.append(SignatureTask(acceptance_id=a.id, project_id=a.project_id, round=a.round,
                                     roles=sorted(r.value for r in waiting), content_hash=a.content_hash))
    return out
