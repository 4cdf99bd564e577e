"""create_app(): routers, middleware, exception handlers; nothing else."""

import gc
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app import domains
from app.auth import caller_cache
from app.core import audit, demo_clock
from app.core.config import get_settings
from app.core.db import dispose_engine, get_sessionmaker
from app.core.deadline import RequestDeadlineMiddleware
from app.core.docs import install_docs
from app.core.errors import install_error_handlers, typed_errors
from app.core.idempotency import IdempotencyMiddleware
from app.core.limits import BodySizeLimitMiddleware
from app.core.logging import configure_logging
from app.core.observability import RequestContextMiddleware
from app.core.ops import router as ops_router
from app.core.routing import guard_routers
from app.public.cache import PublicBoard

API_PREFIX = "/api/v1"
# FastAPI tries the routers in order, route by route (2-3 us each): the domains residents call most come
# first, /me and a cast found some 50 and 130 routes sooner. No route of one router matches another's
# paths (tests/test_routing.py), so the order decides nothing but that. Since a router none of whose routes
# can match a path passes it over at once (app.core.routing), the order saves less than it did.
BUSIEST = ("residency", "projects", "voting")


def _operation_id(route: APIRoute) -> str:
    return route.name


@asynccontextmanager
async def _lifespan(app: FastAPI):
    # Everything loaded so far (the modules, the routes, the prebuilt statements) lives as long as the
    # process: moved out of the collector's sight, a full collection no longer walks it. Without this, a
    # request that makes ten thousand rows paid for a pass over the whole heap (50 ms became 200 ms).
    if get_settings().demo_clock:  # the demo's moved time, kept across a restart
        async with get_sessionmaker().begin() as session:
            await demo_clock.follow(session)
    listener = caller_cache.listener_for(get_settings().database_url)
    if listener is not None:
        listener.start()
    build_routes(app)
    gc.collect()
    gc.freeze()
    yield
    if listener is not None:
        await listener.stop()
    await audit.drain()
    await dispose_engine()


def build_routes(app: FastAPI) -> None:
    """Build every route's request handling (its parameter models, its dependency tree) before the first
    request. FastAPI builds an included router's routes when a request first reaches that router: ~0.4 s
    for all of them, in the event loop, so a process's first requests stalled every request beside them
    (and a database connect begun meanwhile could run out its timeout). The lifespan calls this."""
    for _ in iter_route_contexts(app.routes):
        pass


def _document_idempotency_key(app: FastAPI) -> None:
    """Every POST of the API accepts Idempotency-Key (app.core.idempotency); say so in the document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = typed_errors(generate())  # FastAPI's: builds the document and keeps it as app.openapi_schema
        for path, operations in schema["paths"].items():
            if path.startswith(API_PREFIX) and "post" in operations:
                operations["post"].setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
        return schema

    # FastAPI's documented way to extend the document is to replace this method; its stubs declare a method.
    app.openapi = openapi  # type: ignore[method-assign]


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": "Retry-safe POST: the same key and payload replay the first response (24 h); "
    "another payload answers 422, a request still running 409.",
}


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="老旧小区改造居民参与平台 API",
        version="1.0.0",
        description="Resident participation backend for old-estate renovation. Errors: "
        '`{"error": {"code", "message", "details"}}`; messages zh-CN, English with `Accept-Language: en`. '
        "Each operation lists the error codes it can answer under their status; besides those, every "
        "authenticated operation answers 403 `account_disabled` for a disabled account, and any operation "
        "may answer 503 `service_unavailable` with `Retry-After` (seconds) when the database is busy or "
        "unreachable or the request ran out of time: retry it then, with the same `Idempotency-Key`.",
        lifespan=_lifespan,
        generate_unique_id_function=_operation_id,
        # The document is generated either way (export-openapi); serving it and the docs is a setting.
        # Swagger UI and ReDoc come from app.core.docs (assets served locally, no CDN).
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    if settings.docs_enabled:
        install_docs(app)
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware, prefix=API_PREFIX)
    app.add_middleware(PublicBoard)  # the notice board's cache headers, in-memory copies and per-address limit
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.request_max_bytes)
    app.add_middleware(RequestDeadlineMiddleware)  # the request timeout; 503 for a database gone away
    app.add_middleware(RequestContextMiddleware)  # outermost: every response, even a replay, gets its id
    app.include_router(ops_router)
    domains.install()
    for router in domains.routers(first=BUSIEST):
        app.include_router(router, prefix=API_PREFIX)
    for pages in domains.pages():
        app.include_router(pages)
    if settings.demo_clock:  # `make run` only; refused in prod, absent from the committed document
        from app.demo.router import router as demo_router

        app.include_router(demo_router, prefix=API_PREFIX)
    guard_routers(app)
    _document_idempotency_key(app)
    if settings.wechat_fake:
        from app.wechat.fake import fake_app

        app.mount("/_fake/wechat", fake_app)
    return app
