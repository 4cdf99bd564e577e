"""The plan as one PDF for residents: a summary page (estate, project, notice period, the summary, the
items with scope and cost, what changed and which opinions it answers), then every attachment in order."""

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock, pdf, pools
from app.core.links import public_url
from app.files import service as files
from app.files.storage import Storage
from app.plans.flows import STATUS_NAMES
from app.plans.schemas import PlanPublic
from app.projects import reads as projects
from app.registry import reads as registry


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _summary_pages(plan: PlanPublic, estate: str, project: str, issuer: str, attachments: list[str]) -> bytes:
    title = f"{plan.title}（第{plan.version}版）"
    flow = [pdf.text(title, "title"), pdf.text(f"公示单位：{issuer}　　小区：{estate}　　项目：{project}", "small")]
    if plan.notice_starts_at and plan.notice_ends_at:
        flow.append(pdf.text(f"公示期：{clock.shanghai_text(plan.notice_starts_at)} 至 "
                             f"{clock.shanghai_text(plan.notice_ends_at)}（北京时间）", "small"))
    flow += [pdf.spacer(), pdf.text("方案说明", "heading"), pdf.text(plan.summary or "（无）"),
             pdf.text("改造内容", "heading"),
             pdf.table(["序号", "改造内容", "实施范围", "估算费用（元）"],
                       [[str(n), i.name, i.scope or "全小区", yuan(i.estimated_cost_fen)]
                        for n, i in enumerate(plan.items, start=1)]
                       + [["", "合计", "", yuan(plan.total_cost_fen)]],
                       [0.08, 0.27, 0.43, 0.22], align_right=(3,))]
    if plan.change_notes:
        flow += [pdf.text("本版修改说明", "heading"), pdf.text(plan.change_notes)]
    if plan.answers_opinions:  # paragraphs, not a table: an opinion may be longer than a page
        flow.append(pdf.text("本版答复的居民意见", "heading"))
        for n, o in enumerate(plan.answers_opinions, start=1):
            flow += [pdf.text(f"{n}. 第{o.version}版意见：{o.content}"),
                     pdf.text(f"答复（{STATUS_NAMES[o.status]}）：{o.reply or ''}", "small"), pdf.spacer(2)]
    if attachments:
        flow += [pdf.text("附件", "heading")] + [pdf.text(f"{n}. {name}") for n, name in enumerate(attachments, 1)]
    flow += [pdf.spacer(), pdf.with_qr(public_url(f"/public/plans/{plan.id}"),
                                       "扫描二维码查看方案公示及居民意见答复：")]
    return pdf.document(flow, title)


async def bundle(session: AsyncSession, storage: Storage, plan: PlanPublic) -> bytes:
    estate = await registry.estate(session, plan.estate_id)
    project = await projects.project(session, plan.project_id)
    contents = await files.contents(session, storage, [uuid.UUID(str(a.file_id)) for a in plan.attachments])
    attachments = [pdf.Attachment(info.filename, info.content_type, data) for info, data in contents]

    def make() -> bytes:
        first = _summary_pages(plan, estate.name if estate else "", project.name if project else "",
                               estate.issuer if estate else "", [a.name for a in attachments])
        return pdf.bundle(first, attachments, f"{plan.title}（第{plan.version}版）")

    return await pools.run_in(pools.DOCUMENTS, make)
