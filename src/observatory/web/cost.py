"""The international connectivity cost model on the web: the page ``/cost-model`` (a plain GET form of every
assumption, the scenarios side by side, the sensitivity table; JSON and CSV twins) and the API
``GET /api/v1/cost-model``. Both answer exactly what ``observatory routing cost`` prints."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import Field

from observatory import reference
from observatory.routing import cost
from observatory.routing.cost_service import compute, country_of, to_csv
from observatory.web import charts
from observatory.web.context import SessionDep, WebDep
from observatory.web.i18n import N_
from observatory.web.openapi import Out, responses
from observatory.web.public import label

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["cost model"])

# Query parameters that are not assumptions.
CONTROLS = {"country", "scenario", "format", "lang"}
PARAMETER_NAMES = {
    "users": N_("Internet users"),
    "busy_hour_kbps_per_user": N_("Busy-hour traffic per user"),
    "domestic_share": N_("Domestic share of traffic"),
    "local_exchange_share": N_("Domestic traffic exchanged locally"),
    "target_local_exchange_share": N_("Scenario: domestic traffic exchanged locally"),
    "utilisation": N_("Busy-hour utilisation of capacity"),
    "transit_price": N_("IP transit price"),
    "competition_price_reduction": N_("Scenario: transit price reduction"),
    "ixp_operating_cost": N_("IXP operating cost"),
    "backhaul_km": N_("Cross-border backhaul distance"),
    "backhaul_price": N_("Backhaul price"),
    "backhaul_price_reduction": N_("Scenario: backhaul price reduction"),
    "gni_per_capita_month": N_("Monthly GNI per capita"),
}
# The units of cost_defaults.csv, in the reader's language.
UNIT_NAMES = {
    "USD per Mbit/s per month": N_("USD per Mbit/s per month"),
    "USD per Mbit/s per month per 100 km": N_("USD per Mbit/s per month per 100 km"),
    "USD per person per month": N_("USD per person per month"),
    "USD per year": N_("USD per year"),
    "kbit/s per user": N_("kbit/s per user"),
    "km": N_("km"),
    "people": N_("people"),
    "share of capacity": N_("share of capacity"),
    "share of domestic traffic": N_("share of domestic traffic"),
    "share of the backhaul price": N_("share of the backhaul price"),
    "share of the transit price": N_("share of the transit price"),
    "share of traffic": N_("share of traffic"),
}

SCENARIO_NAMES = {
    "baseline": N_("Baseline"),
    "local_exchange": N_("More local exchange at an IXP"),
    "more_upstreams": N_("Additional upstream providers"),
    "backhaul": N_("Cheaper cross-border backhaul"),
    "combined": N_("All together"),
}
RESULT_NAMES = {
    "capacity_mbps": N_("International capacity (Mbit/s)"),
    "transit_cost_usd": N_("IP transit (USD a year)"),
    "backhaul_cost_usd": N_("Cross-border backhaul (USD a year)"),
    "ixp_cost_usd": N_("IXP operation (USD a year)"),
    "total_cost_usd": N_("Total (USD a year)"),
    "cost_per_user_month_usd": N_("Per user per month (USD)"),
    "cost_per_user_pct_gni": N_("Per user, share of monthly GNI per capita (%)"),
    "saving_usd": N_("Saving against the baseline (USD a year)"),
}
ORIGIN_NAMES = {
    "user": N_("your value"),
    "data": N_("country data"),
    "default": N_("default"),
    "missing": N_("not available"),
}


def _answer(request: Request, session: SessionDep) -> dict[str, Any]:
    """Parse the query (unknown names refused) and run the model; a :class:`cost.CostModelError` on bad input."""
    params = request.query_params
    unknown = [k for k in params if k not in CONTROLS and k not in cost.PARAMETERS]
    if unknown:
        raise cost.CostModelError(f"unknown parameter {unknown[0]!r}; known: {', '.join(cost.PARAMETERS)}")
    country = params.get("country", "")
    if not country:
        raise cost.CostModelError("country is required (ISO 3166-1 alpha-2 or alpha-3)")
    overrides = cost.parse_overrides((k, v) for k, v in params.multi_items() if k in cost.PARAMETERS)
    return compute(session, country, overrides, params.getlist("scenario") or None)


def _csv(answer: dict[str, Any]) -> Response:
    return Response(
        to_csv(answer),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="cost-model-{answer["country"]}.csv"'},
    )


_API_PARAMETERS: list[dict[str, Any]] = [
    {"name": "country", "in": "query", "required": True, "schema": {"type": "string"},
     "description": "ISO 3166-1 alpha-2 or alpha-3 code"},
    {"name": "scenario", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string", "enum": list(cost.SCENARIOS)}},
     "description": "Scenarios besides the baseline (repeatable; default all)"},
    {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "csv"]}},
    *(
        {"name": p.name, "in": "query", "required": False,
         "schema": {"type": "number", ("exclusiveMinimum" if p.above_minimum else "minimum"): p.minimum,
                    **({"maximum": p.maximum} if p.maximum is not None else {})},
         "description": f"{PARAMETER_NAMES[p.name]} ({p.unit}); default: the country's data, else cost_defaults.csv"}
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
    saving_usd: Result
    saving_share: Result


class SensitivityOut(Out):
    """The baseline's cost and the local-exchange saving with one parameter at its low, then its high value."""

    parameter: str
    low: float
    high: float
    total_cost_usd_low: Result
    local_exchange_saving_usd_low: Result
    total_cost_usd_high: Result
    local_exchange_saving_usd_high: Result


