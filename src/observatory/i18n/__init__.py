"""Languages: gettext catalogs (Babel), the language of a request, and locale-aware formatting.

English is the source language; French is complete. Another language (Spanish, Arabic, Chinese,
Russian) is added by putting its ``locale/<code>/LC_MESSAGES/messages.po`` beside the French one and
naming it in ``LANGUAGES``; right-to-left scripts get ``dir="rtl"`` from ``RTL``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import gettext
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal, format_percent, format_scientific

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT = "en"
RTL = frozenset({"ar", "fa", "he", "ur"})
LARGEST_ORDINARY = 1e18  # beyond a billion billion, numbers are shown as 1.2E19


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
    """Numbers, money and dates the way the reader's language writes them. A number that is not finite
    shows as "–"; one too large for ordinary notation in scientific notation: formatting never fails,
    whatever was stored."""

    language: str

    @property
    def locale(self) -> Locale:
        try:
            return Locale.parse(self.language)
        except UnknownLocaleError:
            return Locale.parse(DEFAULT)

    def _safe(self, value: float | int, ordinary: Callable[[], str]) -> str:
        if not math.isfinite(value):
            return "–"
        if abs(value) >= LARGEST_ORDINARY:
            return format_scientific(value, format="0.##E0", locale=self.locale)
        try:
            return ordinary()
        except decimal.InvalidOperation:
            return format_scientific(value, format="0.##E0", locale=self.locale)

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = f"#,##0{'.' + '0' * digits if digits else ''}"
        return self._safe(value, lambda: format_decimal(value, format=pattern, locale=self.locale))

    def compact(self, value: float | None) -> str:
        """1.2 billion → « 1,2 Md » in French, "1.2B" in English."""
        if value is None:
            return "–"
        return self._safe(
            value, lambda: format_compact_decimal(value, format_type="short", fraction_digits=1, locale=self.locale)
        )

    def usd(self, value: float | None) -> str:
        return "–" if value is None or not math.isfinite(value) else f"USD {self.compact(value)}"

    def percent(self, share: float | None) -> str:
        """A share (0–1) as a percentage: whole percents, one decimal under 10 %, and "< 0.1 %" for a share
        above zero too small to show (so that a small share never reads as none)."""
        if share is None:
            return "–"
        if 0 < share < 0.001:
            return "< " + self._safe(0.001, lambda: format_percent(0.001, format="#,##0.0 %", locale=self.locale))
        pattern = "#,##0.0 %" if 0 < share < 0.1 else "#,##0 %"
        return self._safe(share, lambda: format_percent(share, format=pattern, locale=self.locale))

    def date(self, value: dt.date | None) -> str:
        return "–" if value is None else format_date(value, format="medium", locale=self.locale)
