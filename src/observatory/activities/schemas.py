"""What an activity may hold: every field of an activity is checked here and nowhere else (the secretariat's
form, the spreadsheet importer and the command line all validate through :class:`ActivityIn`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from observatory import reference
from observatory.activities.models import (
    COLLABORATIONS,
    GLOBAL,
    ITU_ORGANISATIONS,
    KINDS,
    ORGANISATIONS,
    TOPICS,
)
from observatory.i18n import N_

REF = re.compile(r"^ACT-\d{4,6}$")
PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
YEARS = (1960, 2100)
# The registry's own error types, as sentences (msgids) naming the field.
MESSAGES = {
    "unknown_code": N_("%(field)s: “%(value)s” is not one of the choices. Write one of: %(accepted)s."),
    "partial_date": N_("%(field)s must be a date written as YYYY, YYYY-MM or YYYY-MM-DD, such as 2022 or 2022-06-15."),
    "ends_before_starts": N_("%(field)s (%(end)s) is before the start (%(start)s)."),
    "unknown_area": N_(
        "%(field)s: “%(value)s” is neither a country code (ISO 3166-1 alpha-3, such as KEN), an ITU region "
        "(%(regions)s) nor “global”."
    ),
    "itu_collaboration": N_("%(field)s: an activity of ITU itself has the degree “ITU activity”."),
    "not_itu_collaboration": N_(
        "%(field)s: “ITU activity” is only for the activities of ITU’s Sectors and General Secretariat."
    ),
    "evidence_needed": N_(
        "%(field)s: say what shows this collaboration, such as a liaison statement, an agreement or a joint event."
    ),
    "source_needed": N_("%(field)s is required: every activity needs its source document or web address."),
    "source_url": N_("%(field)s must be a web address starting with http:// or https://."),
    "bad_ref": N_("%(field)s: “%(value)s” is not a reference of the form ACT-0001."),
    "bad_boolean": N_("%(field)s must be true or false (or yes or no)."),
}
# Degrees that need their evidence.
EVIDENCED = frozenset({"information_exchange", "liaison_mou", "joint"})
TRUE = frozenset({"true", "yes", "1", "y", "oui", "vrai", "x"})
FALSE = frozenset({"false", "no", "0", "n", "non", "faux", ""})

Line = Annotated[str, Field(max_length=500)]


def _code(value: Any, codes: tuple[str, ...]) -> str:
    text = str(value or "").strip().lower().replace("-", "_").replace(" ", "_")
    if text not in codes:
        raise PydanticCustomError(
            "unknown_code", "{value} is not one of the choices", {"value": str(value), "accepted": ", ".join(codes)}
        )
    return text


def partial_date(value: str) -> str:
    """A date as a source gives it ("2022", "2022-06" or "2022-06-15"), checked; the empty text stays empty."""
    text = value.strip()
    if not text:
        return ""
    found = PARTIAL_DATE.match(text)
    problem = PydanticCustomError("partial_date", "{value} is not a date", {"value": text})
    if not found:
        raise problem
    year, month, day = (int(x) if x else None for x in found.groups())
    assert year is not None
    if not YEARS[0] <= year <= YEARS[1]:
        raise problem
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        raise problem from None
    return text


def split_list(value: Any) -> list[str]:
    """The items of a cell or a text field separated by ``;`` or ``,`` (a list passes as it is)."""
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [x.strip() for x in re.split(r"[;,]", str(value or "")) if x.strip()]


def area_code(value: str) -> str:
    """A country (ISO 3166-1 alpha-3), an ITU region or ``global``, as the registry stores it."""
    text = value.strip()
    low = text.lower().replace(" ", "_").replace("-", "_")
    if low == GLOBAL:
        return GLOBAL
    if low in reference.ITU_REGIONS:
        return low
    if text.upper() in reference.countries():
        return text.upper()
    raise PydanticCustomError(
        "unknown_area", "{value} is not an area", {"value": text, "regions": ", ".join(reference.ITU_REGIONS)}
    )


class ActivityIn(BaseModel):
    """An activity as the secretariat enters or imports it; ``ref`` is given by an import, else generated."""

    model_config = ConfigDict(extra="forbid")

    ref: str | None = None
    organisation: str
    title: Annotated[str, Field(min_length=1, max_length=500)]
    description: Annotated[str, Field(max_length=20_000)] = ""
    topic: str
    kind: str
    starts: str
    ends: str = ""
    areas: list[str] = Field(default_factory=lambda: [GLOBAL])
    collaboration: str
    evidence: Annotated[str, Field(max_length=20_000)] = ""
    source_url: Annotated[str, Field(max_length=1000)] = Field(default="", validate_default=True)
    checked: bool = False

    @field_validator("ref", mode="before")
    @classmethod
    def _ref(cls, value: Any) -> str | None:
        text = str(value or "").strip().upper()
        if not text:
            return None
        if not REF.match(text):
            raise PydanticCustomError("bad_ref", "{value} is not a reference", {"value": str(value)})
        return text

    @field_validator("organisation", mode="before")
    @classmethod
    def _organisation(cls, value: Any) -> str:
        return _code(value, ORGANISATIONS)

    @field_validator("topic", mode="before")
    @classmethod
    def _topic(cls, value: Any) -> str:
        return _code(value, TOPICS)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        return _code(value, KINDS)

    @field_validator("collaboration", mode="before")
    @classmethod
    def _collaboration(cls, value: Any) -> str:
        return _code(value, COLLABORATIONS)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> Any:
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("description", "evidence", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("starts", mode="before")
    @classmethod
    def _starts(cls, value: Any) -> str:
        text = partial_date(str(value or ""))
        if not text:
            raise PydanticCustomError("missing", "required")
        return text

    @field_validator("ends", mode="before")
    @classmethod
    def _ends(cls, value: Any) -> str:
        return partial_date(str(value or ""))

    @field_validator("areas", mode="before")
    @classmethod
    def _areas(cls, value: Any) -> list[str]:
        codes = list(dict.fromkeys(area_code(v) for v in split_list(value)))
        if not codes:
            return [GLOBAL]
        return [GLOBAL] if GLOBAL in codes else codes

    @field_validator("source_url", mode="before")
    @classmethod
    def _source(cls, value: Any) -> str:
        text = str(value or "").strip()
        if not text:
            raise PydanticCustomError("source_needed", "a source is required")
        if not re.match(r"^https?://[^\s/]+\.[^\s]+$", text):
            raise PydanticCustomError("source_url", "{value} is not a web address", {"value": text})
        return text

    @field_validator("checked", mode="before")
    @classmethod
    def _checked(cls, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value or "").strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise PydanticCustomError("bad_boolean", "{value} is not true or false", {"value": str(value)})

    @model_validator(mode="after")
    def _rules(self) -> ActivityIn:
        if self.ends and self.ends[: len(self.starts)] < self.starts[: len(self.ends)]:
            raise _at("ends", "ends_before_starts", {"start": self.starts, "end": self.ends})
        itu = self.organisation in ITU_ORGANISATIONS
        if itu and self.collaboration != "itu":
            raise _at("collaboration", "itu_collaboration", {})
        if not itu and self.collaboration == "itu":
            raise _at("collaboration", "not_itu_collaboration", {})
        if self.collaboration in EVIDENCED and not self.evidence:
            raise _at("evidence", "evidence_needed", {})
        return self


def _at(field: str, kind: str, ctx: dict[str, Any]) -> PydanticCustomError:
    # A model validator's error has no field of its own: the field is carried in the context and put back
    # by ``field_of`` so that the form marks the right input and the importer names the right column.
    return PydanticCustomError(kind, kind, {**ctx, "at": field})


def field_of(error: Any) -> str:
    """The field a validation error is about (an error of the rules across fields names it in its context)."""
    ctx = error.get("ctx") or {}
    if "at" in ctx:
        return str(ctx["at"])
    loc = [str(x) for x in error.get("loc", ())]
    return loc[0] if loc else ""


class ActivityOut(BaseModel):
    """An activity as the API shows it: its codes, with their names in the language asked."""

    ref: str
    organisation: str
    organisation_name: str
    group: Literal["itu", "other"]
    title: str
    description: str
    topic: str
    topic_name: str
    kind: str
    kind_name: str
    starts: str = Field(description="YYYY, YYYY-MM or YYYY-MM-DD, as precise as the source")
    ends: str = Field(description="empty while the activity goes on (or for a one-off kind)")
    first_year: int
    last_year: int | None = Field(description="None while the activity goes on")
    areas: list[str] = Field(description="ISO 3166-1 alpha-3 countries, ITU regions or global")
    area_names: list[str]
    collaboration: str
    collaboration_name: str
    evidence: str
    source_url: str
    checked: bool = Field(description="checked against its source by the secretariat")
    version: int


class ActivityDetailOut(ActivityOut):
    """One activity, with the role of its organisation and that role's source."""

    organisation_role: str
    organisation_source: str


class ActivityPage(BaseModel):
    """The activities a request selects."""

    total: int
    filter: dict[str, Any]
    items: list[ActivityOut]


class ActivitySummaryOut(BaseModel):
    """The counts of the activities of a year (or of all): by organisation and topic, ITU Sector and kind, degree."""

    year: int | None
    total: int
    by_organisation: dict[str, int]
    by_topic: dict[str, int]
    by_organisation_topic: dict[str, dict[str, int]]
    by_sector_kind: dict[str, dict[str, int]]
    by_collaboration: dict[str, int]
    unchecked: int