class CostModelOut(Out):
    country: str
    itu_region: str | None
    groups: list[str]
    assumptions: dict[str, AssumptionOut]
    defaults_used_for_missing_data: list[str]
    scenarios: list[ScenarioOut]
    sensitivity: list[SensitivityOut]


@api.get(
    "/cost-model",
    openapi_extra={"parameters": _API_PARAMETERS},
    response_model=CostModelOut,
    responses=responses(csv="The model's answer (JSON), or as one CSV table with `format=csv`."),
)
def cost_model_api(request: Request, session: SessionDep) -> Any:
    """Annual cost of a country's international connectivity by scenario (baseline, more local exchange at an
    IXP, additional upstreams, cheaper cross-border backhaul, all together), every assumption with its origin
    and source, and the sensitivity of the result to each parameter's low and high value. Any assumption can be
    set as a query parameter; unknown names and out-of-range values answer 422. ``format=csv`` gives the same
    as one CSV table. Method: docs/cost-model.md."""
    unknown = [f for f in request.query_params.getlist("format") if f not in ("json", "csv")]
    if unknown:
        raise HTTPException(422, f"unknown format {unknown[0]!r} (json or csv)")
    try:
        answer = _answer(request, session)
    except cost.CostModelError as e:
        raise HTTPException(422, str(e)) from e
    return _csv(answer) if request.query_params.get("format") == "csv" else answer


@router.get("/cost-model")
def cost_model_page(request: Request, web: WebDep) -> Response:
    """The cost model as a form: change any assumption, see the scenarios side by side."""
    error = None
    answer: dict[str, Any] | None = None
    if request.query_params.get("country"):
        try:
            answer = _answer(request, web.session)
        except cost.CostModelError as e:
            error = str(e)
    if answer is not None and request.query_params.get("format") == "csv":
        return _csv(answer)
    context: dict[str, Any] = {
        "error": error,
        "parameters": {k: web.gettext(v) for k, v in PARAMETER_NAMES.items()},
        "scenario_names": {k: web.gettext(v) for k, v in SCENARIO_NAMES.items()},
        "unit_names": {k: web.gettext(v) for k, v in UNIT_NAMES.items()},
        "result_names": {k: web.gettext(v) for k, v in RESULT_NAMES.items()},
        "origin_names": {k: web.gettext(v) for k, v in ORIGIN_NAMES.items()},
        "countries": sorted(((c, label(web, "country", c)) for c in reference.countries()), key=lambda x: x[1]),
        "query": request.query_params,
    }
    if answer is not None:
        country = country_of(answer["country"])
        context["country_name"] = label(web, "country", country.alpha3)
        context["cost_chart"] = charts.bar_chart(
            [(context["scenario_names"][s["scenario"]], s["total_cost_usd"]) for s in answer["scenarios"]],
            title=web.gettext("Annual international connectivity cost by scenario"),
            value_format=web.fmt.usd,
            width=900,
        )
    data: dict[str, Any] = answer if answer is not None else {"detail": error} if error else {}
    return web.render("public/cost.html", data, status=422 if error else 200, **context)
