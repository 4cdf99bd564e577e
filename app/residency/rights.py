"""A resident's rights over their personal information (docs/personal-information.md; PIPL arts. 44-47): consent to the
notice, see and download what is held about them, ask for their entry on a unit's record to be corrected,
know which staff were shown their data, and close their account (注销).

What each domain holds is reached through the ``PersonalData`` holders the composition root installs
(``app.privacy.holders``): this module never reads another domain's tables. Residency's own holder - the
caller's bindings, the units they are bound to, identity checks and correction requests - is here too.
"""

import json
import tempfile
import uuid
import zipfile
from typing import IO, Any

from pydantic_core import to_jsonable_python
from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import reads as accounts
from app.auth.principal import Principal
from app.core import audit, clock
from app.core.errors import NotFound
from app.core.pagination import PageParams, paginate
from app.files import service as files
from app.files.storage import Storage
from app.notifications.events import Notice, notify
from app.privacy import disclosures, holders, notice
from app.privacy.holders import Subject
from app.privacy.schemas import DataAccessPublic
from app.registry import corrections as registry_corrections
from app.registry import reads as registry
from app.registry.masking import mask_name, mask_phone
from app.residency.errors import CORRECTION_ALREADY_ANSWERED, CORRECTION_NOT_ON_RECORD, CORRECTION_SELF_DECISION
from app.residency.models import (
    BindingStatus,
    CorrectionRequest,
    CorrectionStatus,
    IdentityCheck,
    UnitBinding,
)
from app.residency.schemas import (
    CorrectionRequestCreate,
    CorrectionRequestPublic,
    CorrectionRequestStaff,
    MyData,
)

# ---- whose data -------------------------------------------------------------------------------------


async def subject_of(session: AsyncSession, user_id: uuid.UUID) -> Subject:
    """The account and the persons on record its approved bindings name."""
    persons = await session.exec(select(UnitBinding.person_id).where(
        UnitBinding.user_id == user_id, UnitBinding.status == BindingStatus.approved,
        col(UnitBinding.person_id).is_not(None)))
    return Subject(user_id, frozenset(p for p in persons.all() if p is not None))


# ---- see and download (art. 45) ---------------------------------------------------------------------


async def my_data(session: AsyncSession, p: Principal) -> MyData:
    sections = await holders.export(session, await subject_of(session, p.id))
    return MyData(generated_at=clock.now(), notice_version=notice.current().version,
                  sections=to_jsonable_python(sections))  # pydantic's own encoding, as every response's


async def my_data_zip(session: AsyncSession, storage: Storage, p: Principal) -> IO[bytes]:
    """``data.json`` (as ``GET /me/data``) and every file the caller uploaded, under ``files/``: a file
    spilled to disk past 8 MB and read from its start, one upload in memory at a time (an account may
    keep a gigabyte of them)."""
    data = await my_data(session, p)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data.json", json.dumps(data.model_dump(mode="json"), ensure_ascii=False, indent=2))
        uploads = [f.id for f in await files.uploaded_by(session, p.id)]
        async for info, content in files.each_content(session, storage, uploads):
            z.writestr(f"files/{info.id}-{info.filename or 'file'}", content)
    out.seek(0)
    return out


# ---- who looked (art. 44) ---------------------------------------------------------------------------


async def who_looked(session: AsyncSession, p: Principal, params: PageParams) -> tuple[list[DataAccessPublic], str | None]:
    subject = await subject_of(session, p.id)
    rows, cursor = await disclosures.about(session, {disclosures.SubjectKind.user: [p.id],
                                                     disclosures.SubjectKind.person: subject.person_ids}, params)
    names = await accounts.display_names(session, {r.viewer_id for r in rows})
    return [DataAccessPublic(viewer_id=r.viewer_id, viewer_name=names.get(r.viewer_id, ""),
                             subject_kind=r.subject_kind, day=r.day, route=r.route, first_at=r.first_at)
            for r in rows], cursor


# ---- closing the account (art. 47) ------------------------------------------------------------------


async def close_account(session: AsyncSession, p: Principal) -> list[str]:
    """Close the caller's account: every domain releases what it holds (``holders.close``), the account
    itself last. What stays, stays for a reason docs/personal-information.md names; the audit entries hold ids only, so the
    chain still verifies. The sections that released something."""
    return await holders.close(session, await subject_of(session, p.id))


