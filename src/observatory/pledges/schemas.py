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
# The largest amount accepted in any currency: ten trillion, above the world's yearly output in most
# currencies that matter here; a typo or an attack (1e308, Infinity) is refused where it enters.
MAX_MONEY = 10**13
Money = Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False)]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
People = Annotated[int, Field(ge=0, le=10**10)]  # more than the world's population is a mistake
Version = Annotated[int, Field(ge=0, le=2**31 - 1)]
# Record ids are INTEGER columns (32 bits on PostgreSQL): a larger number names no record.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

assert set(StakeholderType.__args__) == set(STAKEHOLDER_TYPES)  # type: ignore[attr-defined]
assert set(ItuMembership.__args__) == set(ITU_MEMBERSHIPS)  # type: ignore[attr-defined]
assert set(PledgeType.__args__) == set(PLEDGE_TYPES)  # type: ignore[attr-defined]
assert set(Status.__args__) == set(STATUSES)  # type: ignore[attr-defined]
assert set(ReviewState.__args__) == set(REVIEW_STATES)  # type: ignore[attr-defined]


def country_code(value: str) -> str:
    """The ISO 3166-1 alpha-3 code of a country given by its code; ``ValueError`` for an unknown one."""
    code = reference.country_code(value)
    if code is None:
        raise ValueError(f"unknown country code {value.strip()!r} (ISO 3166-1 alpha-3 expected)")
    return code


def currency_code(value: str) -> str:
    """The ISO 4217 code of a currency given by its code (any case); ``ValueError`` for an unknown one."""
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


def one_line(value: str) -> str:
    """A name or title on one line, its runs of blanks made one space; ``ValueError`` when nothing is left."""
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    return value


class OrganisationIn(BaseModel):
    """An organisation to register: its name, type of stakeholder, country and ITU membership."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=300)]
    stakeholder_type: StakeholderType
    country: str | None = None
    itu_membership: ItuMembership = "none"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return one_line(value)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return country_code(value) if value else None


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
    value: Money | None = None
    currency: str | None = None
    value_usd: Money | None = None
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
        return one_line(value)

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


Note = Annotated[str, Field(max_length=2000)]


class PledgeChanges(BaseModel):
    """The fields a change sets, each type-checked here; a field left out keeps its value. The pledge
    with its changes applied is then validated as a whole (``PledgeFields``)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    description: str | None = None
    language: str | None = None
    pledge_type: PledgeType | None = None
    focus_areas: list[str] | None = None
    pillars: list[str] | None = None
    target_countries: list[str] | None = None
    value: Money | None = None
    currency: str | None = None
    value_usd: Money | None = None
    start_year: Year | None = None
    end_year: Year | None = None
    announced_on: dt.date | None = None
    event: str | None = None
    status: Status | None = None
    sdgs: list[Annotated[int, Field(ge=1, le=17)]] | None = None
    beneficiary_groups: list[str] | None = None
    partners: list[str] | None = None
    source_url: str | None = None
    pledger: OrganisationIn | None = Field(default=None, description="move the pledge to this organisation")
    review_state: ReviewState | None = None
    review_note: Note | None = None

    def given(self) -> dict[str, Any]:
        """The fields the request set (an explicit ``null`` included), as plain values."""
        return self.model_dump(exclude_unset=True, mode="python")


CHANGE_ONLY = frozenset({"pledger", "review_state", "review_note"})
assert set(PledgeChanges.model_fields) == set(PledgeFields.model_fields) | CHANGE_ONLY


class PledgeUpdate(BaseModel):
    """Changes to a pledge; ``version`` is the version the change was made against."""

    model_config = ConfigDict(extra="forbid")

    version: Version
    changes: PledgeChanges


class WithdrawIn(BaseModel):
    """Withdrawing a pledge: the version withdrawn and why."""

    model_config = ConfigDict(extra="forbid")
    version: Version
    reason: Note = ""


class ProgressReportIn(BaseModel):
    """A year's progress report on a pledge; ``version`` is the report's current version when correcting it."""

    model_config = ConfigDict(extra="forbid")

    year: Year
    status: Status
    percent_complete: Percent | None = None
    usd_disbursed: Money | None = None
    people_reached: People | None = None
    narrative: Text = ""
    filed_on: dt.date | None = None
    version: Version | None = None

    @field_validator("filed_on")
    @classmethod
    def _not_future(cls, value: dt.date | None) -> dt.date | None:
        if value and value > dt.date.today():
            raise ValueError("a report cannot be filed in the future")
        return value


# ---------------------------------------------------------------- what the API answers
#
# The records as ``observatory.pledges.service`` writes them (``pledge_dict``, ``report_dict``,
# ``organisation_dict``), field for field: the API's response models, so its OpenAPI says what it answers.


class _Out(BaseModel):
    """An answer: exactly these fields (a field the service adds must be listed here too)."""

    model_config = ConfigDict(extra="forbid")


HealthLight = Literal["green", "amber", "red", "not_due"]


class PledgerOut(_Out):
    """An organisation as a pledge names it."""

    id: int
    name: str
    stakeholder_type: StakeholderType
    country: str | None = Field(description="ISO 3166-1 alpha-3")
    itu_membership: ItuMembership


class OrganisationOut(PledgerOut):
    """An organisation with its number of published pledges."""

    pledges: int


class PledgeOut(_Out):
    """A pledge's public record, with its reporting health."""

    reference: str
    pledger: PledgerOut
    partners: list[str]
    title: str
    description: str
    language: str = Field(description="ISO 639-1 code of the title and description")
    pledge_type: PledgeType | None
    focus_areas: list[str]
    pillars: list[str]
    target_countries: list[str] = Field(description="ISO 3166-1 alpha-3 codes; none: global")
    value: float | None = Field(description="in ``currency``")
    currency: str | None = Field(description="ISO 4217")
    value_usd: float | None
    usd_rate: float | None = Field(description="USD per unit of ``currency``")
    usd_rate_date: dt.date | None
    usd_origin: Literal["stated", "converted"] | None
    start_year: int | None
    end_year: int | None
    announced_on: dt.date | None
    event: str
    status: Status
    sdgs: list[int]
    beneficiary_groups: list[str]
    source_url: str
    review_state: ReviewState
    review_note: str
    synthetic: bool
    version: int = Field(description="send it back with a change")
    reporting_health: HealthLight = Field(
        description="green: last report under 12 months old; amber: 12-24 months; red: older or never (once due); "
        "not_due: a pledge under a year old with no report yet"
    )


class ReportOut(_Out):
    """An annual progress report."""

    year: int
    status: Status
    percent_complete: float | None
    usd_disbursed: float | None
    people_reached: int | None
    narrative: str
    filed_on: dt.date
    version: int = Field(description="send it back to correct the report")


class PledgeDetailOut(PledgeOut):
    """A pledge with its progress reports."""

    reports: list[ReportOut]


class PledgePage(_Out):
    """One page of the pledges a query selects."""

    items: list[PledgeOut]
    total: int
    page: int
    per_page: int
    pages: int


class HistoryEntryOut(_Out):
    """One change in a pledge's audit history: the record before and after it."""

    at: str = Field(description="ISO 8601 date and time (UTC)")
    actor: str | None = Field(description="who made the change; shown only to those who may read unpublished pledges")
    action: str
    entity: str = Field(description="pledge or progress_report")
    key: str = Field(description="the pledge's reference, or reference/year for a report")
    before: dict[str, Any] | None = Field(description="the record before the change (a pledge or a report)")
    after: dict[str, Any] | None = Field(description="the record after the change")
