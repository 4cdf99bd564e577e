"""Operational endpoints outside /api/v1: liveness, readiness (database) and Prometheus metrics."""

from fastapi import APIRouter, Response
from sqlalchemy import text

from app.core.db import get_engine
from app.core.errors import SERVICE_UNAVAILABLE, responses
from app.core.observability import metrics_payload

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", operation_id="readyz", responses=responses(503))
async def readyz() -> dict[str, str]:
    try:
        async with get_engine().connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        raise SERVICE_UNAVAILABLE() from None
    return {"status": "ok", "database": "ok"}


@router.get("/metrics", operation_id="metrics", response_class=Response)
async def metrics() -> Response:
    body, content_type = metrics_payload()
    return Response(body, media_type=content_type)
