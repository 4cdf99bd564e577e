"""Request id, access log, Prometheus metrics and the last-resort 500 (no traceback reaches a client)."""

import json
import os
import re
import time
import uuid
from contextvars import ContextVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import error_body
from app.core.i18n import english, reset_language, set_language
from app.core.logging import get_logger, request_id_var

log = get_logger("app.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"])


def metrics_payload() -> tuple[bytes, str]:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


# The request being answered: the router adds the matched route to it as it runs.
_scope_var: ContextVar[Scope | None] = ContextVar("request_scope", default=None)


def current_route() -> str:
    """The route answering the current request, as its router declares it (under ``/api/v1``), with its
    method: ``GET /grids/{grid_id}/roster``; ``worker`` outside a request."""
    scope = _scope_var.get()
    if scope is None:
        return "worker"
    return f"{scope['method']} {getattr(scope.get('route'), 'path', None) or scope['path']}"


class RequestContextMiddleware:
    """Pure ASGI middleware: assigns the request id, echoes it, sets the request's language (zh-CN unless
    ``Accept-Language: en``), logs and measures the request."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope_token = _scope_var.set(scope)
        language = set_language(dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1"))
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("unhandled error", extra={"route": getattr(scope.get("route"), "path", None)})
            if started_response:
                raise
            body = json.dumps(error_body("internal_error", english()), ensure_ascii=False).encode()
            status = 500
            await send({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode())]})
            await send({"type": "http.response.body", "body": body})
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], template, str(status)).inc()
            LATENCY.labels(scope["method"], template).observe(elapsed)
            # The path template, never the raw path or query string: those may carry personal data.
            log.info(
                "request",
                extra={"method": scope["method"], "route": template, "status": status, "ms": round(elapsed * 1000, 1)},
            )
            request_id_var.reset(token)
            _scope_var.reset(scope_token)
            reset_language(language)
