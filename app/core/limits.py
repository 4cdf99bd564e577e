"""The request-size limit, enforced before anything reads a body into memory or onto disk.

A declared ``Content-Length`` over the limit is refused at once; a body without one (chunked) is counted
as it arrives and cut off at the limit: the 413 is answered there and then, the application is told the
client went away, and whatever it answers after that is dropped (it would otherwise turn the broken body
into a 400). Either way the client gets 413 ``payload_too_large``.
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import i18n as language
from app.core.errors import error_body


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        english = language.english()  # set by RequestContextMiddleware, the outermost
        declared = headers.get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, english)
            return

        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send, english)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been answered
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send: Send, english: bool) -> None:
        body = json.dumps(error_body("payload_too_large", english, {"max_bytes": self.max_bytes}),
                          ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
