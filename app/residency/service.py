"""Unit bindings (docs/domain.md): how a WeChat user becomes a resident of a unit, and invitation codes.

Units and the people on their record belong to the registry: this module reads them through its read
API (``app.registry.reads``) only.

Three ways in: an invitation code printed on a notice delivered to the unit (approved at once); a
WeChat-verified phone equal to an owner's phone on record (approved at once); otherwise a request that a
decider approves - grid workers of the unit's grid, community or street staff above it, admins (the
registry's ``contact`` level).
"""

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, Uuid, bindparam, literal, true, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import reads as accounts
from app.auth.principal import Principal
from app.auth.residence import Assurance, BindingRelation, stronger
from app.core import audit, clock, throttle
from app.core.errors import AppError, ErrorCode, NotFound
from app.core.pagination import PageParams, paginate
from app.files import service as files
from app.notifications.events import Notice, notify
from app.privacy import disclosures
from app.registry import occupants as registry_occupants
from app.registry import reads as registry
from app.residency.errors import (
    BINDING_ALREADY_DECIDED,
    BINDING_EXISTS,
    BINDING_NOT_APPROVED,
    BINDING_PERSON_NOT_ON_RECORD,
    BINDING_PERSON_REQUIRED,
    BINDING_SELF_BENEFIT,
    BINDING_SELF_DECISION,
    BINDING_TARGET_REQUIRED,
    FAMILY_INVITE_NOT_ALLOWED,
    IDENTITY_CHECK_SELF,
    INVITE_CODE_INVALID,
    INVITE_CODE_THROTTLED,
    INVITE_CODE_UNAVAILABLE,
    PERSON_ALREADY_BOUND,
    REALNAME_FAILED,
    REALNAME_MISMATCH,
    REALNAME_UNAVAILABLE,
)
from app.residency.models import BindingMethod, BindingStatus, IdentityCheck, IdentityDocument, InviteCode, UnitBinding
from app.residency.realname import RealNameProvider, RealNameUnavailable
from app.residency.rules import Account, benefits_self
from app.residency.schemas import (
    Applicant,
    BindingDecisionApprove,
    FamilyInvitationCreate,
    IdentityCheckIn,
    InviteCodeCreate,
    MyBindingPublic,
    OnRecord,
    UnitBindingCreate,
    UnitBindingPublic,
)

# No 0/O, 1/I/L: codes are read off paper and typed on a phone.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8
INVITE_ATTEMPTS = 5
IDENTITY_KIND = "identity_check"  # the photo of a document seen in person


def _my_public(b: Any, lab: registry.UnitLabel) -> MyBindingPublic:
    """``b``: a ``UnitBinding``, or a row of ``_MINE``'s columns."""
    return MyBindingPublic(
        id=b.id, unit_id=b.unit_id, unit_label=lab.label, estate_id=lab.estate_id, estate_name=lab.estate_name,
        relation=b.relation, status=b.status, method=b.method,
        assurance=b.assurance if b.status == BindingStatus.approved else None, reject_reason=b.reject_reason,
        created_at=b.created_at,
    )


# What a binding's owner sees of it (``_my_public``), read as plain columns: no object to track.
_MINE = (UnitBinding.id, UnitBinding.unit_id, UnitBinding.relation, UnitBinding.status, UnitBinding.method,
         UnitBinding.assurance, UnitBinding.reject_reason, UnitBinding.created_at)


# The caller's id in the statements built once below; bound when one runs. Another domain's columns read
# beside the bindings (``bindings_beside``) name the caller by it too.
CALLER = bindparam("caller_id", type_=Uuid)


@dataclass(frozen=True)
class BindingsBeside:
    """A statement ``bindings_beside`` made: ``beside`` columns first, then a binding's with its label's."""

    statement: Select
    beside: int


