"""Auth and me routes (API.md: Auth and me)."""

from fastapi import APIRouter

router = APIRouter(tags=["auth"])
