"""Tokens and passwords. The only module that touches python-jose or the password hasher."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from jose import JWTError, jwt
from pwdlib import PasswordHash

from app.core import clock
from app.core.config import get_settings

_hasher = PasswordHash.recommended()  # argon2id with current parameters
# Verified against when the phone is unknown, so that the answer takes as long as for a known one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Check a password; also returns a new hash when the stored one uses outdated parameters."""
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False, None
    return _hasher.verify_and_update(password, password_hash)


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    token_id: uuid.UUID
    expires_at: datetime


def create_access_token(user_id: uuid.UUID, session_id: uuid.UUID) -> tuple[str, int]:
    settings = get_settings()
    issued = clock.now()
    ttl = settings.access_token_ttl_seconds
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "jti": str(uuid.uuid4()),
        "typ": "access",
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=ttl)).timestamp()),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm), ttl


def decode_access_token(token: str, *, allow_expired: bool = False) -> AccessClaims | None:
    """Claims of a valid access token, or None. Only the configured algorithm is accepted.

    With ``allow_expired`` an expired but otherwise valid token is accepted too: to tell a client that
    refreshing will help (``token_expired``) rather than that it must log in again."""
    settings = get_settings()
    claims = _verified(token, settings.jwt_secret, settings.jwt_algorithm)
    if claims is None or (claims.expires_at <= clock.now() and not allow_expired):
        return None
    return claims


@lru_cache(maxsize=2048)  # about 1 KB each
def _verified(token: str, secret: str, algorithm: str) -> AccessClaims | None:
    """The claims of a token whose signature, type and fields check out, expiry aside (checked by the
    caller against our clock, which tests can move, on every use). A token's signature never changes its
    verdict under one key, so a client's next requests with the same token skip the verification."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[algorithm],
            options={"verify_exp": False, "verify_iat": False, "require_sub": True, "require_jti": True},
        )
        if claims.get("typ") != "access" or "exp" not in claims:
            return None
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        return AccessClaims(uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]), uuid.UUID(claims["jti"]), expires_at)
    # An expiry far outside the calendar (exp=1e20) overflows datetime: as undecodable as any forgery.
    except (JWTError, KeyError, ValueError, TypeError, OverflowError, OSError):
        return None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Refresh tokens are stored as SHA-256 digests, never in the clear."""
    return hashlib.sha256(token.encode()).hexdigest()
