"""Operational endpoints outside /api/v1: liveness, readiness (database) and Prometheus metrics."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Header, Response
from sqlalchemy import text

from app.core.config import get_settings
from app.core.db import get_engine
from app.core.errors import NOT_FOUND, SERVICE_UNAVAILABLE, responses, unavailable_headers
from app.core.observability import metrics_payload

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", operation_id="readyz", responses=responses(503))
async def readyz() -> dict[str, str]:
    """200 while the database answers; 503 with Retry-After while it does not (down, restarting,
    unreachable within the connect timeout, no pooled connection free), and 200 again once it is back:
    the pool checks its connections before use, so no restart is needed."""
    try:
        async with get_engine().connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        raise SERVICE_UNAVAILABLE(details={"database": "unavailable"}, headers=unavailable_headers()) from None
    return {"status": "ok", "database": "ok"}


@router.get("/metrics", operation_id="metrics", response_class=Response, responses=responses(404))
async def metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus metrics: open outside prod, else only with ``APP_METRICS_TOKEN`` as a bearer token
    (not found otherwise, so that nothing tells it is there)."""
    settings = get_settings()
    if not settings.metrics_open:
        presented = (authorization or "").removeprefix("Bearer ").strip()
        if settings.metrics_token is None or not secrets.compare_digest(presented.encode(), settings.metrics_token.encode()):
            raise NOT_FOUND()
    body, content_type = metrics_payload()
    return Response(body, media_type=content_type)
