"""What the registry accepts and shows. The API and the CSV importer validate through the same models,
so a pledge is judged by one set of rules whichever way it arrives."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Annotated, Any, Literal

from babel import Locale
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from observatory import reference
from observatory.pledges.models import (
    ITU_MEMBERSHIPS,
    PLEDGE_TYPES,
    REVIEW_STATES,
    STAKEHOLDER_TYPES,
    STATUSES,
)

REFERENCE_PATTERN = re.compile(r"^P2C-\d{4}-\d{5,}$")
LANGUAGE_CODES = frozenset(str(code) for code in Locale("en").languages if len(str(code)) == 2)

StakeholderType = Literal[
    "government",
    "private_sector",
    "international_organisation",
    "un_entity",
    "financial_institution",
    "academia",
    "civil_society",
]
ItuMembership = Literal["member_state", "sector_member", "associate", "academia", "none"]
PledgeType = Literal["financial", "programmatic", "policy", "advocacy"]
Status = Literal["planned", "in_progress", "completed", "discontinued"]
ReviewState = Literal["draft", "submitted", "published", "rejected", "withdrawn"]
Year = Annotated[int, Field(ge=1990, le=2100)]
Text = Annotated[str, Field(max_length=20000)]

assert set(StakeholderType.__args__) == set(STAKEHOLDER_TYPES)  # type: ignore[attr-defined]
assert set(ItuMembership.__args__) == set(ITU_MEMBERSHIPS)  # type: ignore[attr-defined]
assert set(PledgeType.__args__) == set(PLEDGE_TYPES)  # type: ignore[attr-defined]
assert set(Status.__args__) == set(STATUSES)  # type: ignore[attr-defined]
assert set(ReviewState.__args__) == set(REVIEW_STATES)  # type: ignore[attr-defined]


def country_code(value: str) -> str:
    code = reference.country_code(value)
    if code is None:
        raise ValueError(f"unknown country code {value.strip()!r} (ISO 3166-1 alpha-3 expected)")
    return code


def currency_code(value: str) -> str:
    code = value.strip().upper()
    if code not in reference.currencies():
        raise ValueError(f"unknown currency code {value.strip()!r} (ISO 4217 expected)")
    return code


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


@cache
def _taxonomy_rank() -> dict[str, int]:
    return {code: n for n, code in enumerate([*reference.focus_areas(), *reference.pillars()])}


def in_taxonomy_order(focus_areas: list[str], pillars: list[str]) -> tuple[list[str], list[str]]:
    """Focus areas and pillars in the framework's order, so equal sets compare equal."""
    rank = _taxonomy_rank().__getitem__
    return sorted(set(focus_areas), key=rank), sorted(set(pillars), key=rank)


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=300)]
    stakeholder_type: StakeholderType
    country: str | None = None
    itu_membership: ItuMembership = "none"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return country_code(value) if value else None


class OrganisationOut(OrganisationIn):
    id: int
    pledges: int = 0


class PledgeFields(BaseModel):
    """The editable content of a pledge; every field is checked here and nowhere else."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=500)]
    description: Text = ""
    language: str = "en"
    pledge_type: PledgeType | None = None
    focus_areas: Annotated[list[str], Field(min_length=1)]
    pillars: list[str] = Field(default_factory=list)
    target_countries: list[str] = Field(default_factory=list)
    value: Annotated[float | None, Field(ge=0)] = None
    currency: str | None = None
    value_usd: Annotated[float | None, Field(ge=0)] = None
    start_year: Year | None = None
    end_year: Year | None = None
    announced_on: dt.date | None = None
    event: Annotated[str, Field(max_length=300)] = ""
    status: Status = "planned"
    sdgs: list[Annotated[int, Field(ge=1, le=17)]] = Field(default_factory=list)
    beneficiary_groups: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(default_factory=list)
    partners: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(default_factory=list)
    source_url: Annotated[str, Field(max_length=1000)] = ""

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        """The language the pledge's own text is written in (ISO 639-1), kept as written, never translated."""
        code = value.strip().lower()
        if code not in LANGUAGE_CODES:
            raise ValueError(f"unknown language code {value.strip()!r} (ISO 639-1, such as en, fr, es, ar, zh, ru)")
        return code

    @field_validator("focus_areas")
    @classmethod
    def _focus_areas(cls, values: list[str]) -> list[str]:
        known = reference.focus_areas()
        for v in values:
            if v not in known:
                raise ValueError(f"unknown focus area {v!r} (expected one of {', '.join(known)})")
        return in_taxonomy_order(values, [])[0]

    @field_validator("pillars")
    @classmethod
    def _pillars(cls, values: list[str]) -> list[str]:
        known = reference.pillars()
        for v in values:
            if v not in known:
                raise ValueError(f"unknown pillar {v!r} (expected one of {', '.join(known)})")
        return in_taxonomy_order([], values)[1]

    @field_validator("target_countries")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        return sorted({country_code(v) for v in values})

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return currency_code(value) if value else None

    @field_validator("sdgs")
    @classmethod
    def _sdgs(cls, values: list[int]) -> list[int]:
        return sorted(set(values))

    @field_validator("partners", "beneficiary_groups")
    @classmethod
    def _names(cls, values: list[str]) -> list[str]:
        return sorted(_unique([" ".join(v.split()) for v in values]), key=str.casefold)

    @field_validator("source_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https?://\S+$", value):
            raise ValueError("must be an http:// or https:// address")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PledgeFields:
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValueError(f"end_year {self.end_year} is before start_year {self.start_year}")
        if self.value is not None and not self.currency:
            raise ValueError("value needs a currency")
        if self.currency == "USD" and self.value is not None and self.value_usd is None:
            self.value_usd = self.value
        taxonomy = reference.pillars()
        for p in self.pillars:
            if taxonomy[p].focus_area not in self.focus_areas:
                raise ValueError(f"pillar {p!r} belongs to focus area {taxonomy[p].focus_area!r}, not listed")
        return self


class PledgeIn(PledgeFields):
    """A new pledge. ``pledger`` names the organisation; it is created when unknown."""

    reference: str | None = None
    pledger: OrganisationIn
    review_state: ReviewState = "submitted"
    synthetic: bool = False

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: str | None) -> str | None:
        if value and not REFERENCE_PATTERN.match(value.strip()):
            raise ValueError(f"{value!r} is not a reference of the form P2C-YYYY-NNNNN")
        return value.strip() if value else None


class PledgeUpdate(BaseModel):
    """Changes to a pledge; ``version`` is the version the change was made against."""

    model_config = ConfigDict(extra="forbid")

    version: int
    changes: dict[str, Any]


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    reason: Annotated[str, Field(max_length=2000)] = ""


class ProgressReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Year
    status: Status
    percent_complete: Annotated[float | None, Field(ge=0, le=100)] = None
    usd_disbursed: Annotated[float | None, Field(ge=0)] = None
    people_reached: Annotated[int | None, Field(ge=0)] = None
    narrative: Text = ""
    filed_on: dt.date | None = None
    version: int | None = None

    @field_validator("filed_on")
    @classmethod
    def _not_future(cls, value: dt.date | None) -> dt.date | None:
        if value and value > dt.date.today():
            raise ValueError("a report cannot be filed in the future")
        return value
