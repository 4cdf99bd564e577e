"""Production refuses to start with placeholder secrets or the fake WeChat server."""

import pytest
from pydantic import ValidationError

from app.core.config import Settings

STRONG = "k" * 40


def test_dev_defaults_run_offline_with_sqlite(monkeypatch):
    monkeypatch.delenv("APP_DATABASE_URL")
    s = Settings(_env_file=None, env="dev")
    assert s.wechat_fake is True and s.database_url.startswith("sqlite+aiosqlite:///./data/")


@pytest.mark.parametrize("secret", ["", "change-me", "dev-insecure-secret-change-me", "short-secret"])
def test_prod_refuses_weak_or_placeholder_jwt_secret(secret):
    with pytest.raises(ValidationError, match="APP_JWT_SECRET"):
        Settings(_env_file=None, env="prod", jwt_secret=secret, wechat_app_secret="real")


def test_prod_refuses_fake_wechat_and_demo_app_secret():
    with pytest.raises(ValidationError, match="APP_WECHAT_FAKE"):
        Settings(_env_file=None, env="prod", jwt_secret=STRONG, audit_key="a" * 40, wechat_fake=True,
                 wechat_app_secret="real")
    with pytest.raises(ValidationError, match="APP_WECHAT_APP_SECRET"):
        Settings(_env_file=None, env="prod", jwt_secret=STRONG, audit_key="a" * 40)


def test_prod_with_real_secrets_starts():
    s = Settings(_env_file=None, env="prod", jwt_secret=STRONG, audit_key="a" * 40, wechat_app_secret="real-secret")
    assert s.wechat_fake is False


def test_prod_needs_its_own_audit_key():
    with pytest.raises(ValidationError, match="APP_AUDIT_KEY"):
        Settings(_env_file=None, env="prod", jwt_secret=STRONG, wechat_app_secret="real-secret")
    with pytest.raises(ValidationError, match="APP_AUDIT_KEY"):
        Settings(_env_file=None, env="prod", jwt_secret=STRONG, audit_key=STRONG, wechat_app_secret="real-secret")
