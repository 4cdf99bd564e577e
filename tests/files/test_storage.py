"""Local and S3 storage behind one interface (S3 through moto)."""

import boto3
import pytest
from moto import mock_aws

from app.core.config import Settings
from app.files.storage import LocalStorage, ObjectMissing, S3Storage, blob_key, make_storage


async def test_local_storage_round_trip(tmp_path):
    s = LocalStorage(tmp_path)
    key = blob_key("ab" * 32)
    assert not await s.exists(key)
    await s.put(key, b"hello", "application/pdf")
    assert await s.exists(key) and await s.get(key) == b"hello"
    await s.put(key, b"hello", "application/pdf")  # rewriting the same key is harmless
    assert [p.name for p in (tmp_path / "ab" / "ab").iterdir()] == ["ab" * 32]  # no temp file left


async def _collect(chunks) -> list[bytes]:
    return [c async for c in chunks]


async def test_local_storage_streams_in_chunks(tmp_path):
    s = LocalStorage(tmp_path)
    key = blob_key("ef" * 32)
    await s.put(key, b"0123456789", "application/pdf")
    assert await _collect(await s.stream(key, chunk_size=4)) == [b"0123", b"4567", b"89"]
    missing = blob_key("00" * 32)
    with pytest.raises(ObjectMissing):  # a missing blob fails before any byte is sent
        await s.stream(missing)
    with pytest.raises(ObjectMissing):
        await s.get(missing)
    await s.delete(key)
    await s.delete(key)  # already gone: no error
    assert not await s.exists(key)


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a//b", "a/./b", "a\\b", ""])
async def test_keys_cannot_escape(tmp_path, key):
    with pytest.raises(ValueError):
        await LocalStorage(tmp_path).put(key, b"x", "image/png")


async def test_s3_storage_with_moto():
    with mock_aws():
        settings = Settings(storage_backend="s3", s3_bucket="estate-files", s3_region="us-east-1",
                            s3_access_key_id="test", s3_secret_access_key="test", s3_prefix="files/")
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="estate-files")
        s = make_storage(settings)
        assert isinstance(s, S3Storage)
        key = blob_key("cd" * 32)
        assert not await s.exists(key)
        await s.put(key, b"%PDF-1.7 data", "application/pdf")
        assert await s.exists(key)
        assert await s.get(key) == b"%PDF-1.7 data"
        assert await _collect(await s.stream(key, chunk_size=5)) == [b"%PDF-", b"1.7 d", b"ata"]
        head = boto3.client("s3", region_name="us-east-1").head_object(Bucket="estate-files", Key="files/" + key)
        assert head["ContentType"] == "application/pdf"
        await s.delete(key)
        assert not await s.exists(key)
        for read in (s.get, s.stream):
            with pytest.raises(ObjectMissing):
                await read(key)
        await s.delete(key)  # already gone: no error


def test_default_backend_is_local(tmp_path):
    assert isinstance(make_storage(Settings(storage_dir=tmp_path)), LocalStorage)
