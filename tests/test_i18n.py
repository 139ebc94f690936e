"""Every interface string has its French translation, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "observatory"
LOCALE = PACKAGE / "i18n" / "locale"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def interface_strings() -> set[str]:
    found = set()
    keywords = {**DEFAULT_KEYWORDS, "g": None, "N_": None}  # pages alias ``g = web.gettext``; N_ marks words
    for _file, _line, message, _comments, _context in extract_from_dir(
        PACKAGE, METHODS, keywords=keywords, options_map=OPTIONS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_french_catalog_is_complete() -> None:
    with (LOCALE / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    strings = interface_strings()
    assert len(strings) > 50
    french = {s: _translation(catalog.get(s)) for s in strings}
    missing = sorted(s for s, text in french.items() if not text)
    assert missing == [], f"{len(missing)} strings without French: run `make messages` and translate them"
    for s, text in french.items():
        assert set(re.findall(r"%\(\w+\)s", s)) == set(re.findall(r"%\(\w+\)s", text)), s


def _translation(message: Message | None) -> str:
    if message is None or not message.string or message.fuzzy:  # gettext ignores fuzzy entries
        return ""
    return message.string if isinstance(message.string, str) else str(message.string[0])
