"""Notifications routes (API.md)."""

from fastapi import APIRouter

router = APIRouter(tags=["notifications"])
