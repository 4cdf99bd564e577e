"""Unit bindings (DESIGN.md §3): how a WeChat user becomes a resident of a unit, and invitation codes.

Units and the people on their record belong to the registry: this module reads them through its read
API (``app.registry.reads``) only.

Three ways in: an invitation code printed on a notice delivered to the unit (approved at once); a
WeChat-verified phone equal to an owner's phone on record (approved at once); otherwise a request that a
decider approves - grid workers of the unit's grid, community or street staff above it, admins (the
registry's ``contact`` level).
"""

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.errors import (
    BINDING_ALREADY_DECIDED,
    BINDING_EXISTS,
    BINDING_SELF_DECISION,
    BINDING_TARGET_REQUIRED,
    INVITE_CODE_INVALID,
    INVITE_CODE_UNAVAILABLE,
)
from app.auth.models import (
    BindingMethod,
    BindingRelation,
    BindingStatus,
    InviteCode,
    UnitBinding,
    User,
)
from app.auth.principal import Principal
from app.auth.schemas import (
    Applicant,
    InviteCodeCreate,
    MyBindingPublic,
    UnitBindingCreate,
    UnitBindingPublic,
)
from app.core import audit, clock
from app.core.errors import NotFound
from app.core.pagination import PageParams, paginate
from app.registry import reads as registry

# No 0/O, 1/I/L: codes are read off paper and typed on a phone.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8
INVITE_ATTEMPTS = 5


def _my_public(b: UnitBinding, labels: dict[uuid.UUID, registry.UnitLabel]) -> MyBindingPublic:
    lab = labels[b.unit_id]
    return MyBindingPublic(
        id=b.id, unit_id=b.unit_id, unit_label=lab.label, estate_id=lab.estate_id, estate_name=lab.estate_name,
        relation=b.relation, status=b.status, method=b.method, reject_reason=b.reject_reason, created_at=b.created_at,
    )


async def my_bindings(session: AsyncSession, user_id: uuid.UUID) -> list[MyBindingPublic]:
    bindings = (
        await session.exec(
            select(UnitBinding).where(UnitBinding.user_id == user_id).order_by(UnitBinding.created_at, UnitBinding.id)
        )
    ).all()
    labels = await registry.unit_labels(session, {b.unit_id for b in bindings})
    return [_my_public(b, labels) for b in bindings]


async def public_bindings(session: AsyncSession, bindings: list[UnitBinding]) -> list[UnitBindingPublic]:
    """Bindings as deciders see them, with labels and applicants fetched in two queries."""
    labels = await registry.unit_labels(session, {b.unit_id for b in bindings})
    user_ids = list({b.user_id for b in bindings})
    users = {u.id: u for u in (await session.exec(select(User).where(User.id.in_(user_ids)))).all()} if user_ids else {}
    out = []
    for b in bindings:
        applicant = users[b.user_id]
        out.append(
            UnitBindingPublic(
                **_my_public(b, labels).model_dump(),
                applicant=Applicant(id=applicant.id, display_name=applicant.display_name, phone=applicant.phone),
                note=b.note,
                decided_at=b.decided_at,
            )
        )
    return out


# ---- requesting -------------------------------------------------------------------------------------


async def _owner_on_record(session: AsyncSession, user: User, unit_id: uuid.UUID) -> registry.PersonOnRecord | None:
    # Only a WeChat user's phone came through getPhoneNumber (staff accounts' phones are typed in by
    # whoever created them), so only theirs proves anything.
    if user.phone is None or user.wechat_openid is None:
        return None
    return await registry.person_on_record(session, unit_id, user.phone)


def _approve(binding: UnitBinding, method: BindingMethod, decided_by: uuid.UUID | None) -> None:
    binding.status, binding.method = BindingStatus.approved, method
    binding.decided_by, binding.decided_at, binding.reject_reason = decided_by, clock.now(), None


async def _existing(session: AsyncSession, user_id: uuid.UUID, unit_id: uuid.UUID) -> UnitBinding | None:
    return (
        await session.exec(select(UnitBinding).where(UnitBinding.user_id == user_id, UnitBinding.unit_id == unit_id))
    ).first()


async def _record(
    session: AsyncSession, actor_id: uuid.UUID, action: str, binding: UnitBinding, before: dict | None, **extra
) -> None:
    unit = (await registry.unit_refs(session, [binding.unit_id])).get(binding.unit_id)
    await audit.record(session, actor_id=actor_id, action=action, entity_type="unit_binding", entity_id=binding.id,
                       before=before, after={**audit.snapshot(binding), **extra},
                       estate_id=unit.estate_id if unit else None)


async def request_binding(session: AsyncSession, user: User, body: UnitBindingCreate) -> UnitBinding:
    if (body.unit_id is None) == (body.invite_code is None):
        raise BINDING_TARGET_REQUIRED(details={"give_exactly_one_of": ["unit_id", "invite_code"]})
    if body.invite_code is not None:
        return await _bind_by_invite(session, user, body.invite_code)
    unit_id = body.unit_id
    assert unit_id is not None
    # The applicant is not in the unit's scope yet: check existence only, reveal nothing else.
    if not await registry.unit_refs(session, [unit_id]):
        raise NotFound()
    binding = await _existing(session, user.id, unit_id)
    if binding is not None and binding.status != BindingStatus.rejected:
        raise BINDING_EXISTS()
    before = audit.snapshot(binding)
    if binding is None:
        binding = UnitBinding(user_id=user.id, unit_id=unit_id, relation=BindingRelation.owner, method=BindingMethod.request)
    # A rejected request is reopened rather than duplicated (one row per user and unit).
    binding.status, binding.method = BindingStatus.pending, BindingMethod.request
    binding.relation = body.relation or BindingRelation.owner
    binding.note = body.note
    binding.decided_by = binding.decided_at = binding.reject_reason = None
    binding.person_id = None
    match = await _owner_on_record(session, user, unit_id)
    if match is not None:
        _approve(binding, BindingMethod.phone_match, None)
        binding.person_id = match.person_id
        binding.relation = BindingRelation(match.relation.value)  # the record, not the claim, says owner or co-owner
    session.add(binding)
    await session.flush()
    await _record(session, user.id, "binding.request", binding, before)
    return binding


