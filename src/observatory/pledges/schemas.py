"""What the registry accepts and shows. The API and the CSV importer validate through the same models,
so a pledge is judged by one set of rules whichever way it arrives."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Annotated, Any, Literal, get_args

from babel import Locale
from babel.numbers import format_decimal
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

from observatory import reference
from observatory.i18n import N_
from observatory.i18n.validation import CSV, NUMBERS, YEARS, number_from_text, reader_locale
from observatory.pledges.models import (
    DELIVERABLE_STATUSES,
    ITU_MEMBERSHIPS,
    PLEDGE_TYPES,
    REPORT_REVIEW_STATES,
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
    "unspecified",
]
ItuMembership = Literal[
    "member_state", "sector_member", "associate", "academia", "none", "not_applicable", "unspecified"
]
PledgeType = Literal["financial", "programmatic", "policy", "advocacy"]
Status = Literal["planned", "in_progress", "completed", "discontinued"]
ReviewState = Literal["draft", "submitted", "published", "rejected", "withdrawn"]
Year = Annotated[int, Field(ge=YEARS[0], le=YEARS[1])]
Text = Annotated[str, Field(max_length=20000)]


def _typed_number(value: Any, info: ValidationInfo) -> Any:
    """A number typed in a form or a CSV cell, read by the caller's convention (``validation_context``)."""
    return number_from_text(value, info.context if isinstance(info.context, dict) else None)


# Numbers as typed: validate with ``context=validation_context(language)`` (a form) or ``CSV_CONTEXT`` (a
# CSV file) to read "5,000,000" or "5 000 000"; without a context (the JSON API), a number must be a number.
TypedNumber = BeforeValidator(_typed_number)
# The largest amount accepted in any currency: ten trillion, above the world's yearly output in most
# currencies that matter here; a typo or an attack (1e308, Infinity) is refused where it enters.
MAX_MONEY = 10**13
Money = Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False), TypedNumber]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False), TypedNumber]
People = Annotated[int, Field(ge=0, le=10**10), TypedNumber]  # more than the world's population is a mistake
Version = Annotated[int, Field(ge=0, le=2**31 - 1)]
# Record ids are INTEGER columns (32 bits on PostgreSQL): a larger number names no record.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

assert set(StakeholderType.__args__) == set(STAKEHOLDER_TYPES)  # type: ignore[attr-defined]
assert set(ItuMembership.__args__) == set(ITU_MEMBERSHIPS)  # type: ignore[attr-defined]
assert set(PledgeType.__args__) == set(PLEDGE_TYPES)  # type: ignore[attr-defined]
assert set(Status.__args__) == set(STATUSES)  # type: ignore[attr-defined]
assert set(ReviewState.__args__) == set(REVIEW_STATES)  # type: ignore[attr-defined]


def validation_context(language: str) -> dict[str, str]:
    """The validation context of a form in ``language``: its numbers are read as that language writes them."""
    return {NUMBERS: language}


CSV_CONTEXT = {NUMBERS: CSV}  # the validation context of a CSV row (see ``i18n.validation.parse_number``)


def _unknown(kind: str, template: str, value: str) -> PydanticCustomError:
    return PydanticCustomError(kind, template, {"value": value, "quoted": repr(value)})


def country_code(value: str) -> str:
    """The ISO 3166-1 alpha-3 code of a country given by its code; ``ValueError`` for an unknown one."""
    code = reference.country_code(value)
    if code is None:
        raise _unknown("unknown_country", "unknown country code {quoted} (ISO 3166-1 alpha-3 expected)", value.strip())
    return code


def currency_code(value: str) -> str:
    """The ISO 4217 code of a currency given by its code (any case); ``ValueError`` for an unknown one."""
    code = value.strip().upper()
    if code not in reference.currencies():
        raise _unknown("unknown_currency", "unknown currency code {quoted} (ISO 4217 expected)", value.strip())
    return code