def bindings_beside(beside: Sequence[ColumnElement[Any]] = ()) -> BindingsBeside:
    """The statement of ``my_bindings_beside``: a row of ``beside`` - scalar expressions about the caller
    (``CALLER``) from other domains; ``/me`` asks the privacy domain which consents the caller lacks - outer-
    joined to the caller's bindings with their units' labels, which may be none. Build it once (building
    one costs more than running it): it names nobody until it runs."""
    labels = registry.unit_label_columns()
    mine = (sa_select(*[col(c) for c in _MINE], *labels.c[1:]).join(labels, labels.c.unit_id == UnitBinding.unit_id)
            .where(col(UnitBinding.user_id) == CALLER).subquery("mine"))
    one = sa_select(literal(1).label("one")).subquery("one")
    return BindingsBeside(sa_select(*beside, mine).select_from(one).outerjoin(mine, true())
                          .order_by(mine.c.created_at, mine.c.id), len(beside))


_MY_BINDINGS = bindings_beside()


async def my_bindings(session: AsyncSession, user_id: uuid.UUID) -> list[MyBindingPublic]:
    """The caller's bindings with their units' labels, in one query."""
    return (await my_bindings_beside(session, user_id, _MY_BINDINGS))[0]


async def my_bindings_beside(
    session: AsyncSession, user_id: uuid.UUID, made: BindingsBeside,
) -> tuple[list[MyBindingPublic], tuple[Any, ...]]:
    """The caller's bindings and the values of the columns beside them, by a statement ``bindings_beside``
    made."""
    rows = (await session.exec(made.statement, params={"caller_id": user_id})).all()  # type: ignore[call-overload]
    n = made.beside
    bindings = [_my_public(row, registry.unit_label(*row[n + len(_MINE):])) for row in rows if row.id is not None]
    return bindings, tuple(rows[0][:n])


def _last_four(phone: str | None) -> str | None:
    return None if phone is None else "*" * max(len(phone) - 4, 0) + phone[-4:]


async def public_bindings(session: AsyncSession, viewer: Principal, bindings: list[UnitBinding]) -> list[UnitBindingPublic]:
    """Bindings as deciders see them - what to check: the applicant's nickname and verified phone (its last
    four digits), the unit's people on record (their names in full: the read is recorded), when it was
    asked - in three queries."""
    labels = await registry.unit_labels(session, {b.unit_id for b in bindings})
    people = await registry.occupants_of_units(session, {b.unit_id for b in bindings})
    applicants = await accounts.contacts(session, {b.user_id for b in bindings})
    out = []
    for b in bindings:
        name, phone = applicants[b.user_id]
        out.append(
            UnitBindingPublic(
                **_my_public(b, labels[b.unit_id]).model_dump(),
                applicant=Applicant(id=b.user_id, display_name=name, phone=_last_four(phone)),
                person_id=b.person_id,
                on_record=[OnRecord(person_id=o.person_id, name=o.name, relation=o.relation.value,
                                    phone_last4=o.phone[-4:] if o.phone else None)
                           for o in people.get(b.unit_id, [])],
                note=b.note,
                decided_at=b.decided_at,
            )
        )
    await disclosures.record(session, viewer.id, persons={o.person_id for b in bindings
                                                          for o in people.get(b.unit_id, [])})
    return out


# ---- requesting -------------------------------------------------------------------------------------


async def _accounts_of(session: AsyncSession, user_ids: list[uuid.UUID | None]) -> list[Account]:
    """The accounts of these people: their own and every account they created."""
    return [Account(uid, phone) for uid, phone in
            await accounts.accounts_of(session, [i for i in user_ids if i is not None])]


def _account(p: Principal) -> Account:
    return Account(p.id, p.user.phone)


