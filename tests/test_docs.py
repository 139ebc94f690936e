"""The documentation cannot drift from the code: every setting is documented."""

from __future__ import annotations

from pathlib import Path

from observatory.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_is_in_the_configuration_page() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"`OBSERVATORY_{name.upper()}`" not in page]
    assert missing == [], f"docs/configuration.md lacks {missing}"
