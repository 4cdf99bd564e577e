"""Settings, read from the environment (prefix ``APP_``) and an optional ``.env`` file."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev-insecure-secret-change-me"}
DEV_JWT_SECRET = "dev-insecure-secret-change-me"
DEV_AUDIT_KEY = "dev-insecure-audit-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "sqlite+aiosqlite:///./data/app.db"
    db_echo: bool = False

    jwt_secret: str = DEV_JWT_SECRET
    # Keys the audit chain's hashes (HMAC): someone who can write the database but not read this cannot
    # recompute a valid chain after editing it. Changing it invalidates verification of older entries.
    audit_key: str = DEV_AUDIT_KEY
    # Link a transaction's audit entries right after its commit, in the background of the process that
    # committed (app.core.audit); off, the worker's job links them within a second or two.
    audit_chain_after_commit: bool = True
    # Each API process remembers callers between requests, forgetting them when PostgreSQL notifies a change
    # (app.auth.caller_cache); off, every request reads its caller. SQLite has no cache either way.
    caller_cache: bool = True
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # A rotated refresh token presented again within this many seconds is a client's concurrent refresh,
    # not a theft: it gets a new pair instead of revoking the login.
    refresh_reuse_grace_seconds: int = 10

    # Staff password login: after this many consecutive failures the account is locked, and each
    # further failure doubles the lock (capped).
    login_max_failures: int = 5
    login_lock_seconds: int = 60
    login_lock_max_seconds: int = 3600
    # Failed logins (wrong passwords on any account, WeChat codes WeChat refuses) one source address may
    # make in a window before it is refused (429 login_throttled) for the rest of it.
    login_source_max_failures: int = Field(default=30, ge=1)
    login_source_window_seconds: int = Field(default=900, ge=1)

    wechat_app_id: str = "wx-demo-app"
    wechat_app_secret: str = "demo-app-secret"
    wechat_base_url: str = "https://api.weixin.qq.com"
    # Route WeChat calls to the bundled fake (in-process). Defaults to on outside production.
    wechat_fake: bool | None = None
    wechat_timeout_seconds: float = 5.0

    # A real-name check (实名核验) of a resident, behind app.residency.realname: the bundled fake outside
    # production; in production the adapter service of the provider the operator contracts with, if any
    # (without one, residents raise their assurance in person through their grid worker).
    realname_fake: bool | None = None
    realname_url: str | None = None
    realname_token: str | None = None
    realname_timeout_seconds: float = 5.0

    # Files: local directory by default; S3-compatible object storage when storage_backend is "s3".
    storage_backend: Literal["local", "s3"] = "local"
    storage_dir: Path = Path("./data/files")
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_prefix: str = "files/"
    upload_max_bytes: int = 10 * 1024 * 1024
    # Per account: uploads an hour (a supervisor's inspection has a dozen photos) and bytes kept in all.
    upload_max_per_hour: int = 120
    upload_quota_bytes: int = 1024 * 1024 * 1024
    # How long a write waits for a lock another transaction holds (SQLite's write lock, PostgreSQL row and
    # table locks) before the request answers 503 with Retry-After.
    db_lock_timeout_ms: int = Field(default=15_000, ge=1)
    # Bounded waits on PostgreSQL, so that a database that is down or unreachable answers 503 with
    # Retry-After instead of holding requests: opening a connection; any one statement (asyncpg's
    # command_timeout, longer than the lock timeout so that a lock wait still ends as that 503); and a
    # free connection in the pool.
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    db_command_timeout_seconds: float = Field(default=20.0, gt=0)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    # Statements each PostgreSQL connection keeps prepared (SQLAlchemy's asyncpg cache; it trims at about
    # 1.5 times this). One that fell out is prepared again when it comes back: a round trip and a plan.
    # Each kept costs its server process memory (~80 KB for a /me/tasks statement): docs/scaling.md.
    db_statement_cache_size: int = Field(default=100, ge=0)
    # A request that has not begun its response after this many seconds (not counting the time its body
    # takes to arrive) is answered 503 with Retry-After and cancelled (app.core.deadline). A response
    # already streaming (an XLSX export) is not cut off.
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    # The same for the routes registered as exports (app.core.deadline.allow_longer): a workbook of
    # 100,000 questionnaire responses is built in about half a minute before its first byte.
    export_timeout_seconds: float = Field(default=300.0, gt=0)
    import_max_bytes: int = 5 * 1024 * 1024
    # A ledger is one estate: a few thousand units. Larger files are split (and would hold SQLite's write
    # lock for a minute); an XLSX is refused before parsing when its parts unpack to more than this.
    import_max_rows: int = 20_000
    # Up to this many rows a ledger is imported within the request; a larger one is queued for the worker,
    # which applies it this many rows per transaction.
    import_sync_max_rows: int = 2_000
    import_chunk_rows: int = 500
    import_max_unpacked_bytes: int = 64 * 1024 * 1024

    # Idempotency-Key: how long a stored response is replayed.
    idempotency_ttl_hours: int = 24
    # Longer than any request may run (the request timeout cancels it before): a retry takes over a key
    # whose first request died - or could not release the key because the database went away - after this.
    idempotency_lease_seconds: int = 60
    # Largest request body of any kind; file and ledger routes apply their own smaller limits.
    request_max_bytes: int = 11 * 1024 * 1024

    # Notifications: WeChat template id per template key (app/notifications/templates.py), and the
    # worker's retry policy (exponential backoff from base, capped, giving up after max attempts).
    wechat_templates: dict[str, str] = {}
    wechat_miniprogram_state: Literal["developer", "trial", "formal"] = "formal"
    notify_max_attempts: int = 6
    notify_backoff_base_seconds: int = 30
    notify_backoff_max_seconds: int = 3600
    notify_claim_timeout_seconds: int = 300
    worker_poll_seconds: float = 2.0

    # Design plans: the notice period (公示期) a published version must stay open for, at least.
    plan_notice_days: int = Field(default=7, ge=1, le=90)

    # The demo's clock (app/demo): POST /api/v1/demo/clock moves this process's time forward, so that a
    # notice period can end during a walk through the demo. `make run` turns it on; never in prod.
    demo_clock: bool = False

    # Where the public reaches the service: every QR code printed on a notice (a plan, a ballot's
    # announcement and result, the acceptance certificate) opens its page on the public notice board here.
    # Required in production: a QR code on a stairwell wall that points to 127.0.0.1 opens nothing.
    public_base_url: str | None = None
    # The public notice board (/public): how long a page is served from memory before it is made again, and
    # how many requests one source address may make a minute (per process).
    public_cache_seconds: int = Field(default=30, ge=0, le=3600)
    public_rate_per_minute: int = Field(default=120, ge=1)

    # Personal information (docs/personal-information.md): the operator named in the default privacy notice and how to reach
    # them; or the operator's own notice, a Markdown file with its version (a new version is asked for
    # again). Retention: how long what is past its use is kept before the worker removes it (days).
    privacy_operator: str = "本平台运营单位"
    privacy_contact: str | None = None
    privacy_notice_file: Path | None = None
    privacy_notice_version: str | None = Field(default=None, max_length=40)
    retention_paper_photo_days: int = Field(default=365, ge=1)  # after the questionnaire closed
    retention_login_days: int = Field(default=180, ge=1)  # after a login ended or its last token expired
    retention_outbox_days: int = Field(default=30, ge=1)  # after a notification was sent or given up

    log_level: str = "INFO"

    # /docs, /redoc and /openapi.json: on outside prod unless set. /metrics: open outside prod; with a
    # token set, only to "Authorization: Bearer <token>" (a Prometheus scrape config); in prod without
    # one it is not served at all.
    docs_enabled: bool | None = None
    metrics_token: str | None = None

    @model_validator(mode="after")
    def _resolve(self) -> "Settings":
        if self.wechat_fake is None:
            self.wechat_fake = self.env != "prod"
        if self.realname_fake is None:
            self.realname_fake = self.env != "prod" and self.realname_url is None
        if self.docs_enabled is None:
            self.docs_enabled = self.env != "prod"
        if self.env == "prod":
            if self.jwt_secret.strip().lower() in PLACEHOLDER_SECRETS or len(self.jwt_secret) < 32:
                raise ValueError("APP_JWT_SECRET must be set to a random value of 32+ characters in prod")
            if self.audit_key in {DEV_AUDIT_KEY, self.jwt_secret} or len(self.audit_key) < 32:
                raise ValueError("APP_AUDIT_KEY must be its own random value of 32+ characters in prod")
            if self.wechat_fake:
                raise ValueError("APP_WECHAT_FAKE cannot be enabled in prod")
            if self.wechat_app_secret in PLACEHOLDER_SECRETS | {"demo-app-secret"}:
                raise ValueError("APP_WECHAT_APP_SECRET must be set in prod")
            if self.demo_clock:
                raise ValueError("APP_DEMO_CLOCK cannot be enabled in prod")
            if self.realname_fake:
                raise ValueError("APP_REALNAME_FAKE cannot be enabled in prod")
            if self.public_base_url is None:
                raise ValueError("APP_PUBLIC_BASE_URL must be set in prod: the address the public reaches the "
                                 "service at, which every QR code on a printed notice opens")
            # Not the SQLite default under ./data: production's data lives in PostgreSQL, set on purpose.
            if "database_url" not in self.model_fields_set:
                raise ValueError("APP_DATABASE_URL must be set in prod: the PostgreSQL database, "
                                 "postgresql+asyncpg://USER:PASSWORD@HOST:5432/NAME")
            if not self.database_url.startswith("postgresql+asyncpg://"):
                raise ValueError("APP_DATABASE_URL must be a postgresql+asyncpg://USER:PASSWORD@HOST:5432/NAME "
                                 "address in prod: SQLite is for development and the demo only")
        if self.public_base_url is None:
            self.public_base_url = "http://127.0.0.1:8000"
        if not self.public_base_url.startswith(("http://", "https://")):
            raise ValueError("APP_PUBLIC_BASE_URL must be an http:// or https:// address")
        self.public_base_url = self.public_base_url.rstrip("/")
        if self.db_command_timeout_seconds * 1000 <= self.db_lock_timeout_ms:
            raise ValueError("APP_DB_COMMAND_TIMEOUT_SECONDS must be longer than APP_DB_LOCK_TIMEOUT_MS")
        if self.idempotency_lease_seconds <= self.request_timeout_seconds:
            raise ValueError("APP_IDEMPOTENCY_LEASE_SECONDS must be longer than APP_REQUEST_TIMEOUT_SECONDS")
        if self.privacy_notice_file is not None and not self.privacy_notice_version:
            raise ValueError("APP_PRIVACY_NOTICE_VERSION is required with APP_PRIVACY_NOTICE_FILE: consents name it")
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("APP_S3_BUCKET is required when APP_STORAGE_BACKEND=s3")
        return self

    @property
    def metrics_open(self) -> bool:
        """Whether /metrics answers without a token."""
        return self.metrics_token is None and self.env != "prod"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
