"""The acceptance certificate (竣工验收单) as a PDF: the estate and project, the checklist, each signatory
with role, decision, time and handwritten signature, the content hash and a QR code of its page on the
public notice board (where anyone checks it), in the embedded Chinese font of ``app.core.pdf``."""

import io
import uuid

from reportlab.lib.units import mm
from reportlab.platypus import Image, Table, TableStyle
from sqlmodel.ext.asyncio.session import AsyncSession

from app.acceptance import rules
from app.acceptance.rules import Decision, ItemDecision
from app.acceptance.schemas import AcceptancePublic
from app.core import clock, pdf, pools
from app.core.links import public_url
from app.files import service as files
from app.files.storage import Storage
from app.projects import reads as projects
from app.registry import reads as registry

SIGNATURE_BOX = (38 * mm, 16 * mm)
QR_SIZE = 30 * mm


def verify_link(content_hash: str) -> str:
    """The certificate's page on the public notice board, which anyone can open from its QR code."""
    return public_url(f"/public/certificates/{content_hash}")


def _signature_image(data: bytes | None):
    if data is None:
        return pdf.text("（签名图片缺失）", "small")
    try:
        image = Image(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - a damaged image is said, never a failed certificate
        return pdf.text("（签名图片无法读取）", "small")
    scale = min(SIGNATURE_BOX[0] / image.imageWidth, SIGNATURE_BOX[1] / image.imageHeight)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    return image


def _certificate(a: AcceptancePublic, estate: registry.EstateRef, project: str, images: dict[uuid.UUID, bytes],
                 public: bool) -> bytes:
    place = "　".join(x for x in (estate.district, estate.street_name, estate.community_name) if x)
    flow = [pdf.text(f"{estate.name}老旧小区改造工程竣工验收单", "title"),
            pdf.text(f"组织单位：{estate.issuer}　　项目：{project}　　验收轮次：第{a.round}轮　　结论：{a.status_name}", "small"),
            pdf.text(f"地点：{place}　{estate.address or ''}", "small"),
            pdf.text(f"发起时间：{clock.shanghai_text(a.opened_at)}"
                     + (f"　　结束时间：{clock.shanghai_text(a.decided_at)}" if a.decided_at else "") + "（北京时间）",
                     "small"),
            pdf.text("一、验收清单", "heading"),
            pdf.table(["序号", "改造内容", "验收结论", "备注"],
                      [[str(n), i.name, rules.ITEM_DECISION_NAMES[ItemDecision(i.decision)], i.remarks or "—"]
                       for n, i in enumerate(a.items, start=1)], [0.08, 0.37, 0.15, 0.40])]
    if a.remarks:
        flow += [pdf.spacer(2), pdf.text(f"验收意见：{a.remarks}")]
    in_force = [s for s in a.signatures if s.invalidated_at is None]
    rows = [[pdf.text(h, "cell") for h in ("签字方", "签字人", "意见", "签字时间", "手写签名")]]
    for s in in_force:
        opinion = "同意" if s.decision == Decision.approve else "不同意：" + "；".join(s.reasons)
        if s.comment:
            opinion += f"（{s.comment}）"
        rows.append([pdf.text(s.role_name, "cell"), pdf.text(s.signer.display_name if s.signer else "", "cell"),
                     pdf.text(opinion, "cell"), pdf.text(clock.shanghai_text(s.signed_at), "cell"),
                     pdf.text("已签字", "cell") if public else _signature_image(images.get(s.signature_file_id))])
    signed = {s.role for s in in_force}
    for r in a.roles:
        if r.role not in signed:
            rows.append([pdf.text(r.role_name, "cell"), pdf.text("", "cell"), pdf.text("（待签字）", "cell"),
                         pdf.text("", "cell"), pdf.text("", "cell")])
    table = Table(rows, colWidths=[w * pdf.WIDTH for w in (0.16, 0.16, 0.28, 0.16, 0.24)], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#888888"), ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    link = verify_link(a.content_hash)
    check = Table([[pdf.qr(link, QR_SIZE), [pdf.text("内容摘要（SHA-256，RFC 8785 规范化 JSON）：", "small"),
                                pdf.text(a.content_hash, "small"), pdf.spacer(2),
                                pdf.text("扫描二维码或访问以下地址核验本验收单及各方签字：", "small"),
                                pdf.text(link, "small")]]],
                  colWidths=[QR_SIZE + 4 * mm, pdf.WIDTH - QR_SIZE - 4 * mm])
    check.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    flow += [pdf.text("二、签字确认", "heading"), table, pdf.spacer(6), check]
    return pdf.document(flow, f"{project}竣工验收单（第{a.round}轮）")


async def certificate(session: AsyncSession, storage: Storage, a: AcceptancePublic, public: bool = False) -> bytes:
    """The certificate; ``public`` for the notice board: without the handwritten signatures (and the names,
    which the board's record does not carry)."""
    project = await projects.project(session, a.project_id)
    assert project is not None  # foreign key
    estate = await registry.estate(session, project.estate_id)
    assert estate is not None  # foreign key
    ids = [] if public else [s.signature_file_id for s in a.signatures if s.invalidated_at is None]
    images = {info.id: data for info, data in await files.contents(session, storage, ids)}
    return await pools.run_in(pools.DOCUMENTS, _certificate, a, estate, project.name, images, public)
