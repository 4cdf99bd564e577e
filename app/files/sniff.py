"""Deciding a file's type from its first bytes (magic numbers), never from the client's claim. Pure."""

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"

ALLOWED_TYPES = (JPEG, PNG, WEBP, PDF)
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}


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
