"""The cost model's API, ``GET /api/v1/areas/{code}/cost``: what ``observatory cost-model show`` prints."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import Field

from observatory.costmodel import model as cost
from observatory.costmodel import service
from observatory.costmodel.labels import PARAMETER_NAMES
from observatory.web.deps import AreaDep, SessionDep
from observatory.web.openapi import IsoDate, Out, responses

router = APIRouter(prefix="/api/v1", tags=["cost model"])


def csv_response(answer: dict[str, Any]) -> Response:
    """The answer as one CSV table, as a download."""
    return Response(
        service.to_csv(answer),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="cost-model-{answer["country"]}.csv"'},
    )


_API_PARAMETERS: list[dict[str, Any]] = [
    {"name": "scenario", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string", "enum": list(cost.SCENARIOS)}},
     "description": "Scenarios besides the baseline (repeatable; default all)"},
    {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "csv"]}},
    *(
        {"name": p.name, "in": "query", "required": False,
         "schema": {"type": "number", ("exclusiveMinimum" if p.above_minimum else "minimum"): p.minimum,
                    **({"maximum": p.maximum} if p.maximum is not None else {})},
         "description": f"{PARAMETER_NAMES[p.name]} ({p.unit}); default: the country's data, else defaults.csv"}
        for p in cost.PARAMETERS.values()
    ),
]  # fmt: skip


# A result of the model: null where the assumptions are so extreme that it exceeds the floating-point range.
Result = float | None


class AssumptionOut(Out):
    """A parameter's value as the model used it, and where it came from."""

    name: str
    value: float | None = Field(description="null: no value (only the GNI per capita may have none)")
    unit: str
    origin: Literal["user", "data", "default", "missing"]
    source: str
    year: int | None
    note: str
    low: float | None = Field(description="the low end of its plausible range, for the sensitivity table")
    high: float | None


class ScenarioOut(Out):
    """One scenario's traffic, capacity and annual cost, with its saving against the baseline."""

    scenario: Literal["baseline", "local_exchange", "more_upstreams", "backhaul", "combined"]
    local_exchange_share: Result
    transit_price: Result
    backhaul_price: Result
    international_traffic_mbps: Result
    capacity_mbps: Result
    transit_cost_usd: Result
    backhaul_cost_usd: Result
    ixp_cost_usd: Result
    total_cost_usd: Result
    cost_per_user_month_usd: Result
    cost_per_user_pct_gni: Result = Field(description="null without a GNI per capita")
    gross_saving_usd: Result = Field(description="transit and backhaul saved, before the IXP's cost")
    saving_usd: Result
    saving_share: Result


class SensitivityOut(Out):
    """The baseline's cost and the local-exchange saving with one parameter at its low, then its high value."""

    parameter: str
    low: float = Field(description="the low end of the range (widened to the value used when that lies below)")
    high: float
    value: float = Field(description="the value used")
    total_cost_usd_low: Result
    local_exchange_saving_usd_low: Result
    total_cost_usd_high: Result
    local_exchange_saving_usd_high: Result
    total_cost_usd_base: Result
    local_exchange_saving_usd_base: Result
    cost_moves: bool = Field(description="false: the baseline cost does not change over the range")
    saving_moves: bool = Field(description="false: the local-exchange saving does not change over the range")


class EstimateInputOut(Out):
    """One input of the local-exchange estimate, with its source and date."""

    name: Literal["member_user_share", "ixp_count", "seen_share", "domestic_dependency_share"]
    value: float | None
    code: str = Field(description="the infrastructure indicator it is, if it is one")
    source: str
    date: str
    members: int | None = None
    members_seen: int | None = None
    dependencies: int | None = None
    domestic_dependencies: int | None = None


class EstimateOut(Out):
    """The estimated share of domestic traffic exchanged in the country (docs/cost-model.md)."""

    method: Literal["membership_and_ihr", "membership_only", "no_ixp", "regional_default"]
    value: float | None = Field(description="null: no estimate, the region's default applies")
    low: float | None
    high: float | None
    inputs: list[EstimateInputOut]


