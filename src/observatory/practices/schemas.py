"""What the best-practice library accepts: one model checks a case whichever way it arrives (the portal's form,
a CSV or XLSX file, the seed file), so a case is judged by one set of rules."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from babel import Locale
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from observatory import reference
from observatory.i18n import N_
from observatory.i18n.validation import YEARS, number_from_text
from observatory.pledges import country_code, focus_area_code, taxonomy_pillars
from observatory.practices.models import LICENCES, REVIEW_STATES

REFERENCE_PATTERN = re.compile(r"^BP-\d{4,}$")
LANGUAGE_CODES = frozenset(str(code) for code in Locale("en").languages if len(str(code)) == 2)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://\S+$")

Licence = Literal["cc_by_4", "cc_by_sa_4", "cc0", "all_rights_reserved"]
ReviewState = Literal["draft", "submitted", "published", "returned"]
assert set(Licence.__args__) == set(LICENCES)  # type: ignore[attr-defined]
assert set(ReviewState.__args__) == set(REVIEW_STATES)  # type: ignore[attr-defined]

# The names licences are shown under (the same in every language, but the last).
LICENCE_NAMES = {
    "cc_by_4": "CC BY 4.0",
    "cc_by_sa_4": "CC BY-SA 4.0",
    "cc0": "CC0 1.0",
    "all_rights_reserved": N_("All rights reserved"),
}
LICENCE_URLS = {
    "cc_by_4": "https://creativecommons.org/licenses/by/4.0/",
    "cc_by_sa_4": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "all_rights_reserved": "",
}

# Sentences (msgids) for the library's own error types; the others are the registry's (``i18n.validation``).
MESSAGES = {
    "unknown_pledge": N_("%(field)s: no pledge has the reference “%(value)s”."),
    "bad_practice_reference": N_("%(field)s: “%(value)s” is not a reference of the form BP-0001."),
    "bad_email": N_("%(field)s: “%(value)s” is not an e-mail address."),
    "bad_figure": N_(
        "%(field)s: write each figure on its own line as “label | value | unit | year”, such as "
        "“Schools connected | 1200 | schools | 2023”."
    ),
    "bad_licence": N_("%(field)s: “%(value)s” is not one of the licences offered."),
}

Year = Annotated[int, Field(ge=YEARS[0], le=YEARS[1])]
LongText = Annotated[str, Field(max_length=20000)]


def _spelling(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.replace("_", " ").replace("-", " ").casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def licence_code(value: Any) -> Any:
    """A licence given by its code or by the name it is shown under ("CC BY 4.0"), as its code."""
    if not isinstance(value, str):
        return value
    key = _spelling(value).replace(".", " ").replace(" ", "")
    for code, name in LICENCE_NAMES.items():
        if key in (code.replace("_", ""), _spelling(name).replace(".", " ").replace(" ", "")):
            return code
    if key in ("ccby", "ccby40"):
        return "cc_by_4"
    if key in ("ccbysa", "ccbysa40"):
        return "cc_by_sa_4"
    if key in ("cc010", "publicdomain"):
        return "cc0"
    raise PydanticCustomError("bad_licence", "unknown licence {value!r}", {"value": value.strip()})


def _order(codes: list[str], taxonomy: list[str]) -> list[str]:
    return sorted(set(codes), key=taxonomy.index)


def one_line(value: str) -> str:
    """A title on one line, its runs of blanks made one space."""
    return " ".join(value.split())


def _figures(value: Any) -> Any:
    """Result figures typed as lines of text ("label | value | unit | year"), read as records."""
    if not isinstance(value, str):
        return value
    out = []
    for line in value.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > 4 or len(parts) < 2:
            raise PydanticCustomError("bad_figure", "figure lines are label | value | unit | year")
        parts += [""] * (4 - len(parts))
        out.append({"label": parts[0], "value": parts[1], "unit": parts[2], "year": parts[3] or None})
    return out


def figure_lines(figures: list[dict[str, Any]]) -> str:
    """Result figures as the lines of text the form and the CSV file write them in."""
    lines = []
    for f in figures:
        value = f["value"]
        number = f"{value:.10g}" if isinstance(value, float) else str(value)
        lines.append(" | ".join([f["label"], number, f.get("unit") or "", str(f["year"]) if f.get("year") else ""]))
    return "\n".join(line.rstrip(" |") for line in lines)


def _number(value: Any, info: ValidationInfo) -> Any:
    return number_from_text(value, info.context if isinstance(info.context, dict) else None)


class ResultFigure(BaseModel):
    """One figure of a case's results, as its source states it: what is counted, how many, in what unit, when."""

    model_config = ConfigDict(extra="forbid")

    label: Annotated[str, Field(min_length=1, max_length=200)]
    value: Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_number)]
    unit: Annotated[str, Field(max_length=60)] = ""
    year: Year | None = None


