"""The request timeout, and the last word on a database that went away (pure ASGI middleware).

A request that has not begun its response ``request_timeout_seconds`` after it arrived is answered 503
``service_unavailable`` with ``Retry-After`` there and then, and the application's work on it is
cancelled (its transaction rolls back; an Idempotency-Key is released). The time the client takes to send
its body does not count: a slow upload from a phone is not the server hanging. A response that has begun
- an XLSX export streaming - is never cut off.

The application runs in a task of its own, so the 503 goes out on time even when the cancelled work takes
a while to clean up (closing a connection to a database that does not answer).

Exports that build a large file before their first byte register their paths with ``allow_longer``: they
get ``export_timeout_seconds`` instead.

Errors the exception handlers never see - the database failing inside a middleware, such as the
idempotency middleware recording a key - are answered 503 here too when they mean the database cannot be
reached (``app.core.errors.is_unavailable``) rather than the bare 500 of ``RequestContextMiddleware``.
"""

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import i18n as language
from app.core.config import get_settings
from app.core.errors import error_body, is_unavailable, unavailable_headers
from app.core.logging import get_logger

log = get_logger(__name__)


_LONGER: set[tuple[str, str]] = set()  # (method, path suffix)


def allow_longer(method: str, path_suffix: str) -> None:
    """Requests of ``method`` whose path ends with ``path_suffix`` get the export timeout."""
    _LONGER.add((method, path_suffix))


def _timeout(scope: Scope) -> float:
    settings = get_settings()
    if any(scope["method"] == m and scope["path"].endswith(suffix) for m, suffix in _LONGER):
        return settings.export_timeout_seconds
    return settings.request_timeout_seconds


class RequestDeadlineMiddleware:
    def __init__(self, app: ASGIApp, seconds: float | None = None):
        self.app = app
        self.seconds = seconds  # None: the setting, read per request (tests change it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seconds = self.seconds if self.seconds is not None else _timeout(scope)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        body_done = False
        receiving_since: float | None = None  # while the app waits for the client's body
        started = loop.create_future()  # set when the app begins its response
        answered = False  # we answered 503: whatever the app sends after is dropped

        async def timed_receive() -> Message:
            nonlocal deadline, body_done, receiving_since
            if body_done:
                return await receive()
            receiving_since = loop.time()
            try:
                message = await receive()
            finally:
                deadline += loop.time() - receiving_since  # the client's time, not ours
                receiving_since = None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def guarded_send(message: Message) -> None:
            if answered:
                return
            if message["type"] == "http.response.start" and not started.done():
                started.set_result(None)
            await send(message)

        task = asyncio.ensure_future(self.app(scope, timed_receive, guarded_send))
        try:
            while not (task.done() or started.done()):
                left = deadline - (receiving_since if receiving_since is not None else loop.time())
                if left <= 0 and receiving_since is None:
                    break
                await asyncio.wait({task, started}, timeout=max(left, 0.01), return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # we are cancelled ourselves (the server shuts down): so is the app
            task.cancel()
            await asyncio.wait({task})
            raise

        if started.done():  # a response is under way: let it finish, however long it streams
            await task
            return
        if task.done():
            error = None if task.cancelled() else task.exception()
            if error is None or not is_unavailable(error):
                await task  # its result, or its error for RequestContextMiddleware (500)
                return
            log.warning("database unavailable", extra={"error": type(error).__name__, "route": _template(scope)})
            await _answer_503(send, {"reason": "database_unavailable"})
            return

        answered = True
        log.warning("request timed out", extra={"seconds": seconds, "route": _template(scope)})
        await _answer_503(send, {"reason": "request_timeout", "seconds": seconds})
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we were cancelled ourselves meanwhile
        except Exception:
            log.warning("a timed-out request failed while it was cancelled", exc_info=True)


def _template(scope: Scope) -> str | None:
    return getattr(scope.get("route"), "path", None)


async def _answer_503(send: Send, details: dict) -> None:
    body = json.dumps(error_body("service_unavailable", language.english(), details), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in unavailable_headers().items()]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
