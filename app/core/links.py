"""Addresses outside the API that the service hands out: what a QR code on paper opens."""

from app.core.config import get_settings


def public_url(path: str) -> str:
    """``path`` (``/public/...``) under the address the public reaches the service at (APP_PUBLIC_BASE_URL)."""
    base = get_settings().public_base_url
    assert base is not None  # settled by the settings' validation
    return f"{base.rstrip('/')}{path}"