@lru_cache(maxsize=4096)  # the same few names on every row of a file
def _spelling(name: str) -> str:
    """A name as compared: case, accents, hyphens, underscores and runs of blanks ignored."""
    text = unicodedata.normalize("NFKD", name.replace("_", " ").replace("-", " ").casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


# The qualifier a pillar's name may be written without ("Skills" for "Digital skills").
_QUALIFIERS = frozenset({"digital", "numerique", "numeriques"})


def _names_index(names: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Every way of writing a code: the code, its English and French names, and each name without the word
    "digital" / "numérique" when that names one code only."""
    out: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for code, (en, fr) in names.items():
        for spelling in (code, en, fr):
            out[_spelling(spelling)] = code
        for name in (en, fr):
            words = _spelling(name).split()
            kept = [w for w in words if w not in _QUALIFIERS]
            if kept and kept != words:
                short.setdefault(" ".join(kept), set()).add(code)
    for spelling, codes in short.items():
        if len(codes) == 1 and spelling not in out:
            out[spelling] = codes.pop()
    return out


def _pillar_names() -> dict[str, tuple[str, str]]:
    return {p.code: (p.name_en, p.name_fr) for p in reference.pillars().values()}


@cache
def _focus_area_index() -> dict[str, str]:
    return _names_index(dict(reference.focus_areas()))


@cache
def _pillar_index() -> dict[str, str]:
    return _names_index(_pillar_names())


def _accepted(value: str, names: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {
        "value": value.strip(),
        "accepted_en": ", ".join(f"{en} ({code})" for code, (en, _fr) in names.items()),
        "accepted_fr": ", ".join(f"{fr} ({code})" for code, (_en, fr) in names.items()),
    }


def focus_area_code(value: str) -> str:
    """The code of a focus area given by its code or its English or French name, ignoring case and accents."""
    code = _focus_area_index().get(_spelling(value))
    if code is None:
        template = "unknown focus area {value!r} (expected one of {accepted_en})"
        raise PydanticCustomError("unknown_focus_area", template, _accepted(value, dict(reference.focus_areas())))
    return code


def pillar_code(value: str) -> str:
    """The code of a pillar given by its code, its English or French name, or that name without "digital" /
    "numérique" ("Skills"), ignoring case and accents."""
    code = _pillar_index().get(_spelling(value))
    if code is None:
        template = "unknown pillar {value!r} (expected one of {accepted_en})"
        raise PydanticCustomError("unknown_pillar", template, _accepted(value, _pillar_names()))
    return code


def taxonomy_pillars(values: list[str], info: ValidationInfo) -> list[str]:
    """Pillars given by code or by name, as codes in taxonomy order, each of a focus area the record names
    (checked when its focus areas are valid): the rule of pledges and best-practice cases alike."""
    codes = in_taxonomy_order([], [pillar_code(v) for v in values])[1]
    focus_areas: list[str] = info.data.get("focus_areas") or []
    for code in codes if "focus_areas" in info.data else []:
        pillar = reference.pillars()[code]
        if pillar.focus_area not in focus_areas:
            en, fr = reference.focus_areas()[pillar.focus_area]
            ctx = {"pillar": code, "pillar_en": pillar.name_en, "pillar_fr": pillar.name_fr,
                   "focus_area": pillar.focus_area, "focus_area_en": en, "focus_area_fr": fr}  # fmt: skip
            template = "pillar '{pillar}' belongs to focus area '{focus_area}', not listed"
            raise PydanticCustomError("pillar_outside_focus_area", template, ctx)
    return codes


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


OrganisationName = Annotated[str, Field(min_length=1, max_length=300)]
MAX_OTHER_NAMES = 50
# A digest of an organisation's record as it was read: a change sent with an older one is refused.
Fingerprint = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$", description="as the organisation's record gives it")]


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def other_names(names: list[str], name: str) -> list[str]:
    """An organisation's other names on one line each, without repeats or its own name (ignoring case and
    blanks); ``ValueError`` for a blank one."""
    seen = {_key(name)}
    out = []
    for other in names:
        other = one_line(other)
        if _key(other) not in seen:
            seen.add(_key(other))
            out.append(other)
    return out


class OrganisationFields(OrganisationIn):
    """An organisation as the secretariat corrects it: its name, other names (earlier names, acronyms),
    type of stakeholder, country and ITU membership."""

    other_names: Annotated[list[OrganisationName], Field(max_length=MAX_OTHER_NAMES)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _other_names(self) -> OrganisationFields:
        self.other_names = other_names(self.other_names, self.name)
        return self


class OrganisationChange(BaseModel):
    """Changes to an organisation (the fields left out stay as they are); ``fingerprint`` is the one of
    the record the change was made against."""

    model_config = ConfigDict(extra="forbid")

    fingerprint: Fingerprint
    name: OrganisationName | None = None
    other_names: Annotated[list[OrganisationName], Field(max_length=MAX_OTHER_NAMES)] | None = None
    stakeholder_type: StakeholderType | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-3; null: none or international")
    itu_membership: ItuMembership | None = None


class MergeIn(BaseModel):
    """Merging another organisation into this one: its pledges, partnerships and pledgers move here, its
    names become other names of this one, and it is deleted."""

    model_config = ConfigDict(extra="forbid")

    merged: Annotated[int, Field(ge=1, le=2**31 - 1, description="the id of the organisation merged into this one")]
    fingerprint: Fingerprint | None = Field(default=None, description="of this organisation, to refuse a stale merge")
    merged_fingerprint: Fingerprint | None = Field(default=None, description="of the merged organisation")


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
    currency: str | None = Field(default=None, validate_default=True)
    value_usd: Money | None = Field(default=None, validate_default=True)
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
            template = "unknown language code {quoted} (ISO 639-1, such as en, fr, es, ar, zh, ru)"
            raise _unknown("unknown_language", template, value.strip())
        return code

    @field_validator("focus_areas")
    @classmethod
    def _focus_areas(cls, values: list[str]) -> list[str]:
        """Focus areas by code or by name (English or French, any case), kept as codes."""
        return in_taxonomy_order([focus_area_code(v) for v in values], [])[0]

    @field_validator("pillars")
    @classmethod
    def _pillars(cls, values: list[str], info: ValidationInfo) -> list[str]:
        """Pillars by code or by name, each of a focus area the pledge names (when its focus areas are valid)."""
        return taxonomy_pillars(values, info)

    @field_validator("target_countries")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        return sorted({country_code(v) for v in values})

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None, info: ValidationInfo) -> str | None:
        """The currency of the value (an ISO 4217 code): needed when a value is given."""
        if not value and info.data.get("value") is not None:
            raise PydanticCustomError("value_needs_currency", "value needs a currency")
        return currency_code(value) if value else None

    @field_validator("value_usd")
    @classmethod
    def _value_usd(cls, value: float | None, info: ValidationInfo) -> float | None:
        """A value in US dollars is its own value in USD."""
        if value is None and info.data.get("currency") == "USD":
            usd: float | None = info.data.get("value")
            return usd
        return value

    @field_validator("end_year")
    @classmethod
    def _end_year(cls, value: int | None, info: ValidationInfo) -> int | None:
        """The end year, not before the start year (when that is valid): checked with the other fields, so
        every error of a pledge is reported at once."""
        start = info.data.get("start_year")
        if value is not None and start is not None and value < start:
            template = "end_year {end} is before start_year {start}"
            raise PydanticCustomError("end_before_start", template, {"end": value, "start": start})
        return value

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
            raise PydanticCustomError("url", "must be an http:// or https:// address")
        return value


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
            raise _unknown("bad_reference", "{quoted} is not a reference of the form P2C-YYYY-NNNNN", value)
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


DeliverableStatus = Literal["planned", "in_progress", "completed", "delayed", "cancelled"]
ReviewStateOfReport = Literal["submitted", "published", "returned"]
assert set(DeliverableStatus.__args__) == set(DELIVERABLE_STATUSES)  # type: ignore[attr-defined]
assert set(ReviewStateOfReport.__args__) == set(REPORT_REVIEW_STATES)  # type: ignore[attr-defined]


class DeliverableIn(BaseModel):
    """A deliverable of a pledge (a milestone): its title, due date and status; ``version`` when changing one."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=300)]
    due_on: dt.date | None = None
    status: DeliverableStatus = "planned"
    version: Version | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        value = one_line(value)
        if not value:
            raise ValueError("must not be empty")
        return value


class DeliverableUpdateIn(BaseModel):
    """A deliverable's status as a progress report gives it (applied when the report is published)."""

    model_config = ConfigDict(extra="forbid")

    deliverable_id: Id
    status: DeliverableStatus
    note: Note = ""


@dataclass(frozen=True)
class ReportContext:
    """What a report is checked against besides itself: the pledge's first year (of its start or announcement),
    the pledge's other reports as (year, USD committed, USD disbursed, has a finance note), and today. Without
    one (``finance`` False) the cumulative finance rule is left to the service, which knows the other reports."""

    first_year: int | None = None
    others: tuple[tuple[int, float, float, bool], ...] = ()
    today: dt.date | None = None
    finance: bool = True


# The rules a progress report keeps, each with its message (English, translated where shown; the context's
# keys are the placeholders). Pydantic reports them as errors of these types, all at once with the field errors.
REPORT_RULES: dict[str, tuple[str, str]] = {
    "report_future_year": ("year", N_("The report cannot cover a year after %(current)s, the current year.")),
    "report_before_pledge": ("year", N_("The pledge began in %(first)s: a report cannot cover an earlier year.")),
    "report_completed_percent": (
        "percent_complete",
        N_("A completed pledge is 100 % complete: enter 100, or choose another status."),
    ),
    "report_percent_not_completed": (
        "status",
        N_("At 100 % complete the status is “completed”: choose it, or lower the per cent complete."),
    ),
    "report_completed_on_missing": ("completed_on", N_("Give the date the pledge was completed.")),
    "report_completed_on_future": ("completed_on", N_("The completion date cannot be in the future.")),
    "report_completed_on_not_completed": (
        "completed_on",
        N_("Give a completion date only for a completed pledge, or choose the status “completed”."),
    ),
    "report_reason_missing": ("status_reason", N_("Say why the pledge was discontinued.")),
    "report_disbursed_over_committed": (
        "usd_disbursed",
        N_(
            "By %(year)s, USD %(disbursed)s were disbursed in all against USD %(committed)s committed: lower the "
            "disbursement, or explain it in the finance note."
        ),
    ),
}


REPORT_MESSAGES = {rule: message for rule, (_, message) in REPORT_RULES.items()}
# The key of a validation context (a dict, as ``validation_context`` makes) holding the ``ReportContext``.
REPORT = "report"


def report_context_of(context: Any) -> ReportContext:
    """The :class:`ReportContext` a validation was given (alone, or under :data:`REPORT` in a dict); without
    one, the rules that need the pledge's other reports are left to the service."""
    if isinstance(context, ReportContext):
        return context
    given = context.get(REPORT) if isinstance(context, dict) else None
    return given if isinstance(given, ReportContext) else ReportContext(finance=False)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def fill(message: str, values: dict[str, Any]) -> str:
    """``message`` with its ``%(name)s`` placeholders filled (a lone "%", as in "100 %", stays)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), message)


def report_rule_errors(values: dict[str, Any], context: ReportContext, language: str = "en") -> list[InitErrorDetails]:
    """Every rule a report's (valid) fields break, as pydantic errors: status and percent agree, a completed
    pledge has its completion date, a discontinued one its reason, the year is neither future nor before the
    pledge, and cumulatively no more is disbursed than committed unless the finance note says why."""
    today = context.today or dt.date.today()
    found: list[InitErrorDetails] = []

    def refuse(rule: str, **ctx: Any) -> None:
        field, message = REPORT_RULES[rule]
        found.append(
            InitErrorDetails(
                type=PydanticCustomError(rule, fill(message, ctx).replace("{", "(").replace("}", ")"), ctx),
                loc=(field,),
                input=values.get(field),
            )
        )

    year, status, percent = values.get("year"), values.get("status"), values.get("percent_complete")
    completed_on = values.get("completed_on")
    if isinstance(year, int) and year > today.year:
        refuse("report_future_year", current=today.year)
    elif isinstance(year, int) and context.first_year is not None and year < context.first_year:
        refuse("report_before_pledge", first=context.first_year)
    if status == "completed" and percent is not None and percent != 100:
        refuse("report_completed_percent")
    if status is not None and status != "completed" and percent == 100:
        refuse("report_percent_not_completed")
    if status == "completed" and completed_on is None:
        refuse("report_completed_on_missing")
    if completed_on is not None and completed_on > today:
        refuse("report_completed_on_future")
    elif completed_on is not None and status is not None and status != "completed":
        refuse("report_completed_on_not_completed")
    if status == "discontinued" and not str(values.get("status_reason") or "").strip():
        refuse("report_reason_missing")
    if context.finance and "usd_disbursed" in values:
        if not isinstance(year, int):
            year = today.year  # a year still to correct: checked as this year's report, so every error shows at once
        explained = bool(str(values.get("finance_note") or "").strip())
        mine = (year, values.get("usd_committed") or 0.0, values.get("usd_disbursed") or 0.0, explained)
        rows = sorted([r for r in context.others if r[0] != year] + [mine])
        committed = disbursed = 0.0
        for y, c, d, noted in rows:
            committed, disbursed = committed + c, disbursed + d
            if y >= year and disbursed > committed + 0.005 and not noted and not explained:
                locale = "en" if language == CSV else language
                refuse(
                    "report_disbursed_over_committed",
                    year=y,
                    disbursed=format_decimal(round(disbursed), locale=reader_locale(locale)),
                    committed=format_decimal(round(committed), locale=reader_locale(locale)),
                )
                break
    return found


class ProgressReportIn(BaseModel):
    """A pledge's progress report for one year: its status, what was committed and disbursed IN THAT YEAR (USD),
    people reached, deliverables' statuses; ``version`` is the report's current version when correcting it.
    Every field error and every rule it breaks (``report_rule_errors``) are reported at once; validated with a
    :class:`ReportContext` (``model_validate(data, context=...)``), the rules that need the pledge apply too."""

    model_config = ConfigDict(extra="forbid")

    year: Year
    status: Status
    percent_complete: Percent | None = None
    usd_committed: Money | None = Field(default=None, description="USD committed in that year")
    usd_disbursed: Money | None = Field(default=None, description="USD disbursed in that year")
    people_reached: People | None = None
    narrative: Text = ""
    completed_on: dt.date | None = Field(default=None, description="when the pledge was completed (status completed)")
    status_reason: Note = Field(default="", description="why the pledge was discontinued (status discontinued)")
    finance_note: Note = Field(
        default="", description="why more was disbursed than committed, counted over this report and the earlier ones"
    )
    deliverables: list[DeliverableUpdateIn] = Field(default_factory=list, max_length=500)
    filed_on: dt.date | None = None
    version: Version | None = None

    @field_validator("filed_on")
    @classmethod
    def _not_future(cls, value: dt.date | None) -> dt.date | None:
        if value and value > dt.date.today():
            raise ValueError("a report cannot be filed in the future")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _all_rules(cls, data: Any, handler: Callable[[Any], ProgressReportIn], info: ValidationInfo) -> Any:
        context = report_context_of(info.context)
        language = str(info.context.get(NUMBERS) or "en") if isinstance(info.context, dict) else "en"
        try:
            report = handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict):
                raise
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
            if "usd_committed" in bad:
                bad.add("usd_disbursed")  # the finance rule needs both figures
            values: dict[str, Any] = {}
            for name, value in data.items():
                field = cls.model_fields.get(name)
                if field is None or name in bad:
                    continue
                try:
                    values[name] = _field_adapter(name).validate_python(value, context=info.context)
                except ValidationError:
                    bad.add(name)
            rules = [r for r in report_rule_errors(values, context, language) if r["loc"][0] not in bad]
            raise ValidationError.from_exception_data(
                cls.__name__, [_details(e) for e in exc.errors()] + rules
            ) from None
        if status := report_rule_errors(report.model_dump(), context, language):
            raise ValidationError.from_exception_data(cls.__name__, status)
        if report.status == "completed" and report.percent_complete is None:
            report.percent_complete = 100.0
        return report


class ReportDecisionIn(BaseModel):
    """The secretariat's decision on a report: the version decided on, and (to return it) what to correct."""

    model_config = ConfigDict(extra="forbid")
    version: Version
    note: Note = ""


@cache
def _field_adapter(name: str) -> TypeAdapter[Any]:
    field = ProgressReportIn.model_fields[name]
    kind: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    return TypeAdapter(kind)


def _details(e: ErrorDetails) -> InitErrorDetails:
    """A field error as pydantic reported it, to report again beside the rules' errors."""
    kind = e["type"]
    error_type: str | PydanticCustomError = kind
    if kind not in _CORE_TYPES:
        error_type = PydanticCustomError(kind, e["msg"], e.get("ctx") or {})
    out = InitErrorDetails(type=error_type, loc=e["loc"], input=e.get("input"))
    if kind in _CORE_TYPES and "ctx" in e:
        out["ctx"] = e["ctx"]
    return out


_CORE_TYPES = frozenset(get_args(ErrorType))


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
    """An organisation with its other names and its number of published pledges."""

    other_names: list[str] = Field(description="earlier names, acronyms, names of organisations merged into it")
    fingerprint: str = Field(description="send it back with a change")
    pledges: int


class MergeOut(_Out):
    """What a merge did: the organisation that stays, and how much moved to it."""

    organisation: OrganisationOut
    merged: PledgerOut
    pledges_moved: int = Field(description="pledges the merged organisation made, now this one's")
    partnerships_moved: int = Field(description="pledges naming the merged organisation as partner, now this one")
    partnerships_dropped: int = Field(description="partnerships dropped: the pledge already named this one")
    pledgers_moved: int = Field(description="pledger accounts acting for the merged organisation, now for this one")


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


class DeliverableOut(_Out):
    """A deliverable of a pledge: a milestone with its due date and status."""

    id: int
    title: str
    due_on: dt.date | None
    status: DeliverableStatus
    overdue: bool = Field(description="due before today and neither completed nor cancelled")
    version: int = Field(description="send it back to change the deliverable")


class DeliverableUpdateOut(_Out):
    """A deliverable's status as a report gives it."""

    deliverable_id: int
    title: str
    status: DeliverableStatus
    note: str


class ReportOut(_Out):
    """A pledge's progress report for one year; the public sees published reports only."""

    year: int
    status: Status
    percent_complete: float | None
    usd_committed: float | None = Field(description="USD committed in that year")
    usd_disbursed: float | None = Field(description="USD disbursed in that year")
    people_reached: int | None
    narrative: str
    completed_on: dt.date | None
    status_reason: str
    finance_note: str
    review_state: ReviewStateOfReport = Field(description="submitted, published, or returned to the pledger")
    review_note: str = Field(description="the secretariat's note when it returned the report")
    deliverables: list[DeliverableUpdateOut]
    filed_on: dt.date
    version: int = Field(description="send it back to correct the report")


class ReportYearOut(_Out):
    """The published reports' figures for one year, and cumulated up to that year."""

    year: int
    usd_committed: float
    usd_disbursed: float
    cumulative_committed: float
    cumulative_disbursed: float
    people_reached: int | None


class ProgressOut(_Out):
    """Pledged → committed → disbursed, from the published reports."""

    value_usd: float | None = Field(description="the pledge's USD value; null when it has none")
    usd_committed: float
    usd_disbursed: float
    disbursed_share: float | None = Field(description="USD disbursed / USD pledged; null without a USD value")
    years: list[ReportYearOut]


class PledgeDetailOut(PledgeOut):
    """A pledge with its published progress reports (and, for those who may read them, the others), its
    deliverables, and pledged → committed → disbursed."""

    reports: list[ReportOut]
    deliverables: list[DeliverableOut]
    progress: ProgressOut


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