# ---- residency's own holder -------------------------------------------------------------------------


async def export_personal(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    """The caller's bindings and the units they hold: their own entry on each record in full, everyone
    else's masked, as any resident sees a neighbour."""
    bindings = (await session.exec(select(UnitBinding).where(UnitBinding.user_id == subject.user_id)
                                   .order_by(col(UnitBinding.created_at), col(UnitBinding.id)))).all()
    labels = await registry.unit_labels(session, {b.unit_id for b in bindings})
    people = await registry.occupants_of_units(
        session, {b.unit_id for b in bindings if b.status == BindingStatus.approved})
    checks = (await session.exec(select(IdentityCheck).where(
        col(IdentityCheck.binding_id).in_([b.id for b in bindings])).order_by(col(IdentityCheck.checked_at)))).all()
    requests = (await session.exec(select(CorrectionRequest).where(CorrectionRequest.user_id == subject.user_id)
                                   .order_by(col(CorrectionRequest.created_at)))).all()
    return {
        "bindings": [{"id": b.id, "unit_id": b.unit_id, "unit": labels[b.unit_id].full,
                      "relation": b.relation, "status": b.status, "method": b.method, "assurance": b.assurance,
                      "person_id": b.person_id, "note": b.note, "created_at": b.created_at,
                      "decided_at": b.decided_at} for b in bindings],
        "units_on_record": [
            {"unit_id": unit_id, "people": [
                {"person_id": o.person_id, "relation": o.relation, "yours": o.person_id in subject.person_ids,
                 "name": o.name if o.person_id in subject.person_ids else mask_name(o.name),
                 "phone": o.phone if o.person_id in subject.person_ids else mask_phone(o.phone)}
                for o in occupants]}
            for unit_id, occupants in people.items()],
        "identity_checks": [{"binding_id": c.binding_id, "assurance": c.assurance, "document": c.document,
                             "checked_at": c.checked_at} for c in checks],
        "correction_requests": [_public(r, labels.get(r.unit_id)).model_dump() for r in requests],
    }


async def close_personal(session: AsyncSession, subject: Subject) -> None:
    """Bindings: approved ones are closed - kept, with their identity checks, as the evidence of the votes
    cast through them (docs/ballot-procedure.md) - and the person may bind a new account; requests still pending or refused go.
    Correction requests go (an accepted one already changed the record, in the log)."""
    mine = col(UnitBinding.user_id) == subject.user_id
    await session.exec(update(UnitBinding).where(mine, col(UnitBinding.status) == BindingStatus.approved)
                       .values(status=BindingStatus.closed))
    await session.exec(delete(UnitBinding).where(
        mine, col(UnitBinding.status).in_([BindingStatus.pending, BindingStatus.rejected])))
    await session.exec(delete(CorrectionRequest).where(col(CorrectionRequest.user_id) == subject.user_id))


# ---- correction requests (art. 46) ------------------------------------------------------------------


def _public(r: CorrectionRequest, label: registry.UnitLabel | None) -> CorrectionRequestPublic:
    return CorrectionRequestPublic(
        id=r.id, unit_id=r.unit_id, unit_label=label.full if label else "",
        person_id=r.person_id, name=r.name, phone=r.phone, note=r.note, status=r.status, reply=r.reply,
        answered_at=r.answered_at, created_at=r.created_at)


async def _labelled(session: AsyncSession, rows: list[CorrectionRequest]) -> list[CorrectionRequestPublic]:
    labels = await registry.unit_labels(session, {r.unit_id for r in rows})
    return [_public(r, labels.get(r.unit_id)) for r in rows]


async def request_correction(session: AsyncSession, p: Principal, body: CorrectionRequestCreate) -> CorrectionRequestPublic:
    """A correction of the caller's own entry on a unit they are bound to (approved, with a person); any
    other unit is not found."""
    person_id = (await session.exec(select(UnitBinding.person_id).where(
        UnitBinding.user_id == p.id, UnitBinding.unit_id == body.unit_id,
        UnitBinding.status == BindingStatus.approved, col(UnitBinding.person_id).is_not(None)))).first()
    if person_id is None:
        raise NotFound()
    request = CorrectionRequest(user_id=p.id, unit_id=body.unit_id, person_id=person_id, name=body.name,
                                phone=body.phone, note=body.note, created_at=clock.now())
    session.add(request)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="correction_request.create", entity_type="correction_request",
                       entity_id=request.id, after={"unit_id": str(body.unit_id), "person_id": str(person_id),
                                                    "fields": [f for f in ("name", "phone") if getattr(body, f)]})
    return (await _labelled(session, [request]))[0]


