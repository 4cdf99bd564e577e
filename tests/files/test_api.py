"""POST /files and GET /files/{id}: type by content, size limit, one blob per content, who may read."""

import io
import uuid

import pytest
from PIL import Image
from sqlmodel import func, select

from app.core.config import get_settings
from app.core.models import AuditEntry
from app.files import service
from app.files.models import FileAttachment, FileBlob, StoredFile
from tests import factories as f
from tests.files.conftest import API, JPEG, PDF, PNG, TEST_KIND, WEBP, upload


@pytest.fixture
async def uploader(db):
    u = await f.user(db)
    h = await f.headers(db, u)
    await db.commit()
    return u.id, h


async def test_png_named_pdf_is_stored_as_png(client, db, uploader):
    _, h = uploader
    r = await upload(client, h, PNG, filename="report.pdf", content_type="application/pdf")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["content_type"] == "image/png"
    assert body["size"] == len(PNG) and len(body["sha256"]) == 64
    assert body["filename"] == "report.pdf.png"  # served under the type it is, not the one it claimed

    got = await client.get(f"{API}/files/{body['id']}", headers=h)
    assert got.status_code == 200
    assert got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["cache-control"] == "private"
    assert got.headers["content-disposition"] == "inline; filename*=UTF-8''report.pdf.png"
    assert got.headers["content-security-policy"] == "sandbox"  # even a file opened directly runs nothing


@pytest.mark.parametrize(("data", "kind"), [(JPEG, "image/jpeg"), (WEBP, "image/webp"), (PDF, "application/pdf")])
async def test_accepted_types(client, uploader, data, kind):
    r = await upload(client, uploader[1], data, filename="x.bin", content_type="application/octet-stream")
    assert r.status_code == 201 and r.json()["content_type"] == kind


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64,
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64,
        b"<html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"",
    ],
    ids=["exe", "elf", "html", "svg", "empty"],
)
async def test_executables_and_other_types_are_refused(client, db, uploader, data):
    r = await upload(client, uploader[1], data, filename="photo.png", content_type="image/png")
    assert r.status_code == 415
    err = r.json()["error"]
    assert err["code"] == "file_type_not_allowed"
    assert "PDF" in err["message"] and "仅支持" in err["message"]
    assert (await db.exec(select(func.count()).select_from(StoredFile))).one() == 0


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + EXE,
        b"\x89PNG\r\n\x1a\n" + HTML,
        PNG[:40] + HTML,  # a real PNG header, then something else
        b"\xff\xd8\xff\xe0" + HTML,
        JPEG[:200],  # truncated: does not decode
        b"RIFF\x24\x00\x00\x00WEBPVP8 " + EXE,
        b"%PDF-1.7\n" + HTML,  # no %%EOF trailer
        b"%PDF-1.7\n%%EOF\n" + HTML * 30,  # the trailer is not at the end
    ],
    ids=["png-exe", "png-html", "png-header-html", "jpeg-html", "jpeg-truncated", "webp-exe", "pdf-no-eof",
         "pdf-eof-not-at-end"],
)
async def test_a_signature_alone_is_not_enough(client, db, uploader, storage, data):
    r = await upload(client, uploader[1], data, filename="photo.png", content_type="image/png")
    assert r.status_code == 415 and r.json()["error"]["code"] == "file_type_not_allowed"
    assert storage.puts == []


async def test_images_larger_than_one_chunk_are_streamed_back(client, uploader, storage, monkeypatch):
    import os

    noisy = Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3))
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    data = out.getvalue()
    assert len(data) > 3 * 64 * 1024
    body = (await upload(client, uploader[1], data)).json()

    async def no_whole_reads(key):
        raise AssertionError("the download must not load the whole blob")

    monkeypatch.setattr(storage, "get", no_whole_reads)
    got = await client.get(f"{API}/files/{body['id']}", headers=uploader[1])
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-length"] == str(len(data)) and got.headers["content-type"] == "image/png"
    assert got.headers["content-security-policy"] == "sandbox"
    assert got.headers["x-content-type-options"] == "nosniff"


async def test_hashing_and_decoding_run_in_their_own_pool(db, storage, monkeypatch):
    """Off the event loop, and off the pool that password hashing uses, so that one cannot starve the other."""
    import threading

    from app.auth.principal import Principal

    ran_in = []
    original = service.inspect_content

    def recording(data):
        ran_in.append(threading.current_thread().name)
        return original(data)

    monkeypatch.setattr(service, "inspect_content", recording)
    u = await f.user(db)
    result = await service.upload(db, storage, Principal(user=u), JPEG, "a.jpg")
    assert result.blob.content_type == "image/jpeg"
    assert len(ran_in) == 1 and ran_in[0].startswith("uploads")


