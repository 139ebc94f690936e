"""docs/data-sources.md cannot drift from the source registry: every source has its section, with its
organisation, addresses, licence, the files of shared/data it reads and the indicators it feeds."""

from __future__ import annotations

import re
from pathlib import Path

from observatory.data.service import sources
from observatory.indicators import fed_by

PAGE = Path(__file__).resolve().parents[1] / "docs" / "data-sources.md"


def _sections() -> dict[str, str]:
    text = PAGE.read_text(encoding="utf-8")
    parts = re.split(r"^### `([a-z0-9_]+)`", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_source_of_the_registry_is_on_the_page() -> None:
    sections = _sections()
    registered = sources()
    assert sorted(set(registered) - set(sections)) == [], "docs/data-sources.md lacks these sources"
    assert sorted(set(sections) - set(registered)) == [], "docs/data-sources.md lists sources the registry lacks"
    for name, cls in registered.items():
        section = sections[name]
        expected = [cls.ORG, cls.URL, cls.INFO_URL, cls.LICENCE, *cls.FILES, *(f"`{i.code}`" for i in fed_by(name))]
        missing = [text for text in expected if text not in section]
        assert missing == [], f"the section of {name} lacks {missing}"
