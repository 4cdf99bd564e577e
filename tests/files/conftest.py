"""Files test harness: storage in a temporary directory that counts its writes, and a test attachment kind."""

import io
import uuid

import pytest
from PIL import Image

from app.files.access import AttachmentKind, install
from app.files.storage import LocalStorage, get_storage

API = "/api/v1"
TEST_KIND = "test_unit"  # a file attached to a property unit, readable by that unit's residents


def image(fmt: str, size: tuple[int, int] = (8, 6), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small real image (uploads are decoded, so a bare signature is not enough)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


PNG = image("PNG")
JPEG = image("JPEG")
WEBP = image("WEBP")
PDF = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


async def _resident_of(session, principal, object_id: uuid.UUID) -> bool:
    return object_id in principal.unit_ids


install(AttachmentKind(TEST_KIND, _resident_of))


class CountingStorage(LocalStorage):
    def __init__(self, root):
        super().__init__(root)
        self.puts: list[str] = []

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.puts.append(key)
        await super().put(key, data, content_type)


@pytest.fixture
def storage(tmp_path) -> CountingStorage:
    return CountingStorage(tmp_path / "files")


@pytest.fixture
def app(app, storage):
    app.dependency_overrides[get_storage] = lambda: storage
    return app


async def upload(client, headers, data: bytes, filename: str = "photo.png", content_type: str = "image/png"):
    return await client.post(f"{API}/files", files={"file": (filename, data, content_type)}, headers=headers)
