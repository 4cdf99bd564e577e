"""create_app(): routers, middleware, exception handlers; nothing else."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.auth.router import router as auth_router
from app.core.audit_routes import router as audit_router
from app.core.config import get_settings
from app.core.db import dispose_engine
from app.core.errors import install_error_handlers
from app.core.logging import configure_logging
from app.core.observability import RequestContextMiddleware
from app.core.ops import router as ops_router
from app.files.router import router as files_router
from app.notifications.router import router as notifications_router
from app.projects.router import router as projects_router
from app.registry.router import router as registry_router

API_PREFIX = "/api/v1"


def _operation_id(route: APIRoute) -> str:
    return route.name


@asynccontextmanager
async def _lifespan(_app: FastAPI):
    yield
    await dispose_engine()


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="老旧小区改造居民参与平台 API",
        version="1.0.0",
        description="Resident participation backend for old-estate renovation. Errors: "
        '`{"error": {"code", "message", "details"}}`; messages zh-CN, English with `Accept-Language: en`.',
        lifespan=_lifespan,
        generate_unique_id_function=_operation_id,
    )
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(ops_router)
    for router in (auth_router, registry_router, projects_router, files_router, notifications_router, audit_router):
        app.include_router(router, prefix=API_PREFIX)
    if settings.wechat_fake:
        from app.wechat.fake import fake_app

        app.mount("/_fake/wechat", fake_app)
    return app
