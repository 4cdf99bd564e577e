"""Files test harness: storage in a temporary directory that counts its writes, and a test attachment kind."""

import uuid

import pytest

from app.files.access import register_attachment_kind
from app.files.storage import LocalStorage, get_storage

API = "/api/v1"
TEST_KIND = "test_unit"  # a file attached to a property unit, readable by that unit's residents

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x02" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


async def _resident_of(session, principal, object_id: uuid.UUID) -> bool:
    return object_id in principal.unit_ids


register_attachment_kind(TEST_KIND, _resident_of)


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