async def _self_benefit(
    session: AsyncSession, me: Account, occupant: registry.Occupant, actor_ids: list[uuid.UUID | None],
    error: ErrorCode = BINDING_SELF_BENEFIT,
) -> ErrorCode | None:
    """Whoever issued the code, corrected the person's record (``recorded_by``) or decides may not be,
    under any of their accounts, the one bound: ``error`` for the ``actor_ids``, ``binding_self_benefit``
    for the one who corrected the record; None when neither."""
    if actor_ids and benefits_self(me, occupant.phone, await _accounts_of(session, actor_ids)):
        return error
    if benefits_self(me, occupant.phone, await _accounts_of(session, [occupant.recorded_by])):
        return BINDING_SELF_BENEFIT
    return None


async def _refuse_self_benefit(
    session: AsyncSession, me: Account, occupant: registry.Occupant, actor_ids: list[uuid.UUID | None],
    error: ErrorCode = BINDING_SELF_BENEFIT,
) -> None:
    if (refusal := await _self_benefit(session, me, occupant, actor_ids, error)) is not None:
        raise refusal()


async def _occupant(session: AsyncSession, unit_id: uuid.UUID, person_id: uuid.UUID) -> registry.Occupant:
    found = next((o for o in await registry.occupants(session, unit_id) if o.person_id == person_id), None)
    if found is None:
        raise BINDING_PERSON_NOT_ON_RECORD(details={"person_id": str(person_id)})
    return found


async def _bound_elsewhere(session: AsyncSession, binding: UnitBinding, person_id: uuid.UUID) -> bool:
    """Whether another account's approved binding already names this person on this unit."""
    stmt = select(UnitBinding.id).where(
        UnitBinding.unit_id == binding.unit_id, UnitBinding.person_id == person_id,
        UnitBinding.status == BindingStatus.approved, UnitBinding.user_id != binding.user_id,
    )
    return (await session.exec(stmt.limit(1))).first() is not None


def _approve(binding: UnitBinding, method: BindingMethod, decided_by: uuid.UUID | None,
             occupant: registry.Occupant) -> None:
    """Approve as the person on record: the record, not the claim, says owner, co-owner or tenant. How the
    person was verified goes with it: the code printed for them, their phone on the record, or - when a
    decider approves - the decider's check of the person in front of them (docs/ballot-procedure.md)."""
    binding.status, binding.method = BindingStatus.approved, method
    binding.decided_by, binding.decided_at, binding.reject_reason = decided_by, clock.now(), None
    binding.person_id, binding.relation = occupant.person_id, BindingRelation(occupant.relation.value)
    binding.assurance = Assurance.in_person if decided_by is not None else ASSURANCE_OF[method]


ASSURANCE_OF = {BindingMethod.invite_code: Assurance.invite_code, BindingMethod.phone_match: Assurance.phone_match}


async def _existing(session: AsyncSession, user_id: uuid.UUID, unit_id: uuid.UUID) -> UnitBinding | None:
    return (
        await session.exec(select(UnitBinding).where(UnitBinding.user_id == user_id, UnitBinding.unit_id == unit_id))
    ).first()


async def _record(
    session: AsyncSession, actor_id: uuid.UUID | None, action: str, binding: UnitBinding, before: dict | None, **extra
) -> None:
    unit = (await registry.unit_refs(session, [binding.unit_id])).get(binding.unit_id)
    await audit.record(session, actor_id=actor_id, action=action, entity_type="unit_binding", entity_id=binding.id,
                       before=before, after={**audit.snapshot(binding), **extra},
                       estate_id=unit.estate_id if unit else None)


