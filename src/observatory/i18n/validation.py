"""What was typed, read as the reader writes it, and what is wrong with it, said for people.

Two things every way into the registry shares (the forms, the API, the CSV importer, the command line):

- ``parse_number``: a number as typed in the interface language ("5,000,000" in English, "5 000 000" in
  French), or as a CSV file writes it; ambiguous or foreign spellings ("5,00,0", "1e400", "Infinity") are
  refused with a message saying how to write the number.
- ``error_message``: a validation error (one of pydantic's ``ErrorDetails``) as a sentence naming the field,
  in the reader's language, instead of the validator's "Input should be greater than or equal to 0".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, get_args

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

from observatory.i18n import N_, Formatter

# The context key under which a caller says how the text it validates writes numbers: an interface
# language ("en", "fr"), or ``CSV``. Without it, numbers must already be numbers (the JSON API).
NUMBERS = "numbers"
CSV = "csv"

_BLANKS = re.compile(r"\s+")  # spaces, no-break spaces (U+00A0), narrow no-break spaces (U+202F), thin spaces
_NUMBER_TEXT = re.compile(r"[+-]?\d[\d ,.]*")
_PLAIN_DECIMAL = re.compile(r"\d+(\.\d+)?")
_SPACE_GROUPS = re.compile(r"\d{1,3}( \d{3})+([.,]\d+)?")
_ONE_SEPARATOR = re.compile(r"([1-9]\d{0,2})([.,])(\d{3})")
# The conventions tried after the reader's own, for a number typed another way that can be read only one way.
_OTHER_CONVENTIONS = ("en", "de")


def reader_locale(language: str) -> Locale:
    """The Babel locale of ``language`` (English for a code Babel does not know)."""
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def _strict(text: str, locale: str | Locale) -> Decimal | None:
    try:
        return parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError:
        return None


def _refuse(kind: str, text: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "{value!r} is not a number as this form writes them", {"value": text})


def parse_number(text: str, convention: str) -> float:
    """A number typed as the interface language writes it (``convention`` "en", "fr"…) or as a CSV file does
    (``CSV``): ``PydanticCustomError`` ``number_format`` or ``number_ambiguous`` when it cannot be read, or
    only read one of two ways.

    Forms: digits, with the language's thousands separator ("," in English, a space in French: ordinary,
    no-break or narrow no-break) and decimal mark ("." in English, "," in French); a space between groups of
    three digits always separates thousands; a number that can be read only one way in another convention
    ("5.000.000", "1,5" in English) is read that way. One separator followed by three digits that is not the
    language's thousands separator ("5.000" in English, "5,000" in French) could be a thousand or a fraction:
    it is refused. CSV files: digits, "." before the decimals, "," between thousands ("5000000.50",
    "5,000,000.50"). Exponents, "Infinity" and "NaN" are never numbers here."""
    raw = text.strip()
    if (raw.isascii() and raw.isdigit()) or (convention == CSV and _PLAIN_DECIMAL.fullmatch(raw)):
        return _finite(Decimal(raw), raw)  # the common case, read the same way by every convention it is in
    spaced = _BLANKS.sub(" ", raw)
    if not _NUMBER_TEXT.fullmatch(spaced) or spaced[-1] in " ,.":
        raise _refuse("csv_number" if convention == CSV else "number_format", raw)
    if convention == CSV:
        value = _strict(spaced, "en")
        if value is None:
            raise _refuse("csv_number", raw)
        return _finite(value, raw)
    locale = reader_locale(convention)
    sign, body = ("-", spaced[1:]) if spaced[0] == "-" else ("", spaced.lstrip("+"))
    if " " in body:
        if not _SPACE_GROUPS.fullmatch(body):
            raise _refuse("number_format", raw)
        return _finite(Decimal(sign + body.replace(" ", "").replace(",", ".")), raw)
    one = _ONE_SEPARATOR.fullmatch(body)
    if one and one.group(2) != get_group_symbol(locale):
        raise _refuse("number_ambiguous", raw)
    for candidate in (locale, *_OTHER_CONVENTIONS):
        value = _strict(sign + body, candidate)
        if value is not None:
            return _finite(value, raw)
    raise _refuse("number_format", raw)


def _finite(value: Decimal, raw: str) -> float:
    number = float(value)
    if number in (float("inf"), float("-inf")):
        raise PydanticCustomError("number_too_large", "{value!r} is too large", {"value": raw})
    return number


def number_from_text(value: Any, context: Mapping[str, Any] | None) -> Any:
    """A number field's text read by the caller's convention (``context[NUMBERS]``); anything else as it is.
    An empty text is no number (``None``)."""
    if isinstance(value, str) and context and (convention := context.get(NUMBERS)):
        if not value.strip():
            return None
        return parse_number(value, str(convention))
    return value


# Sentences for pydantic's error types and the registry's own ones, each naming the field.
MESSAGES: dict[str, str] = {
    "missing": N_("%(field)s is required."),
    "empty": N_("%(field)s is required."),
    "string_too_short": N_("%(field)s is required."),
    "too_short": N_("%(field)s: choose at least one."),
    "string_too_long": N_("%(field)s can have at most %(max)s characters."),
    "too_long": N_("%(field)s can hold at most %(max)s entries."),
    "negative": N_("%(field)s cannot be negative."),
    "greater_than_equal": N_("%(field)s must be %(limit)s or more."),
    "greater_than": N_("%(field)s must be more than %(limit)s."),
    "less_than_equal": N_("%(field)s can be at most %(limit)s."),
    "less_than": N_("%(field)s must be less than %(limit)s."),
    "year": N_("%(field)s must be a year such as 2025 (from %(min)s to %(max)s)."),
    "int_parsing": N_("%(field)s must be a whole number, such as 12."),
    "int_from_float": N_("%(field)s must be a whole number, such as 12."),
    "int_type": N_("%(field)s must be a whole number, such as 12."),
    "float_parsing": N_("Enter a number in digits for “%(field)s”, such as 5,000,000 or 2500.50."),
    "float_type": N_("Enter a number in digits for “%(field)s”, such as 5,000,000 or 2500.50."),
    "finite_number": N_("Enter a number in digits for “%(field)s”, such as 5,000,000 or 2500.50."),
    "number_format": N_("Enter a number in digits for “%(field)s”, such as 5,000,000 or 2500.50."),
    "number_too_large": N_("%(field)s is too large a number."),
    "number_ambiguous": N_(
        "%(field)s: “%(value)s” can be read two ways. Write thousands as 5,000 or 5000, and decimals with a point, "
        "such as 2.5."
    ),
    "csv_number": N_(
        "%(field)s must be a number in digits, with a point before the decimals and, if you like, commas between "
        "thousands, such as 5000000 or 5,000,000.50."
    ),
    "date_from_datetime_parsing": N_("%(field)s must be a date written as YYYY-MM-DD, such as 2025-03-31."),
    "date_from_datetime_inexact": N_("%(field)s must be a date written as YYYY-MM-DD, such as 2025-03-31."),
    "date_parsing": N_("%(field)s must be a date written as YYYY-MM-DD, such as 2025-03-31."),
    "date_type": N_("%(field)s must be a date written as YYYY-MM-DD, such as 2025-03-31."),
    "literal_error": N_("%(field)s must be one of: %(expected)s."),
    "enum": N_("%(field)s must be one of: %(expected)s."),
    "bool_parsing": N_("%(field)s must be true or false."),
    "bool_type": N_("%(field)s must be true or false."),
    "string_type": N_("%(field)s must be text."),
    "list_type": N_("%(field)s must be a list."),
    "model_type": N_("%(field)s must be a record with its own fields."),
    "model_attributes_type": N_("%(field)s must be a record with its own fields."),
    "dict_type": N_("%(field)s must be a record with its own fields."),
    "extra_forbidden": N_("%(field)s is not a field of this record."),
    "json_invalid": N_("The request is not valid JSON."),
    "url": N_("%(field)s must be a web address starting with http:// or https://."),
    "url_parsing": N_("%(field)s must be a web address starting with http:// or https://."),
    "url_scheme": N_("%(field)s must be a web address starting with http:// or https://."),
    "url_type": N_("%(field)s must be a web address starting with http:// or https://."),
    "string_pattern_mismatch": N_("%(field)s is not written as expected."),
    "end_before_start": N_("%(field)s (%(end)s) is before the start year (%(start)s)."),
    "value_needs_currency": N_("%(field)s: choose the currency of the value."),
    "pillar_outside_focus_area": N_(
        "%(field)s: “%(pillar)s” belongs to the focus area “%(focus_area)s”: tick that focus area too."
    ),
    "unknown_focus_area": N_("%(field)s: “%(value)s” is not a focus area. Write one of: %(accepted)s."),
    "unknown_pillar": N_("%(field)s: “%(value)s” is not a pillar. Write one of: %(accepted)s."),
    "unknown_country": N_("unknown country code %(quoted)s (ISO 3166-1 alpha-3 expected)"),
    "unknown_currency": N_("unknown currency code %(quoted)s (ISO 4217 expected)"),
    "unknown_language": N_("unknown language code %(quoted)s (ISO 639-1, such as en, fr, es, ar, zh, ru)"),
    "bad_reference": N_("%(quoted)s is not a reference of the form P2C-YYYY-NNNNN"),
    "invalid": N_("%(field)s is not valid."),
}
# Errors whose sentence does not start with the field: their context names it.
_UNNAMED = frozenset({"unknown_country", "unknown_currency", "unknown_language", "bad_reference"})
# The years a pledge or a report may name.
YEARS = (1990, 2100)
_YEAR_FIELDS = frozenset({"start_year", "end_year", "year"})
_PYDANTIC_TYPES = frozenset(get_args(ErrorType))
_RANGE = ("greater_than_equal", "greater_than", "less_than_equal", "less_than")


def _finite_input(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return True  # not a number at all: its own error says so


def _kind(error: ErrorDetails, name: str) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind.startswith("url_") or kind == "url":
        return "url"
    if kind in _RANGE and not _finite_input(error.get("input")):
        return "finite_number"  # NaN or Infinity fails a bound before it fails "finite"
    bound = next((ctx[k] for k in ("ge", "le") if k in ctx), None)
    if name in _YEAR_FIELDS and (kind.startswith("int_") or (kind in _RANGE and bound in YEARS)):
        return "year"  # the registry's years (another range gets its own bounds in the message)
    if kind == "greater_than_equal" and ctx.get("ge") == 0:
        return "negative"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "too_short"
    if kind == "value_error":
        cause = str(ctx.get("error", ""))
        if cause in ("must not be empty",):
            return "empty"
        if cause.startswith("must be an http"):
            return "url"
    return kind


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _fill(message: str, values: Mapping[str, Any]) -> str:
    """``message`` with its ``%(name)s`` placeholders filled (a lone "%", as in "100 %", stays as it is)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), message)


