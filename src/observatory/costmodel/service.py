"""The cost model for one country: its inputs from the loaded data, the model's scenarios and sensitivity, as the
one answer the command line, the API and the page share (JSON, or CSV with the assumptions beside the results).

Inputs from the other capabilities, each used when loaded and always overridable: Internet users (people online,
``observatory.indicators``), the share of domestic traffic exchanged locally (estimated from the users in networks
at a domestic IXP and the Internet Health Report's IXP dependency results, ``observatory.network``:
:func:`local_exchange`), the monthly GNI per capita (implied by ITU's mobile data basket), the ITU region and
LLDC membership (``observatory.reference``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from observatory import reference
from observatory.costmodel import model as cost
from observatory.costmodel.model import CostModelError
from observatory.exports import SafeWriter
from observatory.indicators import service as indicators
from observatory.network import country_indicators, domestic_exchange_evidence
from observatory.network.service import source_label
from observatory.reference import UnknownArea, resolve_area

# The parameters the loaded data can give; the page says when a default stood in for one of them.
FROM_DATA = ("users", "local_exchange_share", "gni_per_capita_month")
CSV_COLUMNS = ("kind", "scenario", "name", "value", "unit", "origin", "source", "year")


def country_of(code: str) -> reference.Country:
    """The country ``code`` names (``reference.resolve_area``: ISO alpha-2 or alpha-3, any case); a
    :class:`CostModelError` when it names no area or an area that is not a country (the model is per country)."""
    try:
        area = resolve_area(code)
    except UnknownArea:
        raise CostModelError(f"unknown country code {code!r} (ISO 3166-1 alpha-2 or alpha-3)") from None
    if not area.is_country:
        raise CostModelError(f"{area.code} is not a country: the cost model is computed for one country at a time")
    return reference.countries()[area.code]


_UNSET: Any = object()


def country_data(
    session: Session, country: str, connectivity: indicators.Connectivity | None = _UNSET
) -> dict[str, tuple[float, str, int | None]]:
    """What the loaded data say about ``country`` (alpha-3): parameter → (value, source, year). ``connectivity``:
    the connectivity figures when the caller has them already (None: not loaded)."""
    data: dict[str, tuple[float, str, int | None]] = {}
    c = _connectivity(session) if connectivity is _UNSET else connectivity
    if c is not None:
        rows = c.offline.countries.filter(pl.col("area") == country).sort("year")
        observed = rows.filter(pl.col("method") == "observed")
        if rows.height:
            # The latest observed year, as the country page's headline: never a value carried forward past it.
            row = (observed if observed.height else rows).row(-1, named=True)
            pop, use = c.edition_of("SP.POP.TOTL"), c.edition_of("IT.NET.USER.ZS")
            editions = "; ".join(dict.fromkeys(f"{_publisher(e['source'])} ({e['edition']})" for e in (pop, use) if e))
            method = "" if row["method"] == "observed" else f", {row['method'].replace('_', ' ')}"
            source = f"People online = population × Internet use{method}: {editions}"
            data["users"] = (float(row["people_online"]), source, int(row["year"]))
        price, share = c.series.get("MBB_2GB_USD"), c.series.get("MBB_2GB_GNI")
        if price is not None and share is not None:
            both = (
                price.filter(pl.col("area") == country)
                .join(share.filter(pl.col("area") == country), on=["area", "year"], suffix="_pct")
                .filter(pl.col("value_pct") > 0)
                .sort("year")
            )
            if both.height:
                r = both.row(-1, named=True)
                e = c.edition_of("MBB_2GB_GNI")
                edition = f"{_publisher(e['source'])} ({e['edition']})" if e else "ITU, ICT Price Baskets"
                source = f"Mobile data basket in USD ÷ its share of monthly GNI per capita: {edition}"
                data["gni_per_capita_month"] = (float(r["value"]) / (float(r["value_pct"]) / 100), source, r["year"])
    return data


def _publisher(name: str) -> str:
    """A connectivity source as its publisher names it (its ``LABEL``), the stored name if none."""
    try:
        return indicators.source(name).label()
    except KeyError:
        return name


def _best_evidence(session: Session, country: str) -> dict[str, Any] | None:
    """IHR's evidence for the country's IXPs: the platform that saw most of their members (RIPE Atlas on a tie)."""
    found = [e for e in domestic_exchange_evidence(session, country) if e["members"]]
    if not found:
        return None
    return max(found, key=lambda e: (e["members_seen"], e["measurement"] == "atlas"))


def local_exchange(session: Session, country: str) -> dict[str, Any]:
    """The estimated share of ``country``'s domestic traffic exchanged in the country, with its range, method
    and every input with its source and date (:func:`observatory.costmodel.model.estimate_local_exchange`)."""
    network = country_indicators(session, country)
    inputs: list[dict[str, Any]] = []
    member_share = None
    for code in ("eyeball_share_at_domestic_ixp",):
        v = network.get(code)
        if v is not None and v.value is not None:
            member_share = float(v.value)
            inputs.append({"name": "member_user_share", "value": member_share, "code": code,
                           "source": source_label(v.source), "date": v.snapshot_date.isoformat()})  # fmt: skip
    ixps = network.get("ixp_count")
    ixp_count = float(ixps.value) if ixps is not None and ixps.value is not None else None
    if ixps is not None and ixp_count is not None:
        inputs.append({"name": "ixp_count", "value": ixp_count, "code": "ixp_count",
                       "source": source_label(ixps.source), "date": ixps.snapshot_date.isoformat()})  # fmt: skip
    evidence = _best_evidence(session, country)
    seen = dependency = None
    if evidence is not None:
        seen, dependency = evidence["seen_share"], evidence["domestic_dependency_share"]
        source = f"Internet Health Report, IXP dependency ({evidence['platform']})"
        inputs.append({"name": "seen_share", "value": seen, "code": "", "source": source, "date": evidence["date"],
                       "members": evidence["members"], "members_seen": evidence["members_seen"]})  # fmt: skip
        inputs.append({"name": "domestic_dependency_share", "value": dependency, "code": "", "source": source,
                       "date": evidence["date"], "dependencies": evidence["dependencies"],
                       "domestic_dependencies": evidence["domestic_dependencies"]})  # fmt: skip
    estimate = cost.estimate_local_exchange(member_share, seen, dependency, ixp_count)
    counts = dict.fromkeys(("members", "members_seen", "dependencies", "domestic_dependencies"))
    return {**estimate.as_json(), "inputs": [{**counts, **i} for i in inputs]}


def _estimate_source(estimate: Mapping[str, Any]) -> tuple[str, int | None]:
    """The estimate as an assumption's source text (English, as sources are) and its year."""
    parts = list(dict.fromkeys(f"{i['source']}, {i['date']}" for i in estimate["inputs"]))  # each source once
    method = {
        "membership_and_ihr": "Estimate: (users in networks at a domestic IXP)² × share of the IXP members seen "
        "exchanging traffic there",
        "membership_only": "Estimate: (users in networks at a domestic IXP)² × a typical share of members seen "
        "exchanging traffic (IHR has not measured this country's IXPs)",
        "no_ixp": "No IXP in the country",
    }[estimate["method"]]
    dates = [int(i["date"][:4]) for i in estimate["inputs"] if i.get("date")]
    return f"{method} ({'; '.join(parts)})", max(dates) if dates else None


