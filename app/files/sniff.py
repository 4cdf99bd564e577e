"""Deciding a file's type from its content, never from the client's claim. Pure (no I/O), but CPU-bound:
callers run ``content_type_of`` in a thread.

The first bytes (magic numbers) name a candidate type; the content must then really be such a file: an
image must decode (Pillow), a PDF must end with its ``%%EOF`` trailer. A PNG signature in front of an
executable or an HTML page is refused.
"""

import io

from PIL import Image

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"

ALLOWED_TYPES = (JPEG, PNG, WEBP, PDF)
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}

# Larger images are refused from their header, before anything is decoded: a tiny lossless WebP can
# declare 7000x7000 and decode to ~200 MB. 25 megapixels holds a phone's photo (its 48-200 MP modes are
# opt-in) and decodes to at most 100 MB, in a pool of two (app.core.pools).
MAX_PIXELS = 25_000_000
# Where readers look for the trailer: the last KiB (after it, only whitespace may follow).
PDF_TRAILER_WINDOW = 1024
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a file starting with ``head`` if it is one we accept, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def is_valid_image(data: bytes, content_type: str) -> bool:
    """Pillow reads ``data`` as an image of ``content_type`` whose structure checks out.

    ``verify()`` checks a PNG's chunks and their CRCs; it does nothing for JPEG and WebP, which are decoded
    instead (a JPEG at 1/8 scale, which its DCT allows cheaply)."""
    fmt = _PILLOW_FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            width, height = img.size
            if img.format != fmt or width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                return False
            if getattr(img, "n_frames", 1) != 1:  # an animation multiplies what decoding costs
                return False
            img.verify()
        if content_type != PNG:
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:  # verify() leaves an image unusable
                if content_type == JPEG:
                    img.draft(img.mode, (max(width // 8, 1), max(height // 8, 1)))
                img.load()
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, ValueError, struct.error, ...)
        return False
    return True


def is_valid_pdf(data: bytes) -> bool:
    """A PDF header and an ``%%EOF`` trailer at the end (only whitespace after it)."""
    tail = data[-PDF_TRAILER_WINDOW:].rstrip(b" \t\r\n\f\x00")
    return data.startswith(b"%PDF-") and tail.endswith(b"%%EOF")


def content_type_of(data: bytes) -> str | None:
    """The accepted type of the whole content ``data``, or None: signature first, then the real thing."""
    kind = sniff_content_type(data[:16])
    if kind is None:
        return None
    valid = is_valid_pdf(data) if kind == PDF else is_valid_image(data, kind)
    return kind if valid else None
