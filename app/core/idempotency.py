"""``Idempotency-Key`` for POST requests (docs/api.md, IETF httpapi idempotency-key draft).

For an authenticated POST under /api/v1 carrying the header:
- the first request with a key records it as in flight with a lease (a row committed at once, unique per
  user and key, so concurrent retries on any process see it), then runs in a transaction this middleware
  owns; the request's writes and its stored response commit together, and only then is the response sent.
  So a key either has a stored response and the request's effects, or neither;
- the same key with the same payload replays the stored response (``Idempotent-Replayed: true``);
- the same key with another payload answers 422 ``idempotency_key_reused``;
- the same key while the first request still runs answers 409 ``idempotency_in_flight``; once the lease
  has passed (the first request's process died) a retry takes the key over and runs;
- an error answer (4xx) is stored and replayed like any other, and whatever the route wrote before it
  failed is undone;
- a 5xx rolls everything back and releases the key; a client that disconnects before its body arrived
  has nothing run.
Records expire after ``idempotency_ttl_hours``. Keys are scoped to the user of the access token;
anonymous requests (logins) are not affected by the header.

The payload fingerprint is method, path, query and body. JSON bodies are canonicalised (key order and
whitespace do not matter) and multipart boundaries are neutralised on their delimiter lines, because
clients regenerate them on every retry.
"""

import functools
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import clock, retention
from app.core import i18n as language
from app.core.config import get_settings
from app.core.db import SHARED_SESSION_FAILED, SHARED_SESSION_STATE, autocommit, own_transaction
from app.core.errors import error_body
from app.core.logging import get_logger
from app.core.models import IdempotencyRecord
from app.core.security import AccessClaims, decode_access_token

log = get_logger(__name__)
HEADER = b"idempotency-key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_BOUNDARY = re.compile(rb"boundary=\"?([^\";]+)\"?")


# The request's transaction, its stored answer committed with it; and one for the statements on their own
# (the key taken, released, a login checked). Tests replace both so the records live inside their
# rolled-back transaction.
session_scope: Callable[[], AbstractAsyncContextManager[AsyncSession]] = own_transaction
statement_scope: Callable[[], AbstractAsyncContextManager[AsyncSession]] = autocommit


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
            # Only the delimiter lines: the boundary string may also occur inside a part's content.
            delimiter = re.compile(rb"(^|\r\n)--" + re.escape(match.group(1)) + rb"(--)?(?=\r\n|$)")
            normalised = delimiter.sub(rb"\1--BOUNDARY\2", body)
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, normalised):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _bearer_claims(headers: dict[bytes, bytes]) -> AccessClaims | None:
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if not auth.lower().startswith("bearer "):
        return None
    return decode_access_token(auth[7:].strip())


@dataclass(frozen=True)
class LoginCheck:
    """Whether a token's login is still live (not logged out or revoked, the account active): auth provides
    it, as core knows no accounts. A stored response is replayed only to a live login, so that a replay
    after logout cannot hand out what the first answer held (an invitation code, say)."""

    is_live: Callable[[AsyncSession, AccessClaims], Awaitable[bool]]


_login_check: LoginCheck | None = None


def install_login_check(check: LoginCheck) -> None:
    global _login_check
    if _login_check is not None and _login_check != check:
        raise ValueError("a login check is already installed")
    _login_check = check


async def _login_is_live(claims: AccessClaims) -> bool:
    if _login_check is None:
        return False
    async with statement_scope() as session:
        return await _login_check.is_live(session, claims)


class _RollBack(Exception):
    """Raised inside the owned transaction to undo a request that answered 5xx."""


class _Undo(Exception):
    """Raised inside the owned transaction to undo the writes of a route that failed (4xx), whose answer is
    then stored on its own."""


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
        claims = _bearer_claims(headers) if key is not None else None
        if key is None or claims is None:
            await self.app(scope, receive, send)
            return
        user_id = claims.user_id
        english = language.english()  # set by RequestContextMiddleware, the outermost
        key_text = key.decode("latin-1")
        if not _VALID_KEY.match(key_text):
            await _send_error(send, 400, "idempotency_key_invalid", english)
            return

        body = await _read_body(receive)  # bounded by the size-limit middleware outside this one
        if body is None:
            return  # the client went away before its request arrived: nothing to do, nothing to keep
        fp = fingerprint(
            "POST", scope["path"], scope.get("query_string", b""),
            headers.get(b"content-type", b"").decode("latin-1"), body,
        )
        outcome = await _begin(user_id, key_text, fp)
        if isinstance(outcome, IdempotencyRecord):
            if await _login_is_live(claims):
                await _replay(send, outcome)
            else:  # answered as any request of a dead login is (401)
                await self.app(scope, _replaying(body, receive), send)
            return
        if isinstance(outcome, tuple):
            await _send_error(send, *outcome, english)
            return
        lease = outcome

        messages: list[Message] = []

        async def buffer(message: Message) -> None:
            messages.append(message)

        async def store(session: AsyncSession) -> None:
            nonlocal messages
            if not await _complete(session, user_id, key_text, lease, *_response_of(messages)):
                messages = []  # our lease was taken over by a retry while we ran: that retry's result counts
                raise _RollBack

        state = scope.setdefault("state", {})
        try:
            try:
                async with session_scope() as session:
                    state[SHARED_SESSION_STATE] = session
                    await self.app(scope, _replaying(body, receive), buffer)
                    if _response_of(messages)[0] >= 500:
                        raise _RollBack
                    if state.pop(SHARED_SESSION_FAILED, False):
                        raise _Undo
                    await store(session)
            except _Undo:  # the route's writes are gone; its answer is stored on its own
                async with session_scope() as session:
                    await store(session)
        except _RollBack:
            if not messages:
                await _send_error(send, 409, "idempotency_in_flight", english)
                return
            await _release(user_id, key_text, lease)
        except BaseException:
            await _release(user_id, key_text, lease)
            raise
        finally:
            state.pop(SHARED_SESSION_STATE, None)
            state.pop(SHARED_SESSION_FAILED, None)
        for message in messages:
            await send(message)


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            return None