def _connectivity(session: Session) -> indicators.Connectivity | None:
    try:
        return indicators.connectivity(session)
    except indicators.NoData:
        return None


def compute(
    session: Session,
    code: str,
    overrides: Mapping[str, float] | None = None,
    scenarios: Iterable[str] | None = None,
    connectivity: indicators.Connectivity | None = _UNSET,
) -> dict[str, Any]:
    """The model for a country: its assumptions (value, unit, origin, source), the scenarios side by side, the
    sensitivity table and which data-given inputs fell back to a default. Raises :class:`CostModelError` on an
    unknown country, parameter or scenario, or a value out of range."""
    country = country_of(code)
    overrides = {name: cost.check(name, v) for name, v in (overrides or {}).items()}
    lldc = reference.in_group("LLDC", country.alpha3, dt.date.today())
    data = country_data(session, country.alpha3, connectivity)
    estimate = local_exchange(session, country.alpha3)
    ranges: dict[str, tuple[float, float]] = {}
    if estimate["value"] is not None:
        source, year = _estimate_source(estimate)
        data["local_exchange_share"] = (estimate["value"], source, year)
        ranges["local_exchange_share"] = (estimate["low"], estimate["high"])
    table = cost.assumptions(country.itu_region, lldc, data, overrides, ranges)
    values = {name: a.value for name, a in table.items()}
    results = cost.run(values, scenarios)
    return {
        "country": country.alpha3,
        "itu_region": country.itu_region,
        "groups": [g for g in reference.COUNTRY_GROUPS if reference.in_group(g, country.alpha3, dt.date.today())],
        "assumptions": {name: a.as_json() for name, a in table.items()},
        "defaults_used_for_missing_data": [n for n in FROM_DATA if table[n].origin in ("default", "missing")],
        "local_exchange_estimate": estimate,
        "scenarios": [r.as_json() for r in results],
        "scenario_notes": cost.scenario_notes(values, results),
        "sensitivity": cost.sensitivity(values, table),
        "not_varied": cost.not_varied(table),
    }