class ScenarioNoteOut(Out):
    """What a scenario changes from the baseline, and why it adds nothing where it does."""

    scenario: Literal["local_exchange", "more_upstreams", "backhaul", "combined"]
    parameter: str | None = Field(description="the lever moved (null for the combined scenario)")
    baseline: float | None
    scenario_value: float | None
    adds_nothing: bool
    reason: Literal["at_or_above_target", "no_domestic_traffic", "no_price_reduction", "nothing_to_reduce",
                    "every_lever"] | None  # fmt: skip
    costs_more: bool = Field(description="true: the IXP's operating cost exceeds what the scenario saves")


class CostModelOut(Out):
    country: str
    itu_region: str | None
    groups: list[str]
    assumptions: dict[str, AssumptionOut]
    defaults_used_for_missing_data: list[str]
    local_exchange_estimate: EstimateOut
    scenarios: list[ScenarioOut]
    scenario_notes: list[ScenarioNoteOut]
    sensitivity: list[SensitivityOut]
    not_varied: list[str] = Field(description="parameters without a range, left out of the sensitivity table")


@router.get(
    "/areas/{code}/cost",
    openapi_extra={"parameters": _API_PARAMETERS},
    response_model=CostModelOut,
    responses=responses(404, csv="The model's answer (JSON), or as one CSV table with `format=csv`."),
)
def cost_model_api(area: AreaDep, request: Request, session: SessionDep) -> Any:
    """The cost of a country's international connectivity: annual cost by scenario (baseline, more local
    exchange at an IXP, additional upstreams, cheaper cross-border backhaul, all together), every assumption
    with its origin and source, and the sensitivity of the result to each parameter's low and high value. Any
    assumption can be set as a query parameter; unknown names and out-of-range values answer 422.
    ``format=csv`` gives the same as one CSV table. Method: docs/cost-model.md."""
    unknown = [f for f in request.query_params.getlist("format") if f not in ("json", "csv")]
    if unknown:
        raise HTTPException(422, f"unknown format {unknown[0]!r} (json or csv)")
    try:
        query = request.query_params.multi_items()
        if any(name == "country" for name, _ in query):
            raise cost.CostModelError("the country is the area of the path (/api/v1/areas/{code}/cost)")
        empty = [name for name, value in query if name != "format" and not value.strip()]
        if empty:  # the page's form leaves fields blank to keep a default; the API takes a number or nothing
            raise cost.CostModelError(f"{empty[0]} is empty: give a number, or leave the parameter out")
        answer = service.answer_query(session, [("country", area.code), *query])
    except cost.CostModelError as e:
        raise HTTPException(422, str(e)) from e
    return csv_response(answer) if request.query_params.get("format") == "csv" else answer


class GroupMemberCostOut(Out):
    """One member's baseline and local-exchange scenario, with the model's data and defaults."""

    country: str
    covered: bool = Field(description="false: its Internet users are not in the loaded data (a default stood in)")
    estimated: bool = Field(description="whether its local-exchange share is estimated from the network data")
    local_exchange_share: Result
    cost_per_user_month_usd: Result
    saving_usd: Result = Field(description="what the local-exchange scenario saves a year against the baseline")
    saving_share: Result


class GroupCostOut(Out):
    """The cost model's findings for a group: medians over the members whose Internet users are loaded."""

    group: str
    on: str = Field(description="the day the group's members are taken on")
    members: int
    countries: int = Field(description="members covered: their Internet users come from the loaded data")
    estimated: int = Field(description="covered members whose local-exchange share is estimated from the data")
    median_local_exchange_share: Result
    median_cost_per_user_month_usd: Result
    median_saving_share: Result = Field(description="the local-exchange scenario's saving, share of the baseline")
    median_saving_usd: Result
    rows: list[GroupMemberCostOut]


@router.get("/areas/{code}/cost/summary", response_model=GroupCostOut, responses=responses(404))
def cost_model_group(area: AreaDep, session: SessionDep, date: IsoDate | None = None) -> Any:
    """The cost model's findings for a group (LDC, LLDC, SIDS, an ITU region): each member's baseline and
    local-exchange scenario with its own data and the defaults, and the medians over the members whose Internet
    users are loaded (members on ``date``, default today). An area that is not such a group answers 422."""
    try:
        return service.group_summary(session, area.code, date)
    except cost.CostModelError as e:
        raise HTTPException(422, str(e)) from e