def error_message(
    error: ErrorDetails,
    gettext: Callable[[str], str],
    field: str,
    name: str = "",
    language: str = "en",
    messages: Mapping[str, str] | None = None,
) -> str:
    """A validation error as a sentence in the reader's language naming the field (``field``: its label, or
    a CSV column's name; ``name``: the model's field, for the errors that depend on it). ``messages`` adds
    sentences (msgids) for a model's own error types."""
    kind = _kind(error, name)
    ctx = dict(error.get("ctx") or {})
    fmt = Formatter(language)
    limit = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), "")
    values: dict[str, Any] = {
        "field": field,
        # 17, 2030, 10,000,000,000,000: separators only where they help (not in a year)
        "limit": fmt.number(limit) if isinstance(limit, int | float) and abs(limit) >= 10_000 else limit,
        "min": YEARS[0],
        "max": YEARS[1] if kind == "year" else ctx.get("max_length", ""),
        "expected": ctx.get("expected", ""),
        "value": error.get("input", ""),
        "quoted": repr(ctx.get("value", error.get("input", ""))),
        **{k: v for k, v in ctx.items() if isinstance(v, str | int | float)},
    }
    # Names given in several languages (``pillar_en``, ``pillar_fr``): the reader's, else English.
    for key in [k for k in ctx if k.endswith("_en")]:
        values[key[:-3]] = ctx.get(f"{key[:-3]}_{language}", ctx[key])
    known = {**MESSAGES, **(messages or {})}
    if kind in known:
        return _fill(gettext(known[kind]), values)
    if kind in ("value_error", "assertion_error"):
        cause = clean(str(ctx.get("error", error["msg"])))
        return _fill(gettext("%(field)s: %(problem)s"), {"field": field, "problem": gettext(cause)})
    if kind in _PYDANTIC_TYPES:
        generic = MESSAGES["invalid"]
        return _fill(gettext(generic), values)
    own = error["msg"]  # a model's own error, its message a msgid
    return gettext(own)


def clean(msg: str) -> str:
    """A validation message without pydantic's prefix (``Value error, …``)."""
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def names_field(error: ErrorDetails) -> bool:
    """Whether ``error_message``'s sentence names the field itself (else the caller says which field it is)."""
    return _kind(error, "") not in _UNNAMED
