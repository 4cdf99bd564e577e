"""PDF documents with Chinese text, for every document the service makes (the plan bundle, the voting
result notice, the acceptance certificate).

reportlab lays the pages out in one embedded font (WenQuanYi Micro Hei, see ``fonts/README.txt``):
only the glyphs a document uses are embedded, so it renders the same on any phone, with no font of the
reader's. pypdf appends attachments: a PDF's pages as they are, an image scaled onto an A4 page of its
own. Everything here is CPU work and blocking: callers run it in ``pools.DOCUMENTS``.
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "WenQuanYiMicroHei"
FONT_FILE = Path(__file__).parent / "fonts" / "wqy-microhei.ttf"
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN


@cache
def font() -> str:
    """The font's name, registered with reportlab on first use."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    return FONT


@cache
def styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font(), fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=1, spaceAfter=4 * mm),
        "heading": ParagraphStyle("heading", parent=base, fontSize=13, leading=20, spaceBefore=4 * mm,
                                  spaceAfter=2 * mm),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=13, textColor=colors.HexColor("#444444")),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=14),
        "cell_right": ParagraphStyle("cell_right", parent=base, fontSize=9.5, leading=14, alignment=2),
    }


def text(value: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text: markup in the value is shown, never interpreted; line breaks are kept."""
    return Paragraph(escape(value).replace("\n", "<br/>"), styles()[style])


def table(header: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[float],
          align_right: Sequence[int] = ()) -> Table:
    """A ruled table of plain-text cells; ``widths`` are fractions of the text width."""
    def cell(column: int, value: object) -> Paragraph:
        return text(str(value), "cell_right" if column in align_right else "cell")

    data = [[cell(c, h) for c, h in enumerate(header)]]
    data += [[cell(c, value) for c, value in enumerate(row)] for row in rows]
    t = Table(data, colWidths=[w * WIDTH for w in widths], repeatRows=1)
    t.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return t


def qr(link: str, size: float = 30 * mm) -> Drawing:
    """A QR code of ``link``, ``size`` wide and high (a notice's way to its page on the public board)."""
    widget = QrCodeWidget(link, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def with_qr(link: str, caption: str) -> Table:
    """A QR code with a caption and the address beside it, to end a notice with."""
    box = Table([[qr(link), [text(caption, "small"), text(link, "small")]]],
                colWidths=[30 * mm + 4 * mm, WIDTH - 30 * mm - 4 * mm])
    box.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return box


def spacer(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)


def _footer(title: str):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font(), 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(MARGIN, 10 * mm, title)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()
    return draw


def document(flowables: list[Flowable], title: str, author: str = "") -> bytes:
    """The flowables laid out on A4 pages with the title in the footer of each."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=title, author=author, creator="estate-renewal")
    footer = _footer(title)
    doc.build(flowables, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


def _image_page(attachment: Attachment, title: str) -> bytes:
    reader = ImageReader(io.BytesIO(attachment.data))
    w, h = reader.getSize()
    scale = min(WIDTH / w, (A4[1] - 2 * MARGIN - 12 * mm) / h, 1.0 if w < WIDTH else WIDTH / w)
    return document([text(attachment.name, "small"), spacer(2),
                     Image(io.BytesIO(attachment.data), width=w * scale, height=h * scale)], title)


def _notice_page(message: str, title: str) -> bytes:
    return document([text(message)], title)


def bundle(first: bytes, attachments: Sequence[Attachment], title: str) -> bytes:
    """``first`` followed by every attachment: a PDF's pages, or an image on a page of its own. An
    attachment that cannot be read (damaged, encrypted) is replaced by a page saying so, never dropped
    silently."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(first)))
    for attachment in attachments:
        try:
            if attachment.content_type == "application/pdf":
                reader = PdfReader(io.BytesIO(attachment.data))
                if reader.is_encrypted:
                    raise PdfReadError("encrypted")
                pages = reader
            else:
                pages = PdfReader(io.BytesIO(_image_page(attachment, title)))
            writer.append(pages)
        except Exception:  # noqa: BLE001 - any unreadable attachment gets its notice page instead
            notice = f"附件「{attachment.name}」无法合并到本文件，请在方案页面单独下载查看。"
            writer.append(PdfReader(io.BytesIO(_notice_page(notice, title))))
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


__all__ = ["Attachment", "PageBreak", "bundle", "document", "font", "spacer", "styles", "table", "text"]