def _replaying(body: bytes, receive: Receive) -> Receive:
    """Hands the app the body we already read, then the real channel (so disconnects still show)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _response_of(messages: list[Message]) -> tuple[int, str | None, bytes]:
    status, content_type, body = 500, None, bytearray()
    for message in messages:
        if message["type"] == "http.response.start":
            status = message["status"]
            content_type = dict(message.get("headers", [])).get(b"content-type", b"").decode() or None
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")
    return status, content_type, bytes(body)


def _record_filter(user_id: uuid.UUID, key: str):
    return col(IdempotencyRecord.user_id) == user_id, col(IdempotencyRecord.key) == key


@functools.cache
def _claim(dialect: str) -> Any:
    """Taking a key: its row inserted unless one exists (built once per database, the values bound)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert(IdempotencyRecord).values({name: bindparam(name) for name in _CLAIMED}).values(completed=False)
            .on_conflict_do_nothing().returning(col(IdempotencyRecord.id)))


_CLAIMED = ("id", "user_id", "key", "fingerprint", "created_at", "expires_at", "locked_until")

# Storing the answer in the request's transaction, if the key is still ours (built once, the values bound).
_COMPLETE = (
    update(IdempotencyRecord)
    .where(col(IdempotencyRecord.user_id) == bindparam("owner"), col(IdempotencyRecord.key) == bindparam("claimed_key"),
           col(IdempotencyRecord.locked_until) == bindparam("lease"), col(IdempotencyRecord.completed).is_(False))
    .values(completed=True, response_status=bindparam("status"), response_content_type=bindparam("content_type"),
            response_body=bindparam("body"))
)


async def _begin(user_id: uuid.UUID, key: str, fp: str) -> datetime | IdempotencyRecord | tuple[int, str]:
    """Take the key (returns our lease), or the stored record to replay, or (status, error code)."""
    settings = get_settings()
    now = clock.now()
    lease = now + timedelta(seconds=settings.idempotency_lease_seconds)
    expires = now + timedelta(hours=settings.idempotency_ttl_hours)
    async with statement_scope() as session:
        conn = await session.connection()
        # One statement, no savepoint: the key is ours if the row went in.
        taken = await conn.execute(_claim(conn.dialect.name), {
            "id": uuid.uuid4(), "user_id": user_id, "key": key, "fingerprint": fp, "created_at": now,
            "expires_at": expires, "locked_until": lease})
        if taken.first() is not None:
            return lease
    async with statement_scope() as session:  # a read, then an update only if nobody changed the row since
        existing = (await session.exec(select(IdempotencyRecord).where(*_record_filter(user_id, key)))).first()
        if existing is None:
            return 409, "idempotency_in_flight"  # the first request was released between our reads; retry
        expired = existing.expires_at <= now
        if not expired and existing.fingerprint != fp:
            return 422, "idempotency_key_reused"
        if not expired and existing.completed:
            return existing
        if not expired and existing.locked_until > now:
            return 409, "idempotency_in_flight"
        # Expired, or its request died holding the lease: take it over, unless another retry just did.
        taken = await session.exec(
            update(IdempotencyRecord)
            .where(*_record_filter(user_id, key), col(IdempotencyRecord.locked_until) == existing.locked_until,
                   or_(col(IdempotencyRecord.expires_at) <= now, col(IdempotencyRecord.completed).is_(False)))
            .values(fingerprint=fp, completed=False, response_status=None, response_content_type=None,
                    response_body=None, created_at=now, expires_at=expires, locked_until=lease)
        )
        return lease if taken.rowcount == 1 else (409, "idempotency_in_flight")


async def _complete(session: AsyncSession, user_id: uuid.UUID, key: str, lease: datetime, status: int,
                    content_type: str | None, body: bytes) -> bool:
    """Store the response in the request's own transaction, if the key is still ours."""
    result = await (await session.connection()).execute(_COMPLETE, {
        "owner": user_id, "claimed_key": key, "lease": lease, "status": status, "content_type": content_type,
        "body": body})
    return result.rowcount == 1


async def _release(user_id: uuid.UUID, key: str, lease: datetime) -> None:
    try:
        async with statement_scope() as session:
            await session.exec(
                delete(IdempotencyRecord).where(
                    *_record_filter(user_id, key), col(IdempotencyRecord.locked_until) == lease,
                    col(IdempotencyRecord.completed).is_(False),
                )
            )
    except Exception:  # the original error matters more; the key is taken over when its lease passes
        log.exception("could not release idempotency key")


async def purge_expired(session: AsyncSession) -> int:
    """Delete records past their TTL (run by the worker's scheduler): they hold responses, which may name
    people (``core.retention``)."""
    result = await session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= clock.now()))
    return retention.removed("idempotency_records", result.rowcount or 0)


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
