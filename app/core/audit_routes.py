"""Audit routes: GET /audit and GET /audit/verify (staff)."""

from fastapi import APIRouter

router = APIRouter(tags=["audit"])