async def request_binding(session: AsyncSession, p: Principal, body: UnitBindingCreate, source: str) -> UnitBinding | AppError:
    """A request by unit (approved at once by phone match, else pending) or a redemption of a code.

    A refused code is *returned*, not raised, so that the request's transaction commits its count
    towards the throttle and its audit entry (see ``app.auth.service``)."""
    if (body.unit_id is None) == (body.invite_code is None):
        raise BINDING_TARGET_REQUIRED(details={"give_exactly_one_of": ["unit_id", "invite_code"]})
    if body.invite_code is not None:
        return await _bind_by_invite(session, p, body.invite_code, source)
    unit_id = body.unit_id
    assert unit_id is not None
    # The applicant is not in the unit's scope yet: check existence only, reveal nothing else.
    if not await registry.unit_refs(session, [unit_id]):
        raise NotFound()
    binding = await _existing(session, p.id, unit_id)
    if binding is not None and binding.status != BindingStatus.rejected:
        raise BINDING_EXISTS()
    before = audit.snapshot(binding)
    if binding is None:
        binding = UnitBinding(user_id=p.id, unit_id=unit_id, relation=BindingRelation.owner, method=BindingMethod.request)
    # A rejected request is reopened rather than duplicated (one row per user and unit).
    binding.status, binding.method = BindingStatus.pending, BindingMethod.request
    binding.relation = body.relation or BindingRelation.owner
    binding.note = body.note
    binding.decided_by = binding.decided_at = binding.reject_reason = None
    binding.person_id = None
    await _match_by_phone(session, p, binding)
    session.add(binding)
    await session.flush()
    await _record(session, p.id, "binding.request", binding, before)
    return binding


async def _match_by_phone(session: AsyncSession, p: Principal, binding: UnitBinding) -> None:
    """A WeChat-verified phone equal to an owner's on record approves at once - unless the applicant put
    that phone there themselves, or another account is already bound as that person: then the request
    names the person and waits for a decider."""
    # Only a WeChat user's phone came through getPhoneNumber (staff accounts' phones are typed in by
    # whoever created them), so only theirs proves anything.
    if p.user.phone is None or p.user.wechat_openid is None:
        return
    match = await registry.person_on_record(session, binding.unit_id, p.user.phone)
    if match is None:
        return
    occupant = await _occupant(session, binding.unit_id, match.person_id)
    binding.person_id = occupant.person_id
    if await _self_benefit(session, _account(p), occupant, []) is None and not await _bound_elsewhere(
        session, binding, occupant.person_id
    ):
        _approve(binding, BindingMethod.phone_match, None, occupant)


# Wrong invitation codes allowed in a window per account, and per source address (more: a building's
# WiFi or a carrier's NAT puts many households behind one address).
INVITE_FAILURES_PER_ACCOUNT = 10
INVITE_FAILURES_PER_SOURCE = 30
INVITE_FAILURE_WINDOW = timedelta(hours=1)


async def _refused_code(session: AsyncSession, p: Principal, keys: list[str], source: str, reason: str) -> AppError:
    for key in keys:
        await throttle.hit(session, key, INVITE_FAILURE_WINDOW)
    await audit.record(session, actor_id=p.id, action="binding.code_refused", entity_type="user",
                       entity_id=p.id, after={"reason": reason, "source": source})
    return INVITE_CODE_INVALID()


