"""Settings, read from the environment once per process.

``OBSERVATORY_HOME`` (default ``./var``) holds the embedded SQLite database and the API token;
``OBSERVATORY_DATABASE_URL`` switches to another database (``postgresql+psycopg://…``);
``OBSERVATORY_API_TOKEN`` sets the write token instead of the one ``observatory init`` writes.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    api_token: str | None

    @property
    def token_file(self) -> Path:
        return self.home / "api-token"

    def ensure_api_token(self) -> str:
        """The configured token, or one created once and kept in ``$OBSERVATORY_HOME/api-token``."""
        if self.api_token:
            return self.api_token
        if not self.token_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            self.token_file.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
            self.token_file.chmod(0o600)
        return self.token_file.read_text(encoding="utf-8").strip()

    def write_token(self) -> str | None:
        """The token that grants write access, if any has been set up."""
        if self.api_token:
            return self.api_token
        if self.token_file.exists():
            return self.token_file.read_text(encoding="utf-8").strip()
        return None


def load_settings() -> Settings:
    home = Path(os.environ.get("OBSERVATORY_HOME", "var")).resolve()
    url = os.environ.get("OBSERVATORY_DATABASE_URL") or f"sqlite:///{home / 'observatory.db'}"
    return Settings(home=home, database_url=url, api_token=os.environ.get("OBSERVATORY_API_TOKEN") or None)