async def test_english_message(client, uploader):
    h = {**uploader[1], "Accept-Language": "en"}
    r = await upload(client, h, b"MZ" + b"\x00" * 10)
    assert r.json()["error"]["message"].startswith("Only JPEG")


async def test_oversize_file_is_refused(client, db, uploader, monkeypatch, storage):
    monkeypatch.setattr(get_settings(), "upload_max_bytes", 1000)
    ok = await upload(client, uploader[1], PNG + b"\x00" * (1000 - len(PNG)))
    assert ok.status_code == 201
    r = await upload(client, uploader[1], PNG + b"\x00" * (1001 - len(PNG)))
    assert r.status_code == 413
    assert r.json()["error"] == {"code": "file_too_large", "message": "文件过大，超过上传大小限制",
                                 "details": {"max_bytes": 1000}}
    assert len(storage.puts) == 1


async def test_same_bytes_twice_store_one_blob(client, db, uploader, storage):
    h = uploader[1]
    a = (await upload(client, h, JPEG, filename="a.jpg")).json()
    b = (await upload(client, h, JPEG, filename="b.jpg")).json()
    assert a["id"] != b["id"] and a["sha256"] == b["sha256"]
    assert len(storage.puts) == 1
    assert (await db.exec(select(func.count()).select_from(FileBlob).where(FileBlob.sha256 == a["sha256"]))).one() == 1
    files = (await db.exec(select(StoredFile).where(StoredFile.id.in_([uuid.UUID(a["id"]), uuid.UUID(b["id"])])))).all()
    assert {x.filename for x in files} == {"a.jpg", "b.jpg"} and len({x.blob_id for x in files}) == 1
    # Both are served.
    for x in (a, b):
        assert (await client.get(f"{API}/files/{x['id']}", headers=h)).content == JPEG


async def test_upload_is_audited(client, db, uploader):
    r = await upload(client, uploader[1], PDF, filename="plan.pdf")
    entry = (await db.exec(select(AuditEntry).where(AuditEntry.entity_id == r.json()["id"]))).one()
    assert entry.action == "file.upload" and entry.entity_type == "file" and entry.actor_id == uploader[0]
    assert entry.after["sha256"] == r.json()["sha256"]


async def test_upload_needs_login(client):
    r = await client.post(f"{API}/files", files={"file": ("a.png", PNG, "image/png")})
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


async def test_concurrent_first_upload_reuses_the_winners_blob(db, storage):
    """Another transaction inserted the blob between our lookup and our insert: we reuse its row."""
    from app.auth.principal import Principal
    from app.files.storage import blob_key

    u = await f.user(db)
    digest = __import__("hashlib").sha256(PNG).hexdigest()

    class RacingStorage(type(storage)):
        async def put(self, key, data, content_type):
            await super().put(key, data, content_type)
            db.add(FileBlob(sha256=digest, size=len(data), content_type=content_type, storage_key=blob_key(digest)))
            await db.flush()

    racing = RacingStorage(storage.root)
    result = await service.upload(db, racing, Principal(user=u), PNG, "race.png")
    blobs = (await db.exec(select(FileBlob).where(FileBlob.sha256 == digest))).all()
    assert len(blobs) == 1 and result.blob.id == blobs[0].id and result.file.blob_id == blobs[0].id


# ---- who may read ---------------------------------------------------------------------------------


@pytest.fixture
async def scene(db):
    """A staff member uploads a photo attached to unit A; a resident of A, and one of B."""
    est = await f.estate(db)
    b = await f.building(db, est.id)
    e = await f.entrance(db, b.id)
    unit_a, unit_b = await f.unit(db, e, est.id), await f.unit(db, e, est.id)
    author = await f.user(db)
    resident_a, resident_b = await f.user(db), await f.user(db)
    await f.bind(db, resident_a, unit_a)
    await f.bind(db, resident_b, unit_b)
    hs = [await f.headers(db, x) for x in (author, resident_a, resident_b)]
    ids = (author.id, unit_a.id, unit_b.id)
    await db.commit()
    return ids, hs


async def _attach(db, user_id, file_id, object_id):
    from app.auth.models import User
    from app.auth.principal import Principal

    await service.attach(db, Principal(user=await db.get(User, user_id)), [file_id], TEST_KIND, object_id)
    await db.commit()