async def _bind_by_invite(session: AsyncSession, p: Principal, raw_code: str, source: str) -> UnitBinding | AppError:
    account_key, source_key = f"invite:user:{p.id}", f"invite:source:{source}"
    keys = [account_key, source_key]
    waits = [w for w in (
        await throttle.retry_after(session, account_key, INVITE_FAILURES_PER_ACCOUNT, INVITE_FAILURE_WINDOW),
        await throttle.retry_after(session, source_key, INVITE_FAILURES_PER_SOURCE, INVITE_FAILURE_WINDOW),
    ) if w is not None]
    if waits:
        wait = max(waits)
        await audit.record(session, actor_id=p.id, action="binding.code_refused", entity_type="user",
                           entity_id=p.id, after={"reason": "throttled", "source": source})
        return INVITE_CODE_THROTTLED(details={"retry_after_seconds": wait}, headers={"Retry-After": str(wait)})
    code = raw_code.strip().upper()
    invite = (await session.exec(select(InviteCode).where(InviteCode.code == code))).first()
    now = clock.now()
    if invite is None or invite.used_at is not None or invite.expires_at <= now or invite.person_id is None:
        return await _refused_code(session, p, keys, source, "invalid")
    binding = await _existing(session, p.id, invite.unit_id)
    if binding is not None and binding.status == BindingStatus.approved:
        raise BINDING_EXISTS()  # the code stays unused for another household member
    occupants = {o.person_id: o for o in await registry.occupants(session, invite.unit_id)}
    occupant = occupants.get(invite.person_id)
    if occupant is None:  # taken off the record since the code was printed
        return await _refused_code(session, p, keys, source, "person_not_on_record")
    # Consume the code first, conditionally: of concurrent redemptions exactly one changes the row, and the
    # others are told the code is used (not what the winner's binding makes true meanwhile). A refusal
    # below raises, which rolls the consumption back with the request.
    consumed = await session.exec(
        update(InviteCode)
        .where(col(InviteCode.id) == invite.id, col(InviteCode.used_at).is_(None), col(InviteCode.expires_at) > now)
        .values(used_at=now, used_by=p.id)
        .execution_options(synchronize_session=False)
    )
    if consumed.rowcount != 1:
        return await _refused_code(session, p, keys, source, "used")
    set_committed_value(invite, "used_at", now)
    set_committed_value(invite, "used_by", p.id)
    await _refuse_self_benefit(session, _account(p), occupant, [invite.created_by])
    probe = binding or UnitBinding(user_id=p.id, unit_id=invite.unit_id)
    if await _bound_elsewhere(session, probe, occupant.person_id):
        raise PERSON_ALREADY_BOUND()
    before = audit.snapshot(binding)
    if binding is None:
        binding = UnitBinding(user_id=p.id, unit_id=invite.unit_id, relation=invite.relation,
                              method=BindingMethod.invite_code)
    # A pending or rejected request for the same unit is settled by the code.
    _approve(binding, BindingMethod.invite_code, None, occupant)
    session.add(binding)
    await session.flush()
    await _record(session, p.id, "binding.request", binding, before, invite_code_id=str(invite.id))
    return binding


# ---- deciding ---------------------------------------------------------------------------------------


def _decidable(principal: Principal, estate_id: uuid.UUID | None = None):
    """Bindings of the units the principal may decide on (the registry's ``contact`` level)."""
    return select(UnitBinding).where(col(UnitBinding.unit_id).in_(registry.unit_ids(principal, "contact", estate_id=estate_id)))


async def list_for_decider(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    status: BindingStatus | None,
    estate_id: uuid.UUID | None,
) -> tuple[list[UnitBindingPublic], str | None]:
    stmt = _decidable(principal, estate_id)
    if status is not None:
        stmt = stmt.where(UnitBinding.status == status)
    stmt = stmt.where(UnitBinding.user_id != principal.id)  # one's own requests are for someone else to decide
    rows, cursor = await paginate(session, stmt, [col(UnitBinding.created_at), col(UnitBinding.id)], params)
    return await public_bindings(session, principal, rows), cursor


TASK_LIST_LIMIT = 100  # /me/tasks is a to-do summary; the full list is /unit-bindings


async def pending_for_decider(session: AsyncSession, principal: Principal) -> list[UnitBindingPublic]:
    if not principal.is_staff:
        return []
    rows = (
        await session.exec(
            _decidable(principal)
            .where(UnitBinding.status == BindingStatus.pending, UnitBinding.user_id != principal.id)
            .order_by(UnitBinding.created_at, UnitBinding.id)
            .limit(TASK_LIST_LIMIT)
        )
    ).all()
    return await public_bindings(session, principal, list(rows))


async def _load_for_decider(session: AsyncSession, principal: Principal, binding_id: uuid.UUID) -> UnitBinding:
    binding = (
        await session.exec(_decidable(principal).where(UnitBinding.id == binding_id).with_for_update())
    ).first()
    if binding is None:
        raise NotFound()  # outside the decider's scope looks the same as absent
    if binding.user_id == principal.id:
        # A grid worker or staff member living in their own area must not make themselves a resident.
        raise BINDING_SELF_DECISION()
    if binding.status != BindingStatus.pending:
        raise BINDING_ALREADY_DECIDED(details={"status": binding.status.value})
    return binding


