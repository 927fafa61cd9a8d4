"""Settings for the whole studio, read once from MOTEFORGE_* environment variables.

The embedded default (SQLite, filesystem blobs, a filesystem Celery broker) needs nothing but the
machine; the scaled mode points the same code at PostgreSQL and Redis.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_FILE = "secret_key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOTEFORGE_", env_file=None, extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".data")
    database_url: str | None = None
    broker_url: str | None = None
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    # Uploads are streamed to disk; anything larger is refused with 413.
    max_upload_bytes: int = 100 * 1024 * 1024
    # `moteforge serve` starts a worker next to the web server unless the deployment runs its own.
    embedded_worker: bool = True
    # Celery queue the web app sends to and workers consume (several studios can share one Redis).
    task_queue: str = "moteforge"
    worker_concurrency: int = 2
    # A running job whose heartbeat is older than this is taken as lost (worker killed).
    job_heartbeat_timeout_s: float = 60.0
    job_max_attempts: int = 2
    reaper_interval_s: float = 10.0
    # Extra modules with @job_handler registrations, imported by web and worker alike.
    extra_job_modules: list[str] = []
    session_days: int = 14
    secure_cookies: bool = Field(
        default=False, description="Set the Secure flag on cookies (HTTPS deployments)."
    )

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.env == "production" and (not self.secret_key or len(self.secret_key) < 32):
            raise ValueError("MOTEFORGE_SECRET_KEY must be set to 32+ random characters in production")
        return self

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def blob_dir(self) -> Path:
        return self.resolved_data_dir / "blobs"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / 'moteforge.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def celery_broker_url(self) -> str:
        return self.broker_url or "filesystem://"

    @property
    def broker_folder(self) -> Path:
        return self.resolved_data_dir / "broker"

    def effective_secret_key(self) -> str:
        """The signing key; in development one is generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.resolved_data_dir / DEV_SECRET_FILE
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(key)
        tmp.replace(path)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