class PracticeFields(BaseModel):
    """The content of a case, every field checked here and nowhere else (pledge references are checked
    against the registry by the service)."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=500)]
    language: str = "en"
    country: str | None = None
    other_countries: list[str] = Field(default_factory=list)
    focus_areas: Annotated[list[str], Field(min_length=1)]
    pillars: list[str] = Field(default_factory=list)
    year: Year | None = None
    what_was_done: Annotated[str, Field(min_length=1, max_length=20000)]
    results: LongText = ""
    result_figures: Annotated[list[ResultFigure], BeforeValidator(_figures), Field(max_length=50)] = Field(
        default_factory=list
    )
    lessons: LongText = ""
    pledges: list[str] = Field(default_factory=list)
    contact_name: Annotated[str, Field(max_length=200)] = ""
    contact_email: Annotated[str, Field(max_length=320)] = ""
    licence: Annotated[Licence, BeforeValidator(licence_code)] = "cc_by_4"
    source_urls: Annotated[list[str], Field(max_length=20)] = Field(default_factory=list)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        value = one_line(value)
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("what_was_done")
    @classmethod
    def _done(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("results", "lessons", "contact_name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        code = value.strip().lower()
        if code not in LANGUAGE_CODES:
            ctx = {"value": value.strip(), "quoted": repr(value.strip())}
            raise PydanticCustomError("unknown_language", "unknown language code {quoted}", ctx)
        return code

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return country_code(value) if value and value.strip() else None

    @field_validator("other_countries")
    @classmethod
    def _other_countries(cls, values: list[str], info: ValidationInfo) -> list[str]:
        codes = sorted({country_code(v) for v in values if v.strip()})
        main = info.data.get("country")
        return [c for c in codes if c != main]

    @field_validator("focus_areas")
    @classmethod
    def _focus_areas(cls, values: list[str]) -> list[str]:
        return _order([focus_area_code(v) for v in values], list(reference.focus_areas()))

    @field_validator("pillars")
    @classmethod
    def _pillars(cls, values: list[str], info: ValidationInfo) -> list[str]:
        """Pillars by code or by name, each of a focus area the case names (when its focus areas are valid)."""
        return taxonomy_pillars(values, info)

    @field_validator("pledges")
    @classmethod
    def _pledges(cls, values: list[str]) -> list[str]:
        return sorted({v.strip().upper() for v in values if v.strip()})

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        if value and not EMAIL.match(value):
            raise PydanticCustomError("bad_email", "not an e-mail address {value!r}", {"value": value})
        return value

    @field_validator("source_urls")
    @classmethod
    def _urls(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            value = value.strip()
            if value and not URL.match(value):
                raise PydanticCustomError("url", "must be an http:// or https:// address")
            if value and value not in out:
                out.append(value)
        return out


class PracticeIn(PracticeFields):
    """A case as a file gives it: its fields, and optionally its reference, review state, whether the secretariat
    still has to check it, and the P2C reports it is a spotlight candidate for."""

    reference: str | None = None
    review_state: ReviewState = "submitted"
    review_note: Annotated[str, Field(max_length=2000)] = ""
    needs_check: bool = False
    spotlight_years: list[Year] = Field(default_factory=list)

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: str | None) -> str | None:
        if value and not REFERENCE_PATTERN.match(value.strip().upper()):
            raise PydanticCustomError("bad_practice_reference", "bad reference {value!r}", {"value": value.strip()})
        return value.strip().upper() if value and value.strip() else None

    @field_validator("spotlight_years")
    @classmethod
    def _years(cls, values: list[int]) -> list[int]:
        return sorted(set(values))
