"""The international connectivity cost model on the web: the page ``/cost-model``, a plain GET form of every
assumption, the scenarios side by side and the sensitivity table, with JSON and CSV twins. It answers exactly
what ``GET /api/v1/areas/{code}/cost`` (:mod:`observatory.costmodel.api`) and ``observatory cost-model show`` do; the
chart is drawn on the server (``web.charts``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from observatory import reference
from observatory.costmodel import model as cost
from observatory.costmodel import service
from observatory.costmodel.api import csv_response
from observatory.costmodel.labels import (
    APPLIES_TO,
    CHANGE_SENTENCES,
    COSTS_MORE,
    ESTIMATE_INPUTS,
    ESTIMATE_METHODS,
    NOTHING_SENTENCES,
    ORIGIN_NAMES,
    PARAMETER_NAMES,
    RESULT_NAMES,
    SCENARIO_NAMES,
    UNIT_NAMES,
)
from observatory.web import charts
from observatory.web.deps import WebDep
from observatory.web.labels import label
from observatory.web.render import add_templates

router = APIRouter(include_in_schema=False)
add_templates(Path(__file__).parent / "templates")


@router.get("/cost-model")
def cost_model_page(request: Request, web: WebDep) -> Response:
    """The cost model as a form: change any assumption, see the scenarios side by side."""
    error = None
    answer: dict[str, Any] | None = None
    if request.query_params.get("country"):
        try:
            answer = service.answer_query(web.session, request.query_params.multi_items())
        except cost.CostModelError as e:
            error = str(e)
    if answer is not None and request.query_params.get("format") == "csv":
        return csv_response(answer)
    context: dict[str, Any] = {
        "error": error,
        "parameters": {k: web.gettext(v) for k, v in PARAMETER_NAMES.items()},
        "scenario_names": {k: web.gettext(v) for k, v in SCENARIO_NAMES.items()},
        "unit_names": {k: web.gettext(v) for k, v in UNIT_NAMES.items()},
        "result_names": {k: web.gettext(v) for k, v in RESULT_NAMES.items()},
        "origin_names": {k: web.gettext(v) for k, v in ORIGIN_NAMES.items()},
        "countries": sorted(((c, label(web, "country", c)) for c in reference.countries()), key=lambda x: x[1]),
        "query": request.query_params,
        "estimate_methods": {k: web.gettext(v) for k, v in ESTIMATE_METHODS.items()},
        "estimate_inputs": {k: web.gettext(v) for k, v in ESTIMATE_INPUTS.items()},
        "change_sentences": {k: web.gettext(v) for k, v in CHANGE_SENTENCES.items()},
        "nothing_sentences": {k: web.gettext(v) for k, v in NOTHING_SENTENCES.items()},
        "costs_more": web.gettext(COSTS_MORE),
    }
    if answer is None:
        # Without a country: every default as defaults.csv gives it, with its unit and source.
        context["defaults_table"] = [
            {
                "parameter": d.parameter,
                "applies_to": label(web, "region", d.applies_to)
                if d.applies_to in reference.ITU_REGIONS
                else web.gettext(APPLIES_TO[d.applies_to]),
                "value": d.value,
                "low": d.low,
                "high": d.high,
                "unit": d.unit,
                "source": d.source,
                "year": d.year,
                "note": d.note,
            }
            for d in cost.defaults()
        ]
        context["assumptions"] = {name: a.as_json() for name, a in cost.assumptions(None, False, {}, {}).items()}
    if answer is not None:
        assumptions = [(k, v) for k, v in request.query_params.multi_items() if k not in ("country", "lang", "format")]
        context["api_url"] = web.url(f"/api/v1/areas/{answer['country']}/cost") + (
            "?" + urlencode(assumptions) if assumptions else ""
        )
        context["country_name"] = label(web, "country", answer["country"])
        context["cost_chart"] = charts.bar_chart(
            [(context["scenario_names"][s["scenario"]], s["total_cost_usd"]) for s in answer["scenarios"]],
            title=web.gettext("Annual international connectivity cost by scenario"),
            value_format=web.fmt.usd,
            width=900,
            unit=web.gettext("Unit: %(unit)s") % {"unit": web.gettext("US dollars a year")},
            source=web.gettext("Source: %(source)s")
            % {"source": web.gettext("the cost model, with the assumptions in the table above")},
        )
    data: dict[str, Any] = (
        answer
        if answer is not None
        else {"detail": error}
        if error
        else {"defaults": [dataclasses.asdict(d) for d in cost.defaults()]}
    )
    return web.render("costmodel/cost_model.html", data, status=422 if error else 200, **context)