async def approve_binding(
    session: AsyncSession, principal: Principal, binding_id: uuid.UUID, decision: BindingDecisionApprove,
) -> UnitBinding:
    """Approve the applicant as one person on the unit's record: ``person_id``, or the person their
    request already names (a phone match that waits for a decider). The decider checked the person: the
    binding's assurance is ``in_person``, with the document seen (and its photo) if given."""
    person_id = decision.person_id
    binding = await _load_for_decider(session, principal, binding_id)
    person_id = person_id or binding.person_id
    if person_id is None:
        raise BINDING_PERSON_REQUIRED()
    occupant = await _occupant(session, binding.unit_id, person_id)
    name_and_phone = (await accounts.contacts(session, [binding.user_id]))[binding.user_id]
    applicant = Account(binding.user_id, name_and_phone[1])
    # Not an account of the decider's own (nor one they created), and not a person whose record they or
    # the applicant corrected.
    await _refuse_self_benefit(session, applicant, occupant, [principal.id], error=BINDING_SELF_DECISION)
    if await _bound_elsewhere(session, binding, occupant.person_id):
        raise PERSON_ALREADY_BOUND()
    before = audit.snapshot(binding)
    _approve(binding, binding.method, principal.id, occupant)
    session.add(binding)
    await session.flush()
    await _checked(session, principal, binding, Assurance.in_person, decision.document, decision.document_file_id)
    await _record(session, principal.id, "binding.approve", binding, before)
    await _tell_applicant(session, binding, "已通过", "您的房屋绑定申请已通过，可以参与小区改造事项了。")
    return binding


async def _checked(session: AsyncSession, checker: Principal | None, binding: UnitBinding, assurance: Assurance,
                   document: IdentityDocument | None = None, file_id: uuid.UUID | None = None) -> IdentityCheck:
    """Record a check of the person behind ``binding`` (by ``checker``, or the provider when None)."""
    if file_id is not None:
        assert checker is not None
        await files.attach(session, checker, [file_id], IDENTITY_KIND, binding.id)
    check = IdentityCheck(binding_id=binding.id, assurance=assurance, document=document, file_id=file_id,
                          checked_by=checker.id if checker else None)
    session.add(check)
    await session.flush()
    return check


async def check_identity(session: AsyncSession, principal: Principal, binding_id: uuid.UUID,
                         data: IdentityCheckIn) -> UnitBinding:
    """A grid worker or staff member checked the bound person's ID card or property certificate in person:
    the binding's assurance rises to ``in_person``. Never for an account of one's own (or one created by
    oneself), nor for a person carrying one's phone."""
    binding = (await session.exec(_decidable(principal).where(UnitBinding.id == binding_id).with_for_update())).first()
    if binding is None:
        raise NotFound()
    if binding.status != BindingStatus.approved or binding.person_id is None:
        raise BINDING_NOT_APPROVED()
    occupant = await _occupant(session, binding.unit_id, binding.person_id)
    name_and_phone = (await accounts.contacts(session, [binding.user_id]))[binding.user_id]
    await _refuse_self_benefit(session, Account(binding.user_id, name_and_phone[1]), occupant, [principal.id],
                               error=IDENTITY_CHECK_SELF)
    before = audit.snapshot(binding)
    binding.assurance = stronger(binding.assurance, Assurance.in_person)
    session.add(binding)
    await session.flush()
    check = await _checked(session, principal, binding, Assurance.in_person, data.document, data.file_id)
    await _record(session, principal.id, "binding.identity_check", binding, before, check_id=str(check.id))
    return binding


