"""Settings, read from the environment (``OBSERVATORY_*``) once per process by pydantic-settings.

Every setting, its variable and its default are the fields below; ``docs/configuration.md`` lists
them for operators and a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOCAL_HOSTS = ("127.0.0.1", "localhost")


class Settings(BaseSettings):
    """The platform's configuration. Each field is read from ``OBSERVATORY_<FIELD NAME>``."""

    model_config = SettingsConfigDict(env_prefix="OBSERVATORY_", frozen=True, extra="ignore")

    home: Path = Field(default=Path("var"), description="folder of the embedded SQLite database, outbox, uploads")
    database_url: str = Field(default="", description="database address; empty means SQLite in `home`")
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the public address of the platform, used in every link sent by mail",
    )
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="comma-separated host names the platform answers to, besides the host of `base_url` and "
        "the loopback names; a request for another Host is refused",
    )
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="comma-separated addresses or networks of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty means none is",
    )
    smtp_host: str | None = Field(default=None, description="SMTP server; unset writes mail to `home`/outbox")
    smtp_port: int = Field(default=587, description="SMTP port (STARTTLS when the server offers it)")
    smtp_user: str | None = Field(default=None, description="SMTP user name")
    smtp_password: str | None = Field(default=None, repr=False, description="SMTP password")
    mail_from: str = Field(default="observatory@localhost", description="sender address of the platform's mail")
    max_upload_mb: float = Field(default=20.0, gt=0, description="largest spreadsheet upload accepted, in MB")
    upload_kept_hours: float = Field(default=24.0, gt=0, description="how long an upload not imported is kept")
    page_cache_mb: float = Field(
        default=64.0, ge=0, description="public pages and answers each worker keeps once drawn, in MB (0: none)"
    )
    page_stale_seconds: float = Field(
        default=1.0, ge=0, description="how long a kept page may still be served after what it shows changed"
    )
    max_input_mb: int | None = Field(
        default=None,
        gt=0,
        description="most MiB a data file may decompress to, for every source; unset keeps each source's own "
        "limit (256 for tables, JSON and RIR files; 65536 for MRT dumps)",
    )
    world_atlas: Path | None = Field(
        default=None,
        description="the folder of the npm package world-atlas (or its countries-110m.json) for the world map; "
        "unset, it is looked for in node_modules/",
    )
    reminder_interval_days: int = Field(
        default=14,
        ge=1,
        le=366,
        description="days before `observatory reminders send` mails the same reminder (pledge, due or overdue) again",
    )
    log_format: Literal["text", "json"] = Field(default="text", description="log lines as text or as JSON lines")
    db_busy_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how long a write waits for the database before answering 503 (Service Unavailable)",
    )

    @field_validator("allowed_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"OBSERVATORY_BASE_URL must be an http:// or https:// address, not {value!r}")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        home = self.home.resolve()
        object.__setattr__(self, "home", home)
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{home / 'observatory.db'}")
        return self

    @property
    def hosts(self) -> list[str]:
        """Every Host header the platform answers to."""
        own = urlsplit(self.base_url).hostname or ""
        return sorted({own, *LOCAL_HOSTS, *self.allowed_hosts})

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


def load_settings() -> Settings:
    """The settings of this process's environment."""
    return Settings()
