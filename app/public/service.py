"""The public notice board's documents, assembled from the read APIs of the domains below (docs/public-board.md).

One set of functions serves the JSON (``router``) and the HTML pages (``pages``). What the board shows is
what the domains publish anyway - projects and their stages, published plan versions, announced ballots and
their totals, the acceptance - with nothing that names a person; free text that staff or residents wrote
(a note, an opinion, a reply) has any phone number in it hidden (``core.phones.hide_phones``). Drafts,
hidden opinions and unannounced ballots never reach these functions' results.
"""

import io
import uuid
from typing import Any, TypeVar

from PIL import Image
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.acceptance import reads as acceptance
from app.core import pools
from app.core.errors import NotFound
from app.core.phones import hide_phones
from app.files import service as files
from app.files.storage import Storage
from app.plans import reads as plans
from app.projects import reads as projects
from app.projects.lifecycle import STATE_NAMES
from app.public import schemas
from app.registry import reads as registry
from app.surveys import reads as surveys
from app.voting import reads as voting

M = TypeVar("M", bound=BaseModel)
THUMBNAIL_PX = 480

PLAN_STATUS = {"published": "公示中", "superseded": "已被新版本取代"}
MILESTONES = {"items_selected": "确定改造内容", "item_progress": "施工进度更新"}


def api(path: str) -> str:
    """The JSON twin of a page of the board (pages and documents share their paths, under /api/v1)."""
    return f"/api/v1{path}"


def scrubbed(document: M) -> M:
    """The document with every phone number in its text hidden."""
    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return hide_phones(value)
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        return value

    return type(document).model_validate(scrub(document.model_dump(mode="json")))


# ---- an estate ---------------------------------------------------------------------------------------


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _milestone(m: projects.Milestone) -> schemas.Milestone:
    if m.kind == "transition" and m.to_status:
        title = f"进入「{STATE_NAMES.get(m.to_status, m.to_status)}」阶段"
    else:
        title = MILESTONES.get(m.kind, m.kind)
    return schemas.Milestone(kind=m.kind, title=title, note=m.note, at=m.created_at)


async def _project(session: AsyncSession, project: projects.ProjectRef) -> schemas.Project:
    items = await projects.items(session, project.id)
    reports: dict[uuid.UUID, list[schemas.ProgressReport]] = {}
    for r in await projects.progress_reports(session, project.id):
        reports.setdefault(r.item_id, []).append(schemas.ProgressReport(
            percent=r.percent, note=r.note, photos=[api(f"/public/photos/{f}") for f in r.photo_ids], at=r.created_at))
    latest = await acceptance.latest(session, project.id)
    return schemas.Project(
        id=project.id, name=project.name, year=project.year, status=project.status.value,
        stage=STATE_NAMES[project.status.value],
        timeline=[_milestone(m) for m in await projects.milestones(session, project.id)],
        items=[schemas.Item(code=i.item_code, name=i.name, estimated_cost=yuan(i.estimated_cost_fen),
                            progress_percent=i.progress_percent, reports=reports.get(i.id, [])) for i in items],
        progress_percent=projects.overall_progress(items),
        plans=[schemas.PlanLink(id=p.id, version=p.version, title=p.title, status=p.status.value,
                                status_name=PLAN_STATUS[p.status.value], url=f"/public/plans/{p.id}")
               for p in await plans.published_plans(session, project.id)],
        ballots=[schemas.BallotLink(id=b.id, title=b.title, status=b.status.value,
                                    status_name=voting.STATUS_NAMES[b.status], opens_at=b.opens_at,
                                    closes_at=b.closes_at, url=f"/public/ballots/{b.id}")
                 for b in await voting.announced(session, project.id)],
        acceptance=schemas.AcceptanceSummary(
            round=latest.round, status_name=latest.status_name, decided_at=latest.decided_at,
            certificate_url=f"/public/certificates/{latest.content_hash}") if latest else None,
        satisfaction=[schemas.Survey(title=s.title, results=s.results)
                      for s in await surveys.satisfaction(session, project.id)])


async def estate(session: AsyncSession, code: str) -> schemas.Estate:
    found = await registry.estate_by_code(session, code)
    if found is None:
        raise NotFound()
    return scrubbed(schemas.Estate(
        code=registry.normal_code(code), name=found.name, address=found.address, community=found.community_name,
        street=found.street_name, district=found.district,
        projects=[await _project(session, p) for p in await projects.estate_projects(session, found.id)]))


# ---- a plan version --------------------------------------------------------------------------------------


