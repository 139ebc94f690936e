"""Languages: gettext catalogs (Babel), the language of a request, and locale-aware formatting.

English is the source language; French is complete. Another language (Spanish, Arabic, Chinese,
Russian) is added by putting its ``locale/<code>/LC_MESSAGES/messages.po`` beside the French one and
naming it in ``LANGUAGES``; right-to-left scripts get ``dir="rtl"`` from ``RTL``.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal, format_percent

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT = "en"
RTL = frozenset({"ar", "fa", "he", "ur"})


def N_(message: str) -> str:
    """Marks an English message for the catalog where it is translated later, when shown."""
    return message


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (read from its .po file once; English needs none)."""
    if language == DEFAULT:
        return gettext.NullTranslations()
    po = resources.files(__package__).joinpath("locale", language, "LC_MESSAGES", "messages.po")
    catalog = read_po(io.StringIO(po.read_text(encoding="utf-8")), locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def negotiate(requested: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The URL's choice, else the remembered one, else the browser's preference, else English."""
    for choice in (requested, cookie):
        if choice in LANGUAGES:
            return choice
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


@dataclass(frozen=True)
class Formatter:
    """Numbers, money and dates the way the reader's language writes them."""

    language: str

    @property
    def locale(self) -> Locale:
        try:
            return Locale.parse(self.language)
        except UnknownLocaleError:
            return Locale.parse(DEFAULT)

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        return format_decimal(value, format=f"#,##0{'.' + '0' * digits if digits else ''}", locale=self.locale)

    def compact(self, value: float | None) -> str:
        """1.2 billion → « 1,2 Md » in French, "1.2B" in English."""
        if value is None:
            return "–"
        return format_compact_decimal(value, format_type="short", fraction_digits=1, locale=self.locale)

    def usd(self, value: float | None) -> str:
        return "–" if value is None else f"USD {self.compact(value)}"

    def percent(self, share: float | None) -> str:
        return "–" if share is None else format_percent(share, format="#,##0 %", locale=self.locale)

    def date(self, value: dt.date | None) -> str:
        return "–" if value is None else format_date(value, format="medium", locale=self.locale)