async def check_real_name(session: AsyncSession, principal: Principal, binding_id: uuid.UUID, token: str,
                          provider: RealNameProvider | None) -> UnitBinding:
    """The caller's own binding, checked by the real-name provider: the verified name must be the one on
    the unit's record. The assurance rises to ``provider``."""
    binding = (await session.exec(select(UnitBinding).where(
        UnitBinding.id == binding_id, UnitBinding.user_id == principal.id).with_for_update())).first()
    if binding is None:
        raise NotFound()
    if binding.status != BindingStatus.approved or binding.person_id is None:
        raise BINDING_NOT_APPROVED()
    if provider is None:
        raise REALNAME_UNAVAILABLE()
    try:
        result = await provider.verify(token)
    except RealNameUnavailable:
        raise REALNAME_UNAVAILABLE() from None
    if not result.verified:
        raise REALNAME_FAILED()
    occupant = await _occupant(session, binding.unit_id, binding.person_id)
    if result.name is None or result.name.strip() != occupant.name.strip():
        raise REALNAME_MISMATCH()
    before = audit.snapshot(binding)
    binding.assurance = stronger(binding.assurance, Assurance.provider)
    session.add(binding)
    await session.flush()
    check = await _checked(session, None, binding, Assurance.provider)
    await _record(session, principal.id, "binding.real_name", binding, before, check_id=str(check.id))
    return binding


async def can_read_identity_files(session: AsyncSession, p: Principal, binding_id: uuid.UUID) -> bool:
    """A document's photo is seen by those who decide the unit's bindings (and its uploader)."""
    return (await session.exec(_decidable(p).where(UnitBinding.id == binding_id))).first() is not None


async def _tell_applicant(
    session: AsyncSession, binding: UnitBinding, outcome: str, body: str, remark: str = "如有疑问请联系网格员"
) -> None:
    """The applicant learns a decision on their binding (inbox; WeChat if they subscribed)."""
    label = (await registry.unit_labels(session, [binding.unit_id]))[binding.unit_id]
    await notify(session, Notice(
        template="binding_decided", title=f"房屋绑定{outcome}：{label.full}", body=body,
        data={"thing1": label.full, "phrase2": outcome, "thing3": remark,
              "time4": clock.now()},
        page="pages/me/bindings",
    ), [binding.user_id])


async def reject_binding(session: AsyncSession, principal: Principal, binding_id: uuid.UUID, reason: str) -> UnitBinding:
    binding = await _load_for_decider(session, principal, binding_id)
    before = audit.snapshot(binding)
    binding.status, binding.decided_by, binding.decided_at = BindingStatus.rejected, principal.id, clock.now()
    binding.reject_reason = reason
    session.add(binding)
    await session.flush()
    await _record(session, principal.id, "binding.reject", binding, before)
    await _tell_applicant(session, binding, "未通过", f"您的房屋绑定申请未通过：{reason}", remark=reason)
    return binding


async def recheck_removed_persons(
    session: AsyncSession, unit_id: uuid.UUID, person_ids, actor_id: uuid.UUID | None
) -> None:
    """A correction took these persons off the unit's record (or changed their relation): their approved
    bindings go back to pending, to be checked again by a decider. Nothing moves to the new person."""
    bindings = (
        await session.exec(
            select(UnitBinding).where(UnitBinding.unit_id == unit_id, col(UnitBinding.person_id).in_(list(person_ids)),
                                      UnitBinding.status == BindingStatus.approved)
        )
    ).all()
    for binding in bindings:
        before = audit.snapshot(binding)
        binding.status, binding.decided_by, binding.decided_at = BindingStatus.pending, None, None
        binding.note = RECHECK_NOTE
        session.add(binding)
        await session.flush()
        await _record(session, actor_id, "binding.recheck", binding, before)
        await _tell_applicant(session, binding, "待核实", f"{RECHECK_NOTE}，网格员核实前暂不能以住户身份参与。",
                              remark=RECHECK_NOTE)


RECHECK_NOTE = "房屋登记信息已更正，需重新核实"


# ---- invitation codes -------------------------------------------------------------------------------