def to_csv(answer: Mapping[str, Any]) -> str:
    """The answer as one CSV table: the assumptions (kind ``assumption``), then every scenario's results (kind
    ``result``), so a spreadsheet keeps the results with what they rest on."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(CSV_COLUMNS)
    for name, a in answer["assumptions"].items():
        writer.writerow(
            ["assumption", "", name, _cell(a["value"]), a["unit"], a["origin"], a["source"], a["year"] or ""]
        )
    for s in answer["scenarios"]:
        for key, value in s.items():
            if key != "scenario":
                writer.writerow(["result", s["scenario"], key, _cell(value), UNITS.get(key, ""), "", "", ""])
    return out.getvalue()


def _cell(value: float | None) -> str:
    return "" if value is None else repr(float(value))


UNITS = {
    "local_exchange_share": "share of domestic traffic",
    "transit_price": "USD per Mbit/s per month",
    "backhaul_price": "USD per Mbit/s per month per 100 km",
    "international_traffic_mbps": "Mbit/s",
    "capacity_mbps": "Mbit/s",
    "transit_cost_usd": "USD per year",
    "backhaul_cost_usd": "USD per year",
    "ixp_cost_usd": "USD per year",
    "total_cost_usd": "USD per year",
    "cost_per_user_month_usd": "USD per user per month",
    "cost_per_user_pct_gni": "% of monthly GNI per capita",
    "gross_saving_usd": "USD per year",
    "saving_usd": "USD per year",
    "saving_share": "share of the baseline",
}


# Query parameters that are not assumptions of the model.
QUERY_CONTROLS = frozenset({"country", "scenario", "format", "lang"})


def answer_query(session: Session, query: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The model's answer for a query string's (name, value) pairs: ``country``, ``scenario`` (repeatable),
    and any parameter of the model; an unknown name or a bad value is a :class:`CostModelError`."""
    items = list(query)
    unknown = [k for k, _ in items if k not in QUERY_CONTROLS and k not in cost.PARAMETERS]
    if unknown:
        raise cost.CostModelError(f"unknown parameter {unknown[0]!r}; known: {', '.join(cost.PARAMETERS)}")
    country = next((v for k, v in items if k == "country"), "")
    if not country:
        raise cost.CostModelError("country is required (ISO 3166-1 alpha-2 or alpha-3)")
    overrides = cost.parse_overrides((k, v) for k, v in items if k in cost.PARAMETERS)
    scenarios = [v for k, v in items if k == "scenario"]
    return compute(session, country, overrides, scenarios or None)


GROUP_KINDS = ("un_group", "itu_region")  # the groups the cost model summarises (their members are known)


def _median(values: list[float]) -> float | None:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def group_summary(session: Session, code: str, on: dt.date | None = None) -> dict[str, Any]:
    """The cost model's findings for a group (LDC, LLDC, SIDS or an ITU region): each member's baseline and
    local-exchange scenario with its own data and the defaults, and the medians over the members whose Internet
    users come from the loaded data (``covered``); members on ``on`` (default today). A :class:`CostModelError`
    for an area that is not such a group."""
    try:
        area = resolve_area(code)
    except UnknownArea:
        raise CostModelError(f"unknown group code {code!r} (LDC, LLDC, SIDS or an ITU region)") from None
    if area.kind not in GROUP_KINDS:
        raise CostModelError(f"{area.code} is not a group: the summary is computed for LDC, LLDC, SIDS, ITU regions")
    day = on or dt.date.today()
    members = area.members(day)
    rows: list[dict[str, Any]] = []
    c = _connectivity(session)  # once for every member
    for country in members:
        if country not in reference.countries():
            continue
        answer = compute(session, country, scenarios=["local_exchange"], connectivity=c)
        results = {s["scenario"]: s for s in answer["scenarios"]}
        baseline, local = results["baseline"], results["local_exchange"]
        rows.append(
            {
                "country": country,
                "covered": answer["assumptions"]["users"]["origin"] == "data",
                "estimated": answer["local_exchange_estimate"]["value"] is not None,
                "local_exchange_share": baseline["local_exchange_share"],
                "cost_per_user_month_usd": baseline["cost_per_user_month_usd"],
                "saving_usd": local["saving_usd"],
                "saving_share": local["saving_share"],
            }
        )
    covered = [r for r in rows if r["covered"]]

    def median(key: str) -> float | None:
        return _median([float(r[key]) for r in covered if r[key] is not None])

    return {
        "group": area.code,
        "on": day.isoformat(),
        "members": len(members),
        "countries": len(covered),
        "estimated": sum(1 for r in covered if r["estimated"]),
        "median_local_exchange_share": median("local_exchange_share"),
        "median_cost_per_user_month_usd": median("cost_per_user_month_usd"),
        "median_saving_share": median("saving_share"),
        "median_saving_usd": median("saving_usd"),
        "rows": rows,
    }
