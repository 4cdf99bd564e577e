"""Production refuses to start with placeholder secrets, the fake WeChat server or no PostgreSQL."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings

STRONG = "k" * 40
PUBLIC = "https://gaizao.example.cn"
DATABASE = "postgresql+asyncpg://app:password@db:5432/app"
ROOT = Path(__file__).resolve().parents[2]


def test_dev_defaults_run_offline_with_sqlite(monkeypatch):
    monkeypatch.delenv("APP_DATABASE_URL")
    s = Settings(_env_file=None, env="dev")
    assert s.wechat_fake is True and s.database_url.startswith("sqlite+aiosqlite:///./data/")


@pytest.mark.parametrize("secret", ["", "change-me", "dev-insecure-secret-change-me", "short-secret"])
def test_prod_refuses_weak_or_placeholder_jwt_secret(secret):
    with pytest.raises(ValidationError, match="APP_JWT_SECRET"):
        Settings(_env_file=None, env="prod", database_url=DATABASE, public_base_url=PUBLIC, jwt_secret=secret, wechat_app_secret="real")


def test_prod_refuses_fake_wechat_and_demo_app_secret():
    with pytest.raises(ValidationError, match="APP_WECHAT_FAKE"):
        Settings(_env_file=None, env="prod", database_url=DATABASE, public_base_url=PUBLIC, jwt_secret=STRONG, audit_key="a" * 40, wechat_fake=True,
                 wechat_app_secret="real")
    with pytest.raises(ValidationError, match="APP_WECHAT_APP_SECRET"):
        Settings(_env_file=None, env="prod", database_url=DATABASE, public_base_url=PUBLIC, jwt_secret=STRONG, audit_key="a" * 40)


def test_prod_with_real_secrets_starts():
    s = Settings(_env_file=None, env="prod", database_url=DATABASE, public_base_url=PUBLIC, jwt_secret=STRONG, audit_key="a" * 40, wechat_app_secret="real-secret")
    assert s.wechat_fake is False


def test_prod_needs_its_own_audit_key():
    with pytest.raises(ValidationError, match="APP_AUDIT_KEY"):
        Settings(_env_file=None, env="prod", database_url=DATABASE, public_base_url=PUBLIC, jwt_secret=STRONG, wechat_app_secret="real-secret")
    with pytest.raises(ValidationError, match="APP_AUDIT_KEY"):
        Settings(_env_file=None, env="prod", database_url=DATABASE, public_base_url=PUBLIC, jwt_secret=STRONG, audit_key=STRONG, wechat_app_secret="real-secret")


def test_prod_serves_no_docs_unless_asked():
    prod = {"env": "prod", "database_url": DATABASE, "public_base_url": PUBLIC, "jwt_secret": STRONG, "audit_key": "a" * 40, "wechat_app_secret": "real-secret"}
    assert Settings(_env_file=None, **prod).docs_enabled is False
    assert Settings(_env_file=None, **prod, docs_enabled=True).docs_enabled is True
    assert Settings(_env_file=None, env="dev").docs_enabled is True


async def test_docs_and_metrics_in_production(monkeypatch):
    import httpx

    from app.core.config import get_settings
    from app.main import create_app

    settings = get_settings()
    monkeypatch.setattr(settings, "env", "prod")
    monkeypatch.setattr(settings, "docs_enabled", False)
    monkeypatch.setattr(settings, "metrics_token", None)
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
            assert (await c.get(path)).status_code == 404, path
        monkeypatch.setattr(settings, "metrics_token", "scrape-" + "s" * 30)
        assert (await c.get("/metrics")).status_code == 404
        assert (await c.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 404
        ok = await c.get("/metrics", headers={"Authorization": "Bearer scrape-" + "s" * 30})
        assert ok.status_code == 200 and b"# TYPE" in ok.content
        assert (await c.get("/healthz")).status_code == 200
    assert app.openapi()["paths"]  # export-openapi still works


def test_prod_needs_the_address_the_public_reaches_it_at():
    prod = {"env": "prod", "database_url": DATABASE, "jwt_secret": STRONG, "audit_key": "a" * 40, "wechat_app_secret": "real-secret"}
    with pytest.raises(ValidationError, match="APP_PUBLIC_BASE_URL must be set in prod"):
        Settings(_env_file=None, **prod)
    assert Settings(_env_file=None, **prod, public_base_url=PUBLIC + "/").public_base_url == PUBLIC
    with pytest.raises(ValidationError, match="http:// or https://"):
        Settings(_env_file=None, **prod, public_base_url="gaizao.example.cn")
    assert Settings(_env_file=None, env="dev").public_base_url == "http://127.0.0.1:8000"


def test_prod_needs_its_postgresql_database_set(monkeypatch):
    monkeypatch.delenv("APP_DATABASE_URL")
    prod = {"env": "prod", "public_base_url": PUBLIC, "jwt_secret": STRONG, "audit_key": "a" * 40, "wechat_app_secret": "real-secret"}
    with pytest.raises(ValidationError, match="APP_DATABASE_URL must be set in prod"):
        Settings(_env_file=None, **prod)  # not the SQLite file under ./data that development starts with
    for sqlite in ("sqlite+aiosqlite:///./data/app.db", "sqlite+aiosqlite:////srv/data/app.db"):
        with pytest.raises(ValidationError, match="APP_DATABASE_URL must be a postgresql\\+asyncpg://"):
            Settings(_env_file=None, **prod, database_url=sqlite)
    with pytest.raises(ValidationError, match="APP_DATABASE_URL must be a postgresql\\+asyncpg://"):
        Settings(_env_file=None, **prod, database_url="postgresql://app@db/app")  # the app's driver is asyncpg
    monkeypatch.setenv("APP_DATABASE_URL", DATABASE)
    assert Settings(_env_file=None, **prod).database_url == DATABASE
    assert Settings(_env_file=None, env="dev").database_url == DATABASE


@pytest.mark.parametrize("settings, named", [
    ({}, "APP_JWT_SECRET"),
    ({"APP_JWT_SECRET": STRONG, "APP_AUDIT_KEY": "a" * 40, "APP_WECHAT_APP_SECRET": "real-secret",
      "APP_PUBLIC_BASE_URL": PUBLIC}, "APP_DATABASE_URL"),
])
def test_serve_refuses_production_settings_in_one_line(tmp_path, settings, named):
    """`python -m app serve` in prod with a setting missing: one line naming it, status 2, no traceback
    (and no PermissionError from making ./data for the SQLite default)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    env |= {"APP_ENV": "prod", "PYTHONPATH": str(ROOT), **settings}
    done = subprocess.run([sys.executable, "-m", "app", "serve", "--port", "0"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and named in done.stderr, done.stderr
    assert done.stderr.startswith("python -m app serve: refused to start: ")
    assert "Traceback" not in done.stderr + done.stdout and not (tmp_path / "data").exists()