async def _invitee(session: AsyncSession, unit_id: uuid.UUID, body: InviteCodeCreate) -> registry.Occupant:
    """The person the code is for: ``person_id``, or else the unit's only person in ``relation``."""
    if body.person_id is not None:
        return await _occupant(session, unit_id, body.person_id)
    candidates = [o for o in await registry.occupants(session, unit_id) if o.relation.value == body.relation.value]
    if len(candidates) != 1:
        raise BINDING_PERSON_REQUIRED(details={"relation": body.relation.value, "candidates": len(candidates)})
    return candidates[0]


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


async def create_invite_code(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, body: InviteCodeCreate
) -> InviteCode:
    unit = await registry.unit_in_scope(session, principal, unit_id, "contact")
    if unit is None:
        raise NotFound()
    occupant = await _invitee(session, unit_id, body)
    return await _issue_code(session, principal.id, unit_id, unit.estate_id, occupant, body.valid_days)


async def invite_family(
    session: AsyncSession, principal: Principal, binding_id: uuid.UUID, body: FamilyInvitationCreate
) -> InviteCode:
    """A bound owner or co-owner invites a co-owner on record, or a tenant (on record, or added now as their
    tenant). The code names that person, so the invitee is bound in the record's relation - a tenant as
    tenant - and the inviter, who issued it, can never redeem it themselves."""
    binding = await session.get(UnitBinding, binding_id)
    if binding is None or binding.user_id != principal.id:
        raise NotFound()
    if binding.status != BindingStatus.approved or binding.relation not in (BindingRelation.owner,
                                                                             BindingRelation.co_owner):
        raise FAMILY_INVITE_NOT_ALLOWED()
    if body.person_id is not None:
        occupant = await _occupant(session, binding.unit_id, body.person_id)
        if occupant.relation.value != body.relation:
            raise BINDING_PERSON_NOT_ON_RECORD(details={"person_id": str(body.person_id), "relation": body.relation})
    elif body.relation == "tenant" and body.name:
        occupant = await registry_occupants.add_tenant(session, binding.unit_id, body.name, body.phone, principal.id)
    else:  # co-owners come from the ledger: they carry votes
        raise BINDING_PERSON_REQUIRED(details={"relation": body.relation})
    unit = (await registry.unit_refs(session, [binding.unit_id]))[binding.unit_id]
    return await _issue_code(session, principal.id, binding.unit_id, unit.estate_id, occupant, body.valid_days)


async def _issue_code(
    session: AsyncSession, issuer_id: uuid.UUID, unit_id: uuid.UUID, estate_id: uuid.UUID,
    occupant: registry.Occupant, valid_days: int,
) -> InviteCode:
    # The issuer may not print a code for a person carrying their own phone.
    if benefits_self(None, occupant.phone, await _accounts_of(session, [issuer_id])):
        raise BINDING_SELF_BENEFIT()
    # 31^8 ≈ 8.5e11 codes: a collision is rare, but the unique column must never turn it into a 500. Each
    # attempt inserts in a savepoint, so that a code taken meanwhile by a concurrent request is retried too.
    for _ in range(INVITE_ATTEMPTS):
        invite = InviteCode(
            code=new_invite_code(), unit_id=unit_id, person_id=occupant.person_id,
            relation=BindingRelation(occupant.relation.value), created_by=issuer_id,
            expires_at=clock.now() + timedelta(days=valid_days),
        )
        try:
            async with session.begin_nested():
                session.add(invite)
                await session.flush()
        except IntegrityError:
            continue
        # The code itself stays out of the log: whoever reads the log could redeem it.
        after = {k: v for k, v in audit.snapshot(invite).items() if k != "code"}
        await audit.record(session, actor_id=issuer_id, action="invite_code.create", entity_type="invite_code",
                           entity_id=invite.id, after=after, estate_id=estate_id)
        return invite
    raise INVITE_CODE_UNAVAILABLE()