async def test_outsider_gets_404_for_a_file_attached_to_what_they_cannot_read(client, db, scene):
    (author_id, unit_a, unit_b), (h_author, h_a, h_b) = scene
    file_id = uuid.UUID((await upload(client, h_author, PNG)).json()["id"])

    # Not attached yet: only the uploader.
    assert (await client.get(f"{API}/files/{file_id}", headers=h_author)).status_code == 200
    assert (await client.get(f"{API}/files/{file_id}", headers=h_a)).status_code == 404

    await _attach(db, author_id, file_id, unit_a)
    assert (await client.get(f"{API}/files/{file_id}", headers=h_a)).status_code == 200
    r = await client.get(f"{API}/files/{file_id}", headers=h_b)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    # Same answer as an id that does not exist.
    assert (await client.get(f"{API}/files/{uuid.uuid4()}", headers=h_b)).status_code == 404


async def test_attach_is_idempotent_and_audited(client, db, scene):
    (author_id, unit_a, _), (h_author, _, _) = scene
    file_id = uuid.UUID((await upload(client, h_author, PNG)).json()["id"])
    await _attach(db, author_id, file_id, unit_a)
    await _attach(db, author_id, file_id, unit_a)
    rows = (await db.exec(select(FileAttachment).where(FileAttachment.file_id == file_id))).all()
    assert len(rows) == 1 and rows[0].object_type == TEST_KIND and rows[0].object_id == unit_a
    actions = (await db.exec(select(AuditEntry.action).where(AuditEntry.entity_id == str(file_id)))).all()
    assert sorted(actions) == ["file.attach", "file.upload"]


async def test_attach_refuses_files_of_others_and_unknown_ids(client, db, scene):
    from app.auth.models import User
    from app.auth.principal import Principal
    from app.core.errors import AppError

    (author_id, unit_a, _), (h_author, h_a, _) = scene
    theirs = uuid.UUID((await upload(client, h_author, PNG)).json()["id"])
    mine = uuid.UUID((await upload(client, h_a, JPEG)).json()["id"])
    ghost = uuid.uuid4()
    resident = Principal(user=(await db.exec(select(User).join(StoredFile, StoredFile.uploaded_by == User.id)
                                             .where(StoredFile.id == mine))).one())
    with pytest.raises(AppError) as exc:
        await service.attach(db, resident, [mine, theirs, ghost], TEST_KIND, unit_a)
    assert exc.value.code == "file_not_usable" and exc.value.status == 422
    assert exc.value.details == {"file_ids": [str(theirs), str(ghost)]}
    assert (await db.exec(select(func.count()).select_from(FileAttachment))).one() == 0

    with pytest.raises(LookupError):
        await service.attach(db, resident, [mine], "not_registered", unit_a)
    assert author_id  # silence


async def test_uploads_per_hour_are_limited_per_account(client, db, uploader, monkeypatch):
    from datetime import timedelta

    from app.core import clock
    from app.core.config import get_settings
    from tests.files.conftest import image

    monkeypatch.setattr(get_settings(), "upload_max_per_hour", 3)
    _, h = uploader
    for i in range(3):
        assert (await upload(client, h, image("PNG", color=(i, 0, 0)))).status_code == 201
    r = await upload(client, h, image("PNG", color=(9, 9, 9)))
    assert r.status_code == 429 and r.json()["error"]["code"] == "upload_rate_limited"
    assert 0 < int(r.headers["retry-after"]) <= 3600
    other = await f.headers(db, await f.user(db))
    assert (await upload(client, other, image("PNG", color=(9, 9, 9)))).status_code == 201
    with clock.freeze(clock.now() + timedelta(hours=1, seconds=1)):
        from app.auth.models import User

        fresh = await f.headers(db, await db.get(User, uploader[0]))  # the same account, a live token
        assert (await upload(client, fresh, image("PNG", color=(9, 9, 9)))).status_code == 201


async def test_bytes_kept_are_limited_per_account(client, db, uploader, monkeypatch):
    from app.core.config import get_settings

    _, h = uploader
    first = await upload(client, h, PNG)
    size = first.json()["size"]
    monkeypatch.setattr(get_settings(), "upload_quota_bytes", size + len(JPEG) - 1)
    r = await upload(client, h, JPEG)
    assert r.status_code == 413 and r.json()["error"]["code"] == "upload_quota_exceeded"
    assert r.json()["error"]["details"] == {"quota_bytes": size + len(JPEG) - 1}
