"""Settings, read from the environment once per process.

``OBSERVATORY_HOME`` (default ``./var``) holds the embedded SQLite database and the mail outbox;
``OBSERVATORY_DATABASE_URL`` switches to another database (``postgresql+psycopg://…``);
``OBSERVATORY_SMTP_HOST`` (with ``_PORT``, ``_USER``, ``_PASSWORD``) sends mail by SMTP instead of the
outbox folder; ``OBSERVATORY_MAIL_FROM`` is the sender; ``OBSERVATORY_PUBLIC_URL`` is the address used in
links sent by mail from the command line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "observatory@localhost"
    public_url: str = "http://127.0.0.1:8000"


def load_settings() -> Settings:
    env = os.environ.get
    home = Path(env("OBSERVATORY_HOME", "var")).resolve()
    return Settings(
        home=home,
        database_url=env("OBSERVATORY_DATABASE_URL") or f"sqlite:///{home / 'observatory.db'}",
        smtp_host=env("OBSERVATORY_SMTP_HOST") or None,
        smtp_port=int(env("OBSERVATORY_SMTP_PORT", "587")),
        smtp_user=env("OBSERVATORY_SMTP_USER") or None,
        smtp_password=env("OBSERVATORY_SMTP_PASSWORD") or None,
        mail_from=env("OBSERVATORY_MAIL_FROM", "observatory@localhost"),
        public_url=env("OBSERVATORY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
    )
