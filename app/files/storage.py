"""Where file bytes live: a local directory (default) or S3-compatible object storage.

Keys are content addresses (``ab/cd/<sha256>``); a key's bytes never change once written. Every call
runs its blocking I/O in a thread so the event loop never waits on a disk or on boto3.
"""

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import Depends

from app.core.config import Settings, get_settings

CHUNK_SIZE = 64 * 1024


class ObjectMissing(LookupError):
    """The stored object of a key is not there (deleted or lost outside the service)."""


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; a key already gone is no error."""
        ...

    async def stream(self, key: str, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Open ``key`` now (raising if it cannot be read) and return its bytes as chunks."""
        ...


async def _chunks(read: Callable[[int], bytes], close: Callable[[], None], chunk_size: int) -> AsyncIterator[bytes]:
    # Each read in a thread; the handle is closed when the iteration ends, fails or is abandoned.
    try:
        while chunk := await asyncio.to_thread(read, chunk_size):
            yield chunk
    finally:
        close()


def blob_key(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise ValueError(f"invalid storage key {key!r}")
    return key


class LocalStorage:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and renamed: a reader never sees a half-written file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, data)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise ObjectMissing(key) from None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def stream(self, key: str, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        try:
            fh = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        return _chunks(fh.read, fh.close, chunk_size)


class S3Storage:
    def __init__(self, settings: Settings, client: Any = None):
        if not settings.s3_bucket:
            raise ValueError("S3Storage needs settings.s3_bucket")
        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix
        self._settings = settings
        self._client = client

    def _s3(self) -> Any:
        if self._client is None:
            import boto3

            s = self._settings
            self._client = boto3.client(
                "s3",
                endpoint_url=s.s3_endpoint_url,
                region_name=s.s3_region,
                aws_access_key_id=s.s3_access_key_id,
                aws_secret_access_key=s.s3_secret_access_key,
            )
        return self._client

    def _key(self, key: str) -> str:
        return self.prefix + _check_key(key)

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3().put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)

    def _object(self, key: str) -> Any:
        """The object's body; ``ObjectMissing`` when S3 has no such key."""
        from botocore.exceptions import ClientError

        try:
            return self._s3().get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except ClientError as exc:
            if _missing(exc):
                raise ObjectMissing(key) from None
            raise

    def _get(self, key: str) -> bytes:
        return self._object(key).read()

    def _exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._s3().head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, data, content_type)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, key)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._exists, key)

    async def delete(self, key: str) -> None:  # S3 answers a missing key as deleted
        await asyncio.to_thread(lambda: self._s3().delete_object(Bucket=self.bucket, Key=self._key(key)))

    async def stream(self, key: str, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        body = await asyncio.to_thread(self._object, key)
        return _chunks(body.read, body.close, chunk_size)


def _missing(exc: Any) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def make_storage(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        return S3Storage(settings)
    return LocalStorage(settings.storage_dir)


@lru_cache
def _default_storage() -> Storage:
    return make_storage(get_settings())


def get_storage() -> Storage:
    """Dependency: the configured storage (tests override it)."""
    return _default_storage()


# A route's storage, as a parameter: ``storage: StorageDep``.
StorageDep = Annotated[Storage, Depends(get_storage)]
