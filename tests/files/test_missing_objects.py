"""A stored object gone missing from storage (deleted or lost outside the service): reading it answers
409 ``file_content_missing`` in the error shape, never a 500; uploading the same bytes again restores it,
for every file that shares it."""

import uuid

from sqlmodel import select

from app.files.models import FileBlob, StoredFile
from tests import factories as f
from tests.files.conftest import API, PNG, upload


async def test_a_missing_object_answers_409_and_the_same_bytes_restore_it(client, db, storage):
    owner = await f.user(db)
    headers = await f.headers(db, owner)
    first = (await upload(client, headers, PNG)).json()["id"]
    blob = (await db.exec(select(FileBlob).join(StoredFile, StoredFile.blob_id == FileBlob.id)
                          .where(StoredFile.id == uuid.UUID(first)))).one()
    (storage.root / blob.storage_key).unlink()

    r = await client.get(f"{API}/files/{first}", headers=headers)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "file_content_missing"
    assert r.json()["error"]["message"] == "文件内容已丢失，请重新上传该文件后再试"
    assert r.json()["error"]["details"] == {"sha256": blob.sha256}
    r = await client.get(f"{API}/me/data", params={"format": "zip"}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "file_content_missing"

    again = await upload(client, headers, PNG)  # the same bytes: stored once, and restored
    assert again.status_code == 201 and again.json()["sha256"] == blob.sha256
    assert (storage.root / blob.storage_key).read_bytes() == PNG
    for file_id in (first, again.json()["id"]):
        r = await client.get(f"{API}/files/{file_id}", headers=headers)
        assert r.status_code == 200 and r.content == PNG


async def test_an_object_present_is_not_written_again(client, db, storage):
    headers = await f.headers(db, await f.user(db))
    await upload(client, headers, PNG)
    await upload(client, headers, PNG)
    assert len(storage.puts) == 1
