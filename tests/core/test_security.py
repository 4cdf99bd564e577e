"""Access tokens: a verified token's claims are remembered, its expiry is not - it is checked on every use."""

import uuid
from datetime import timedelta

from app.core import clock
from app.core.config import get_settings
from app.core.security import create_access_token, decode_access_token


def test_a_remembered_token_still_expires_on_time():
    user, login = uuid.uuid4(), uuid.uuid4()
    token, ttl = create_access_token(user, login)
    first = decode_access_token(token)
    assert (first.user_id, first.session_id) == (user, login)
    assert decode_access_token(token) == first  # the second use: from memory
    with clock.freeze(clock.now() + timedelta(seconds=ttl + 1)):
        assert decode_access_token(token) is None
        assert decode_access_token(token, allow_expired=True) == first  # "token_expired", not "invalid"


def test_a_new_key_refuses_tokens_verified_under_the_old_one(monkeypatch):
    token, _ = create_access_token(uuid.uuid4(), uuid.uuid4())
    assert decode_access_token(token) is not None
    monkeypatch.setattr(get_settings(), "jwt_secret", "a-rotated-secret-of-enough-length-0123456789")
    assert decode_access_token(token) is None


def test_a_tampered_token_is_refused():
    token, _ = create_access_token(uuid.uuid4(), uuid.uuid4())
    assert decode_access_token(token) is not None
    head, body, signature = token.split(".")
    assert decode_access_token(f"{head}.{body}.{signature[:-2]}AA") is None
    assert decode_access_token("not-a-token") is None
