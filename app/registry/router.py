"""Registry routes (API.md: Registry)."""

from fastapi import APIRouter

router = APIRouter(tags=["registry"])