async def _where(session: AsyncSession, project_id: uuid.UUID) -> tuple[str, str, str]:
    """(estate code, estate name, project name) of a project."""
    project = await projects.project(session, project_id)
    assert project is not None  # foreign key
    found = await registry.estate(session, project.estate_id)
    code = await registry.estate_code(session, project.estate_id)
    assert found is not None and code is not None  # foreign key
    return code, found.name, project.name


async def plan(session: AsyncSession, plan_id: uuid.UUID) -> schemas.Plan:
    refs = await plans.plans(session, [plan_id])
    ref = refs.get(plan_id)
    if ref is None or ref.status == plans.PlanStatus.draft:
        raise NotFound()
    version = next(p for p in await plans.published_plans(session, ref.project_id) if p.id == plan_id)
    code, estate_name, project_name = await _where(session, ref.project_id)
    return scrubbed(schemas.Plan(
        estate_code=code, estate_name=estate_name, project_name=project_name, plan=version,
        pdf_url=api(f"/public/plans/{plan_id}/pdf"),
        replies=[schemas.Reply(item_code=r.item_code, content=r.content, status_name=r.status_name, reply=r.reply,
                               replied_at=r.replied_at) for r in await plans.replies(session, plan_id)]))


async def plan_pdf(session: AsyncSession, storage: Storage, plan_id: uuid.UUID) -> tuple[bytes, str]:
    document = await plan(session, plan_id)
    return await plans.board_pdf(session, storage, document.plan), f"{document.plan.title}（第{document.plan.version}版）"


# ---- a ballot ----------------------------------------------------------------------------------------------


async def ballot(session: AsyncSession, ballot_id: uuid.UUID) -> schemas.Ballot:
    found = await voting.ballot(session, ballot_id)
    if found is None:
        raise NotFound()
    row, shown = found
    counted = await voting.results(session, row)
    code, estate_name, project_name = await _where(session, row.project_id)
    return scrubbed(schemas.Ballot(
        estate_code=code, estate_name=estate_name, project_name=project_name, ballot=shown,
        status_name=voting.STATUS_NAMES[row.status], rule_text=voting.RULE_TEXT[row.rule],
        announcement_url=api(f"/public/ballots/{ballot_id}/announcement.pdf"), results=counted,
        results_url=api(f"/public/ballots/{ballot_id}/results.pdf") if counted else None))


async def ballot_pdf(session: AsyncSession, ballot_id: uuid.UUID, which: str) -> tuple[bytes, str]:
    """The announcement, or once counted the result notice, as printed."""
    found = await voting.ballot(session, ballot_id)
    if found is None:
        raise NotFound()
    row, _ = found
    if which == "announcement":
        return await voting.announcement_pdf(session, row), f"表决公告：{row.title}"
    counted = await voting.results(session, row)
    if counted is None:
        raise NotFound()
    return await voting.results_pdf(session, row, counted), f"表决结果公告：{row.title}"


async def receipt(session: AsyncSession, code: str) -> schemas.Receipt:
    row = await voting.receipt_ballot(session, code)
    if row is None:
        raise NotFound()
    _, estate_name, _ = await _where(session, row.project_id)
    return schemas.Receipt(code=code.strip().upper(), counted=True, ballot_id=row.id, ballot_title=row.title,
                           ballot_status=voting.STATUS_NAMES[row.status], estate_name=estate_name,
                           url=f"/public/ballots/{row.id}")


# ---- a certificate -----------------------------------------------------------------------------------------


async def certificate(session: AsyncSession, content_hash: str) -> schemas.Certificate:
    found = await acceptance.by_hash(session, content_hash)
    if found is None:
        raise NotFound()
    _, estate_name, project_name = await _where(session, found.project_id)
    return scrubbed(schemas.Certificate(
        estate_name=estate_name, project_name=project_name, acceptance=await acceptance.shown(session, found),
        check=await acceptance.check(session, found), pdf_url=api(f"/public/certificates/{found.content_hash}/pdf")))


async def certificate_pdf(session: AsyncSession, storage: Storage, content_hash: str) -> tuple[bytes, str]:
    found = await acceptance.by_hash(session, content_hash)
    if found is None:
        raise NotFound()
    return await acceptance.certificate_pdf(session, storage, found), f"竣工验收单（第{found.round}轮）"


# ---- photos --------------------------------------------------------------------------------------------------


def _thumbnail(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


async def photo(session: AsyncSession, storage: Storage, file_id: uuid.UUID) -> bytes:
    """A progress report's photo, as a JPEG thumbnail; any other file is not found."""
    if not await projects.is_progress_photo(session, file_id):
        raise NotFound()
    [(info, data)] = await files.contents(session, storage, [file_id])
    if not info.content_type.startswith("image/"):
        raise NotFound()
    return await pools.run_in(pools.DOCUMENTS, _thumbnail, data)
