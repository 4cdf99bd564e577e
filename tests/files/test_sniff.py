"""Content sniffing and filename sanitising: pure functions."""

from hypothesis import given
from hypothesis import strategies as st

from app.files.service import sanitize_filename
from app.files.sniff import JPEG, PDF, PNG, WEBP, sniff_content_type
from tests.files import conftest as c


def test_accepted_types_by_magic_bytes():
    assert sniff_content_type(c.PNG) == PNG
    assert sniff_content_type(c.JPEG) == JPEG
    assert sniff_content_type(c.WEBP) == WEBP
    assert sniff_content_type(c.PDF) == PDF


def test_refused_contents():
    for head in (
        b"",
        b"MZ\x90\x00\x03\x00\x00\x00",  # Windows executable
        b"\x7fELF\x02\x01\x01\x00",  # Linux executable
        b"<!DOCTYPE html><html>",
        b'<svg xmlns="http://www.w3.org/2000/svg">',
        b"<?xml version='1.0'?><svg>",
        b"PK\x03\x04",  # zip / docx
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF but not WebP
        b"GIF89a",
        b"\x89PNG",  # truncated signature
        b" %PDF-1.4",
    ):
        assert sniff_content_type(head) is None, head


@given(st.binary(max_size=64))
def test_sniffing_never_accepts_without_a_signature(data):
    kind = sniff_content_type(data)
    if kind is not None:
        assert data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n" or data[:5] == b"%PDF-" or (
            data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        )


def test_filename_sanitising():
    assert sanitize_filename("../../etc/passwd", PNG) == "passwd.png"
    assert sanitize_filename("C:\\Users\\a\\照片.jpg", JPEG) == "照片.jpg"
    assert sanitize_filename("a\x00b\nc\u202e.png", PNG) == "abc.png"
    assert sanitize_filename("", PDF) == "file.pdf"
    assert sanitize_filename(None, PNG) == "file.png"
    assert sanitize_filename("..", PNG) == "file.png"
    # The served name's extension follows the detected type, never the client's claim.
    assert sanitize_filename("evil.html", PDF) == "evil.html.pdf"
    assert sanitize_filename("invoice.PDF", PDF) == "invoice.PDF"
    assert sanitize_filename("photo.jpeg", JPEG) == "photo.jpeg"
    assert sanitize_filename("photo.png", JPEG) == "photo.png.jpg"
    assert sanitize_filename("报告", PDF) == "报告.pdf"
    assert len(sanitize_filename("长" * 400 + ".png", PNG)) == 255
    assert sanitize_filename("长" * 400 + ".png", PNG).endswith(".png")


@given(st.text(max_size=600))
def test_sanitised_filename_is_a_short_plain_basename(name):
    clean = sanitize_filename(name, PNG)
    assert 0 < len(clean) <= 255
    assert "/" not in clean and "\\" not in clean
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in clean)


def test_whole_content_is_checked():
    from app.files.sniff import content_type_of

    assert [content_type_of(x) for x in (c.PNG, c.JPEG, c.WEBP, c.PDF)] == [PNG, JPEG, WEBP, PDF]
    assert content_type_of(c.PDF + b"\r\n") == PDF  # whitespace after the trailer is fine
    for fake in (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"\xff\xd8\xff\xe0" + b"\x01" * 64,
                 b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x02" * 40, b"%PDF-1.7\n1 0 obj\n", c.PNG[:-20]):
        assert content_type_of(fake) is None, fake[:12]


def test_a_png_is_not_accepted_as_a_jpeg_by_pillow_guessing():
    from app.files.sniff import is_valid_image

    assert is_valid_image(c.PNG, PNG) and not is_valid_image(c.PNG, JPEG) and not is_valid_image(c.JPEG, WEBP)


def test_images_over_the_pixel_limit_are_refused(monkeypatch):
    from app.files import sniff

    big = c.image("PNG", size=(100, 100))
    assert sniff.content_type_of(big) == PNG
    monkeypatch.setattr(sniff, "MAX_PIXELS", 100 * 100 - 1)
    assert sniff.content_type_of(big) is None


def test_a_tiny_webp_declaring_7000x7000_is_refused_before_decoding():
    """2 KB that decode to ~200 MB: eight in parallel took the server to 889 MB."""
    import io
    import tracemalloc

    from PIL import Image

    from app.files import sniff

    out = io.BytesIO()
    Image.new("RGB", (7000, 7000), (10, 20, 30)).save(out, "WEBP", lossless=True)
    bomb = out.getvalue()
    assert len(bomb) < 4096
    tracemalloc.start()
    try:
        assert sniff.content_type_of(bomb) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # refused from the header: nothing was decoded


def test_animated_images_are_refused():
    import io

    from PIL import Image

    from app.files import sniff

    frames = [Image.new("RGB", (8, 8), color) for color in ((255, 0, 0), (0, 255, 0))]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    assert sniff.sniff_content_type(out.getvalue()[:16]) == WEBP and sniff.content_type_of(out.getvalue()) is None