async def my_corrections(session: AsyncSession, p: Principal, params: PageParams
                         ) -> tuple[list[CorrectionRequestPublic], str | None]:
    rows, cursor = await paginate(session, select(CorrectionRequest).where(CorrectionRequest.user_id == p.id),
                                  [col(CorrectionRequest.created_at), col(CorrectionRequest.id)], params, descending=True)
    return await _labelled(session, rows), cursor


def _answerable(p: Principal):
    """Requests of units the caller may correct (the registry's contact level)."""
    return col(CorrectionRequest.unit_id).in_(registry.unit_ids(p, "contact"))


async def _staff_view(session: AsyncSession, p: Principal, rows: list[CorrectionRequest]) -> list[CorrectionRequestStaff]:
    """With the entries as the record has them now - a staff member shown a full name and phone, which is
    recorded (who looked)."""
    people = await registry.occupants_of_units(session, {r.unit_id for r in rows})
    on_record = {(u, o.person_id): o for u, occupants in people.items() for o in occupants}
    out = []
    for r, public in zip(rows, await _labelled(session, rows), strict=True):
        entry = on_record.get((r.unit_id, r.person_id))
        out.append(CorrectionRequestStaff(**public.model_dump(), user_id=r.user_id,
                                          name_on_record=entry.name if entry else "",
                                          phone_on_record=entry.phone if entry else None))
    await disclosures.record(session, p.id, persons={r.person_id for r in rows})
    return out


async def corrections_for_staff(session: AsyncSession, p: Principal, params: PageParams,
                                status: CorrectionStatus | None) -> tuple[list[CorrectionRequestStaff], str | None]:
    stmt = select(CorrectionRequest).where(_answerable(p))
    if status is not None:
        stmt = stmt.where(CorrectionRequest.status == status)
    rows, cursor = await paginate(session, stmt, [col(CorrectionRequest.created_at), col(CorrectionRequest.id)], params)
    return await _staff_view(session, p, rows), cursor


async def answer_correction(session: AsyncSession, p: Principal, request_id: uuid.UUID, accept: bool,
                            reply: str | None) -> CorrectionRequestStaff:
    """Accept (the record changes through the registry's audited path, ``correct_person``) or reject; the
    resident is told either way. Never one's own request; once only."""
    request = (await session.exec(select(CorrectionRequest).where(CorrectionRequest.id == request_id, _answerable(p))
                                  .with_for_update())).first()
    if request is None:
        raise NotFound()
    if request.user_id == p.id:
        raise CORRECTION_SELF_DECISION()
    if request.status != CorrectionStatus.pending:
        raise CORRECTION_ALREADY_ANSWERED()
    if accept:
        try:
            await registry_corrections.correct_person(session, p, request.unit_id, request.person_id,
                                                      name=request.name, phone=request.phone)
        except NotFound:
            raise CORRECTION_NOT_ON_RECORD() from None
    request.status = CorrectionStatus.accepted if accept else CorrectionStatus.rejected
    request.reply, request.answered_by, request.answered_at = reply, p.id, clock.now()
    session.add(request)
    await session.flush()
    await audit.record(session, actor_id=p.id, action="correction_request." + request.status.value,
                       entity_type="correction_request", entity_id=request.id)
    label = (await registry.unit_labels(session, [request.unit_id]))[request.unit_id]
    outcome = "已更正" if accept else "未更正"
    await notify(session, Notice(
        template="record_correction_answered", title=f"登记信息更正{outcome}：{label.full}",
        body=f"您申请更正的房屋登记信息{outcome}。" + (reply or ""),
        data={"thing1": label.full, "phrase2": outcome, "thing3": reply or outcome,
              "time4": request.answered_at}, page="pages/me/privacy"), [request.user_id])
    return (await _staff_view(session, p, [request]))[0]

