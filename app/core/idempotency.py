"""``Idempotency-Key`` for POST requests (DESIGN.md §10, IETF httpapi idempotency-key draft).

For an authenticated POST under /api/v1 carrying the header:
- the first request with a key records it as in flight (a row committed at once, unique per user and
  key, so concurrent retries on other processes see it), runs, and stores its response;
- the same key with the same payload replays the stored response (``Idempotent-Replayed: true``);
- the same key with another payload answers 422 ``idempotency_key_reused``;
- the same key while the first request still runs answers 409 ``idempotency_in_flight``.
A 5xx or a crash deletes the record so the client may retry. Records expire after
``idempotency_ttl_hours``. Keys are scoped to the user of the access token; anonymous requests
(logins) are not affected by the header.

The payload fingerprint is method, path, query and body. JSON bodies are canonicalised (key order and
whitespace do not matter) and multipart boundaries are neutralised, because clients regenerate them on
every retry.
"""

import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import clock
from app.core.config import get_settings
from app.core.db import get_sessionmaker
from app.core.errors import accept_language_is_english, error_body
from app.core.logging import get_logger
from app.core.models import IdempotencyRecord
from app.core.security import decode_access_token

log = get_logger(__name__)
HEADER = b"idempotency-key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_BOUNDARY = re.compile(rb"boundary=\"?([^\";]+)\"?")


@asynccontextmanager
async def _own_transaction() -> AsyncIterator[AsyncSession]:
    async with get_sessionmaker()() as session, session.begin():
        yield session


# Tests replace this so the records live inside their rolled-back transaction.
session_scope: Callable[[], AbstractAsyncContextManager[AsyncSession]] = _own_transaction


def fingerprint(method: str, path: str, query: bytes, content_type: str, body: bytes) -> str:
    """Hash of what makes two requests "the same payload"."""
    normalised = body
    if content_type.startswith("application/json"):
        try:
            normalised = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass  # not JSON after all: the raw bytes decide
    elif content_type.startswith("multipart/"):
        match = _BOUNDARY.search(content_type.encode())
        if match:
            normalised = body.replace(match.group(1), b"BOUNDARY")
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, normalised):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _bearer_user(headers: dict[bytes, bytes]):
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if not auth.lower().startswith("bearer "):
        return None
    claims = decode_access_token(auth[7:].strip())
    return claims.user_id if claims else None


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, prefix: str = "/api/v1"):
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = headers.get(HEADER)
        user_id = _bearer_user(headers) if key is not None else None
        if user_id is None:
            await self.app(scope, receive, send)
            return
        english = accept_language_is_english(headers.get(b"accept-language", b"").decode("latin-1"))
        key_text = key.decode("latin-1")
        if not _VALID_KEY.match(key_text):
            await _send_error(send, 400, "idempotency_key_invalid", english)
            return

        body = await _read_body(receive)
        fp = fingerprint(
            "POST", scope["path"], scope.get("query_string", b""),
            headers.get(b"content-type", b"").decode("latin-1"), body,
        )
        outcome = await _begin(user_id, key_text, fp)
        if isinstance(outcome, IdempotencyRecord):
            await _replay(send, outcome)
            return
        if outcome is not None:
            status, code = outcome
            await _send_error(send, status, code, english)
            return

        captured: dict = {"status": 500, "content_type": None, "body": bytearray()}

        async def send_capturing(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["content_type"] = dict(message.get("headers", [])).get(b"content-type", b"").decode()
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, _replaying(body), send_capturing)
        except BaseException:
            await _forget(user_id, key_text)
            raise
        if captured["status"] >= 500:
            await _forget(user_id, key_text)
        else:
            await _complete(user_id, key_text, captured["status"], captured["content_type"], bytes(captured["body"]))


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _begin(user_id, key: str, fp: str) -> IdempotencyRecord | tuple[int, str] | None:
    """Record the key as in flight; or the stored record to replay; or (status, error code)."""
    now = clock.now()
    ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
    try:
        async with session_scope() as session:
            async with session.begin_nested():
                session.add(
                    IdempotencyRecord(user_id=user_id, key=key, fingerprint=fp, created_at=now, expires_at=now + ttl)
                )
                await session.flush()
            return None
    except IntegrityError:
        pass
    async with session_scope() as session:
        existing = (
            await session.exec(
                select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
            )
        ).first()
        if existing is None:
            return 409, "idempotency_in_flight"  # the first request failed between our two reads; retry
        if existing.expires_at <= now:
            existing.fingerprint, existing.completed, existing.expires_at = fp, False, now + ttl
            existing.response_status = existing.response_body = existing.response_content_type = None
            session.add(existing)
            return None
        if existing.fingerprint != fp:
            return 422, "idempotency_key_reused"
        if not existing.completed:
            return 409, "idempotency_in_flight"
        return existing


async def _complete(user_id, key: str, status: int, content_type: str | None, body: bytes) -> None:
    async with session_scope() as session:
        await session.exec(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
            .values(completed=True, response_status=status, response_content_type=content_type, response_body=body)
        )


async def _forget(user_id, key: str) -> None:
    try:
        async with session_scope() as session:
            await session.exec(
                delete(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
            )
    except Exception:  # the original error matters more; the key then expires with its TTL
        log.exception("could not release idempotency key")


async def purge_expired(session: AsyncSession) -> int:
    """Delete records past their TTL (run by the worker's scheduler)."""
    result = await session.exec(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= clock.now()))
    return result.rowcount or 0


async def _replay(send: Send, record: IdempotencyRecord) -> None:
    body = record.response_body or b""
    headers = [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    if record.response_content_type:
        headers.append((b"content-type", record.response_content_type.encode()))
    await send({"type": "http.response.start", "status": record.response_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, status: int, code: str, english: bool) -> None:
    body = json.dumps(error_body(code, english), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
