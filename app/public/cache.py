"""What every answer of the public notice board gets on its way out (docs/public-board.md): ``ETag`` and
``Cache-Control`` (``304`` to ``If-None-Match``), a copy kept in memory for a short while so that a
notice's QR code scanned by a whole estate at once costs one rendering, and a limit per source address
(``429`` with ``Retry-After``).

The copy and the limit live in the process (several processes each keep their own; at most ``ENTRIES``
answers of at most ``KEPT_BYTES`` each): a page may be up to ``APP_PUBLIC_CACHE_SECONDS`` old, which is nothing beside the days a notice hangs on a wall. Only the
board's own paths pass here; the rest of the API is never cached.
"""

import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings
from app.core.errors import error_body
from app.core.i18n import accept_language_is_english
from app.public.errors import PUBLIC_RATE_LIMITED

PREFIXES = ("/public", "/api/v1/public")
ENTRIES = 1024  # distinct pages kept at once
KEPT_BYTES = 256 * 1024  # a larger answer (a plan's PDF with its attachments) is made again each time
WINDOW = 60.0  # seconds of the per-address limit


@dataclass(frozen=True)
class Kept:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    until: float


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((v for k, v in headers if k.lower() == name), None)


class PublicBoard:
    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...] = PREFIXES) -> None:
        self.app, self.prefixes = app, prefixes
        self.kept: OrderedDict[tuple, Kept] = OrderedDict()
        self.counts: dict[str, tuple[float, int]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes) or scope["method"] not in ("GET",
                                                                                                          "HEAD"):
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        headers = list(scope["headers"])
        now = time.monotonic()
        wait = self._over_limit(scope, now, settings.public_rate_per_minute)
        if wait is not None:
            english = accept_language_is_english((_header(headers, b"accept-language") or b"").decode("latin-1"))
            body = json.dumps(error_body(PUBLIC_RATE_LIMITED.code, english, {"retry_after_seconds": wait}),
                              ensure_ascii=False).encode()
            await _answer(send, 429, [(b"content-type", b"application/json"), (b"retry-after", str(wait).encode()),
                                      (b"content-length", str(len(body)).encode())], body)
            return
        key = (scope["path"], scope.get("query_string", b""), _header(headers, b"accept-language"))
        kept = self.kept.get(key)
        if kept is None or kept.until < now:
            kept = await self._render(scope, receive, key, now, settings.public_cache_seconds)
        max_age = settings.public_cache_seconds
        out = [*kept.headers, (b"etag", kept.etag), (b"cache-control", f"public, max-age={max_age}".encode())]
        if kept.status == 200 and _header(headers, b"if-none-match") in (kept.etag, b"*"):
            await _answer(send, 304, [(k, v) for k, v in out if k.lower() != b"content-length"], b"")
        else:
            await _answer(send, kept.status, out, b"" if scope["method"] == "HEAD" else kept.body)

    def _over_limit(self, scope: Scope, now: float, per_minute: int) -> int | None:
        """Seconds to wait when the source address is past its requests of the current minute."""
        address = (scope.get("client") or ("unknown", 0))[0]
        started, count = self.counts.get(address, (now, 0))
        if now - started >= WINDOW:
            started, count = now, 0
        self.counts[address] = (started, count + 1)
        if len(self.counts) > 100_000:  # addresses long gone
            self.counts = {a: c for a, c in self.counts.items() if now - c[0] < WINDOW}
        return max(1, int(WINDOW - (now - started)) + 1) if count >= per_minute else None

    async def _render(self, scope: Scope, receive: Receive, key: tuple, now: float, seconds: int) -> Kept:
        status, headers, chunks = 500, [], []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        # A HEAD is made as the GET it stands for (and kept as one); a GET passes its own scope, where the
        # router notes the route the access log names.
        await self.app(scope if scope["method"] == "GET" else {**scope, "method": "GET"}, receive, capture)
        body = b"".join(chunks)
        etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
        headers = [(k, v) for k, v in headers if k.lower() not in (b"etag", b"cache-control")]
        kept = Kept(status, headers, body, etag, now + seconds)
        if status == 200 and seconds and len(body) <= KEPT_BYTES:
            self.kept[key] = kept
            self.kept.move_to_end(key)
            while len(self.kept) > ENTRIES:
                self.kept.popitem(last=False)
        return kept


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