async def _bind_by_invite(session: AsyncSession, user: User, raw_code: str) -> UnitBinding:
    code = raw_code.strip().upper()
    invite = (await session.exec(select(InviteCode).where(InviteCode.code == code))).first()
    now = clock.now()
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        raise INVITE_CODE_INVALID()
    binding = await _existing(session, user.id, invite.unit_id)
    if binding is not None and binding.status == BindingStatus.approved:
        raise BINDING_EXISTS()  # the code stays unused for another household member
    # Consume the code first, conditionally: of concurrent redemptions exactly one changes the row.
    consumed = await session.exec(
        update(InviteCode)
        .where(InviteCode.id == invite.id, InviteCode.used_at.is_(None), InviteCode.expires_at > now)
        .values(used_at=now, used_by=user.id)
        .execution_options(synchronize_session=False)
    )
    if consumed.rowcount != 1:
        raise INVITE_CODE_INVALID()
    set_committed_value(invite, "used_at", now)
    set_committed_value(invite, "used_by", user.id)
    before = audit.snapshot(binding)
    if binding is None:
        binding = UnitBinding(user_id=user.id, unit_id=invite.unit_id, relation=invite.relation,
                              method=BindingMethod.invite_code)
    # A pending or rejected request for the same unit is settled by the code.
    binding.relation = invite.relation
    _approve(binding, BindingMethod.invite_code, None)
    session.add(binding)
    await session.flush()
    await _record(session, user.id, "binding.request", binding, before, invite_code_id=str(invite.id))
    return binding


# ---- deciding ---------------------------------------------------------------------------------------


def _decidable(principal: Principal, estate_id: uuid.UUID | None = None):
    """Bindings of the units the principal may decide on (the registry's ``contact`` level)."""
    return select(UnitBinding).where(UnitBinding.unit_id.in_(registry.unit_ids(principal, "contact", estate_id=estate_id)))


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
    rows, cursor = await paginate(session, stmt, [UnitBinding.created_at, UnitBinding.id], params)
    return await public_bindings(session, rows), cursor


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
    return await public_bindings(session, list(rows))


async def _load_for_decider(session: AsyncSession, principal: Principal, binding_id: uuid.UUID) -> UnitBinding:
    binding = (await session.exec(_decidable(principal).where(UnitBinding.id == binding_id))).first()
    if binding is None:
        raise NotFound()  # outside the decider's scope looks the same as absent
    if binding.user_id == principal.id:
        # A grid worker or staff member living in their own area must not make themselves a resident.
        raise BINDING_SELF_DECISION()
    if binding.status != BindingStatus.pending:
        raise BINDING_ALREADY_DECIDED(details={"status": binding.status.value})
    return binding


async def approve_binding(session: AsyncSession, principal: Principal, binding_id: uuid.UUID) -> UnitBinding:
    binding = await _load_for_decider(session, principal, binding_id)
    before = audit.snapshot(binding)
    binding.status, binding.decided_by, binding.decided_at = BindingStatus.approved, principal.id, clock.now()
    session.add(binding)
    await session.flush()
    await _record(session, principal.id, "binding.approve", binding, before)
    return binding


async def reject_binding(session: AsyncSession, principal: Principal, binding_id: uuid.UUID, reason: str) -> UnitBinding:
    binding = await _load_for_decider(session, principal, binding_id)
    before = audit.snapshot(binding)
    binding.status, binding.decided_by, binding.decided_at = BindingStatus.rejected, principal.id, clock.now()
    binding.reject_reason = reason
    session.add(binding)
    await session.flush()
    await _record(session, principal.id, "binding.reject", binding, before)
    return binding


# ---- invitation codes -------------------------------------------------------------------------------


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


async def create_invite_code(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, body: InviteCodeCreate
) -> InviteCode:
    unit = await registry.unit_in_scope(session, principal, unit_id, "contact")
    if unit is None:
        raise NotFound()
    # 31^8 ≈ 8.5e11 codes: a collision is rare, but the unique column must never turn it into a 500. Each
    # attempt inserts in a savepoint, so that a code taken meanwhile by a concurrent request is retried too.
    for _ in range(INVITE_ATTEMPTS):
        invite = InviteCode(
            code=new_invite_code(), unit_id=unit.id, relation=body.relation, created_by=principal.id,
            expires_at=clock.now() + timedelta(days=body.valid_days),
        )
        try:
            async with session.begin_nested():
                session.add(invite)
                await session.flush()
        except IntegrityError:
            continue
        # The code itself stays out of the log: whoever reads the log could redeem it.
        after = {k: v for k, v in audit.snapshot(invite).items() if k != "code"}
        await audit.record(session, actor_id=principal.id, action="invite_code.create", entity_type="invite_code",
                           entity_id=invite.id, after=after, estate_id=unit.estate_id)
        return invite
    raise INVITE_CODE_UNAVAILABLE()
