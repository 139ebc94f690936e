"""Public pages to explore the registry: the pledge explorer, one pledge, countries, groups and organisations.

Every page has its JSON twin (``?format=json``); the explorer also downloads its selection as CSV
(``?format=csv``). Filters use the API's parameter names, so an explorer URL and an API URL select alike.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from markupsafe import Markup

from observatory import reference
from observatory.audit import AuditEntry
from observatory.auth import ANONYMOUS, Action, Role
from observatory.errors import Invalid
from observatory.i18n import N_
from observatory.pledges import reports
from observatory.pledges.breakdowns import area_figures, attributed_values, reporting_record, summary
from observatory.pledges.csvio import csv_text
from observatory.pledges.index import HEALTH
from observatory.pledges.models import PLEDGE_TYPES, STAKEHOLDER_TYPES, STATUSES
from observatory.pledges.query import PledgeFilter, iter_pledges, list_pledges
from observatory.pledges.reports import report_dict
from observatory.pledges.schemas import MAX_ID, Id
from observatory.pledges.service import (
    get_organisation,
    history,
    organisation_dict,
    organisation_names,
    organisation_pledges,
    partner_pledges,
    public_pledge,
    visible_pledge,
)
from observatory.practices import pages as practices_pages
from observatory.web.deps import WebDep
from observatory.web.labels import health_names, label
from observatory.web.render import Web

if TYPE_CHECKING:
    from observatory.web.charts import ChartNote

router = APIRouter(include_in_schema=False)

SORTS = ("announced_on", "value_usd", "reference", "title")
PER_PAGE = (25, 50, 100)
MAX_PAGE = 1_000_000
LIST_DIMENSIONS = (
    "focus_area", "pillar", "country", "region", "country_group", "stakeholder_type", "pledge_type", "status", "health",
)  # fmt: skip
FIRST = 20  # pledges listed on a country, group or organisation page; the explorer has them all
ORGANISATION_LIST = 50


# ---------------------------------------------------------------- shared helpers


def sort_key(text: str) -> str:
    """A name as sorted in lists: accents and case ignored."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _day(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _amount(web: Web, value: float | None, currency: str | None) -> str:
    if value is None:
        return "–"
    return f"{currency or ''} {web.fmt.number(value, 0 if float(value).is_integer() else 2)}".strip()


def row(web: Web, d: dict[str, Any], max_countries: int = 5) -> dict[str, Any]:
    """A pledge (as ``public_pledge``) as a line of a pledge table."""
    countries = [(c, label(web, "country", c)) for c in d["target_countries"]]
    more = len(countries) - max_countries
    return {
        "reference": d["reference"],
        "title": d["title"],
        "language": d["language"],
        "pledger_id": d["pledger"]["id"],
        "pledger": d["pledger"]["name"],
        "focus_areas": [(k, label(web, "focus_area", k)) for k in d["focus_areas"]],
        "countries": countries[:max_countries],
        "more_countries": web.gettext("and %(n)s more") % {"n": web.fmt.number(more)} if more > 0 else "",
        "usd": web.fmt.usd(d["value_usd"]) if d["value_usd"] is not None else None,
        "attributed": (
            web.fmt.usd(d["value_usd_attributed"])
            if d.get("value_usd_attributed") is not None and d["value_usd_attributed"] != d["value_usd"]
            else None
        ),
        "original": _amount(web, d["value"], d["currency"]) if d["value"] is not None else None,
        "announced": web.fmt.date(_day(d["announced_on"])),
        "status": label(web, "status", d["status"]),
        "health": d["reporting_health"],
        "health_label": health_names(web)[d["reporting_health"]],
        "synthetic": d["synthetic"],
        "review_state": d["review_state"],
        "review_state_label": label(web, "review_state", d["review_state"]),
    }


def chart_rows(
    web: Web, by: str, groups: Sequence[dict[str, Any]], href: Callable[[str], str] | None
) -> list[dict[str, Any]]:
    """Summary groups with their label and link, for a chart's table alternative."""
    return [
        {**g, "name": label(web, by, g["key"]), "href": href(g["key"]) if href else None}
        for g in groups
        if g["key"] != "unspecified" or by != "year"
    ]


def pledge_note(web: Web, unit: str) -> ChartNote:
    """The unit and source lines of a chart of pledges, in the reader's language (``unit``: an English msgid)."""
    return {
        "unit": web.gettext("Unit: %(unit)s") % {"unit": web.gettext(unit)},
        "source": web.gettext("Source: %(source)s")
        % {"source": web.gettext("Partner2Connect registry, published pledges")},
    }


def bar(web: Web, rows: list[dict[str, Any]], title: str, value_key: str = "value_usd_attributed") -> Markup | None:
    """A bar chart of USD pledged per group (none when nothing has a USD value); ``value_key`` names the
    figure drawn (the full value, or the value attributed to the page's subset)."""
    if not any(r[value_key] for r in rows):
        return None
    from observatory.web import charts

    return charts.bar_chart(
        [(r["name"], r[value_key]) for r in rows],
        title=title,
        value_format=web.fmt.usd,
        href=lambda i: rows[i]["href"],
        **pledge_note(web, N_("US dollars")),
    )


def over_time(
    web: Web, years: list[dict[str, Any]], value_key: str = "value_usd_attributed"
) -> dict[str, Markup] | None:
    """Pledges and USD pledged per announcement year, as two column charts with every year of the range (a
    year without pledges is a zero column); none when no pledge has a year. ``value_key`` names the USD figure
    drawn (the full value, or the value attributed to the page's subset)."""
    dated = [g for g in years if g["key"] != "unspecified"]
    if not dated:
        return None
    from observatory.web import charts

    def count(y: float) -> str:
        return web.fmt.number(y)

    def link(year: int) -> str | None:
        return next((g["href"] for g in dated if int(g["key"]) == year and g.get("href")), None)

    pledges = {int(g["key"]): float(g["pledges"]) for g in dated}
    value = {int(g["key"]): float(g[value_key]) for g in dated}
    return {
        "pledges": charts.year_bars(
            pledges, title=web.gettext("Pledges per year"), value_format=count, href=link,
            **pledge_note(web, N_("pledges announced in the year")),
        ),
        "value": charts.year_bars(
            value, title=web.gettext("USD pledged per year"), value_format=web.fmt.usd, href=link,
            **pledge_note(web, N_("US dollars pledged in the year of announcement")),
        ),
    }  # fmt: skip


def _first_pledges(web: Web, f: PledgeFilter) -> tuple[list[dict[str, Any]], int]:
    page = list_pledges(web.session, f, "-announced_on", 1, FIRST)
    return [public_pledge(p) for p in page.items], page.total


def area_pledges(web: Web, f: PledgeFilter, explorer: str) -> dict[str, Any]:
    """The pledges section of a country or group page: the pledges touching it, their totals, the breakdowns
    of the value attributed to it by focus area and year, and the first few."""
    items, total = _first_pledges(web, f)
    return {
        **area_figures(web.session, f),
        "pledges": items,
        "all_pledges": explorer,
        "more_pledges": total > len(items),
    }


def area_pledges_context(web: Web, data: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    """What the template of a country or group page needs to show its pledges section (``area_pledges``): table rows,
    charts and their table alternatives; ``params`` keep the area in the explorer links."""
    focus = chart_rows(web, "focus_area", data["by_focus_area"], lambda k: web.url("/pledges", focus_area=k, **params))
    years = chart_rows(web, "year", data["by_year"], lambda k: web.url("/pledges", year=k, **params))
    return {
        "rows": [row(web, d) for d in data["pledges"]],
        "focus_rows": focus,
        "focus_chart": bar(web, focus, web.gettext("USD pledged by focus area")),
        "year_rows": years,
        "year_charts": over_time(web, years),
        "undated": next((g["pledges"] for g in data["by_year"] if g["key"] == "unspecified"), 0),
    }


# ---------------------------------------------------------------- the explorer


def _values(web: Web, name: str) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in web.request.query_params.getlist(name) if v.strip()))


def _numbers(web: Web, name: str) -> list[int]:
    out = []
    for v in _values(web, name):
        if not v.isdigit() or int(v) > MAX_ID:
            raise Invalid(f"{name} must be a whole number (at most {MAX_ID}), not {v!r}")
        out.append(int(v))
    return out


def request_filter(web: Web) -> PledgeFilter:
    """The selection the URL describes (published pledges only), with the API's parameter names."""
    return PledgeFilter(
        q=web.request.query_params.get("q", "").strip(),
        focus_area=_values(web, "focus_area"),
        pillar=_values(web, "pillar"),
        country=list(dict.fromkeys(reference.country_code(c) or c.lower() for c in _values(web, "country"))),
        region=[r.lower() for r in _values(web, "region")],
        country_group=[g.upper() for g in _values(web, "country_group")],
        stakeholder_type=_values(web, "stakeholder_type"),
        pledge_type=_values(web, "pledge_type"),
        status=_values(web, "status"),
        year=_numbers(web, "year"),
        organisation=_numbers(web, "organisation"),
        health=_values(web, "health"),
    )


def _paging(web: Web) -> tuple[str, int, int]:
    params = web.request.query_params
    sort = params.get("sort") or "-announced_on"
    if sort.lstrip("-") not in SORTS:
        raise Invalid(f"unknown sort {sort!r} (one of {', '.join(SORTS)}, with - for descending)")
    page, per_page = params.get("page") or "1", params.get("per_page") or str(PER_PAGE[0])
    if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
        raise Invalid(f"page must be a whole number from 1, not {page!r}")
    if per_page not in {str(n) for n in PER_PAGE}:
        raise Invalid(f"per_page must be one of {', '.join(str(n) for n in PER_PAGE)}")
    return sort, int(page), int(per_page)


def filter_options(web: Web, f: PledgeFilter) -> dict[str, list[tuple[str, str, str]]]:
    """Each filter's choices as (value, label, group label) in the reader's language."""
    focus = reference.focus_areas()
    countries = sorted(((c, label(web, "country", c)) for c in reference.countries()), key=lambda x: sort_key(x[1]))
    years = [g["key"] for g in summary(web.session, "year")["groups"] if g["key"] != "unspecified"]
    years = sorted({*years, *(str(y) for y in f.year)}, reverse=True)
    health = health_names(web)
    return {
        "focus_area": [(k, label(web, "focus_area", k), "") for k in focus],
        "pillar": [
            (p.code, label(web, "pillar", p.code), label(web, "focus_area", p.focus_area))
            for p in reference.pillars().values()
        ],
        "country": [("global", web.gettext("Global (no target country)"), ""), *((c, n, "") for c, n in countries)],
        "region": [(k, label(web, "region", k), "") for k in reference.ITU_REGIONS],
        "country_group": [(k, label(web, "country_group", k), "") for k in reference.COUNTRY_GROUPS],
        "stakeholder_type": [(k, label(web, "stakeholder_type", k), "") for k in STAKEHOLDER_TYPES],
        "pledge_type": [(k, label(web, "pledge_type", k), "") for k in PLEDGE_TYPES],
        "status": [(k, label(web, "status", k), "") for k in STATUSES],
        "year": [(y, y, "") for y in years],
        "health": [(k, health[k], "") for k in HEALTH],
    }


def filter_controls(web: Web, f: PledgeFilter) -> list[dict[str, Any]]:
    """The explorer's filters, each with its choices grouped as shown and what is chosen (values the URL names but no
    choice has are kept, so the URL round-trips)."""
    names = {
        "focus_area": web.gettext("Focus area"),
        "pillar": web.gettext("Pillar"),
        "country": web.gettext("Target country"),
        "region": web.gettext("ITU region"),
        "country_group": web.gettext("Country group"),
        "stakeholder_type": web.gettext("Type of pledger"),
        "pledge_type": web.gettext("Type of pledge"),
        "status": web.gettext("Status"),
        "year": web.gettext("Year announced"),
        "health": web.gettext("Reporting health"),
    }
    options = filter_options(web, f)
    controls = []
    for name, title in names.items():
        chosen = [str(v) for v in getattr(f, name)]
        groups: dict[str, list[tuple[str, str]]] = {}
        for value, text, group in options[name]:
            groups.setdefault(group, []).append((value, text))
        known = {v for v, _, _ in options[name]}
        groups.setdefault("", []).extend((v, v) for v in chosen if v not in known)  # kept, so the URL round-trips
        controls.append({"name": name, "label": title, "groups": groups, "chosen": chosen})
    return controls


def _applied(f: PledgeFilter) -> dict[str, Any]:
    return {k: v for k, v in asdict(f).items() if k != "review_state" and v not in ("", [], None)}


@router.get("/pledges")
def pledges(web: WebDep) -> Response:
    """The pledge explorer: the published pledges the URL selects, a page at a time, or all of them as CSV."""
    f = request_filter(web)
    sort, page, per_page = _paging(web)
    if web.request.query_params.get("format") == "csv":
        response = Response(
            csv_text(iter_pledges(web.session, f, sort), attributed_values(web.session, f)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="pledges.csv"'},
        )
        web.set_cookies(response)
        return response
    result = list_pledges(web.session, f, sort, page, per_page)
    pages = max(1, math.ceil(result.total / per_page))
    attributed = attributed_values(web.session, f, [p.id for p in result.items])
    data = {
        "items": [{**public_pledge(p), "value_usd_attributed": attributed.get(p.id)} for p in result.items],
        "total": result.total,
        "page": page,
        "per_page": per_page,
        "pages": pages,
        "sort": sort,
        "filter": _applied(f),
        "totals": summary(web.session, "focus_area", replace(f))["total"],
    }
    organisations = list(organisation_names(web.session, f.organisation).items())
    sorts = [
        ("-announced_on", web.gettext("Newest first")),
        ("announced_on", web.gettext("Oldest first")),
        ("-value_usd", web.gettext("Largest USD value first")),
        ("value_usd", web.gettext("Smallest USD value first")),
        ("reference", web.gettext("Reference")),
        ("-reference", web.gettext("Reference, descending")),
        ("title", web.gettext("Title, A to Z")),
        ("-title", web.gettext("Title, Z to A")),
    ]
    first = (page - 1) * per_page + 1
    shown = (
        web.gettext("%(first)s to %(last)s of %(total)s")
        % {
            "first": web.fmt.number(first),
            "last": web.fmt.number(first + len(result.items) - 1),
            "total": web.fmt.number(result.total),
        }
        if result.items
        else ""
    )
    return web.render(
        "pledges/explorer.html",
        data,
        rows=[row(web, d) for d in data["items"]],
        q=f.q,
        controls=filter_controls(web, f),
        organisations=organisations,
        sorts=sorts,
        per_pages=PER_PAGE,
        shown=shown,
        page_of=web.gettext("Page %(page)s of %(pages)s")
        % {"page": web.fmt.number(page), "pages": web.fmt.number(pages)},
        filtered=bool(_applied(f)),
    )


# ---------------------------------------------------------------- one pledge


FIELD_NAMES = {
    "reference": N_("Reference"), "pledger": N_("Pledger"), "partners": N_("Partners"), "title": N_("Title"),
    "description": N_("Description"), "pledge_type": N_("Type of pledge"), "focus_areas": N_("Focus areas"),
    "pillars": N_("Pillars"), "target_countries": N_("Target countries"), "value": N_("Value"),
    "currency": N_("Currency"), "value_usd": N_("USD value"), "usd_rate": N_("Exchange rate"),
    "usd_rate_date": N_("Exchange rate date"), "usd_origin": N_("Origin of the USD value"),
    "start_year": N_("Start year"), "end_year": N_("End year"), "announced_on": N_("Announced on"),
    "event": N_("Event"), "status": N_("Status"), "sdgs": N_("SDGs"), "beneficiary_groups": N_("Beneficiary groups"),
    "source_url": N_("Source"), "review_state": N_("Review state"), "review_note": N_("Review note"),
    "synthetic": N_("Synthetic"), "year": N_("Year"), "percent_complete": N_("Complete"),
    "usd_disbursed": N_("USD disbursed"), "people_reached": N_("People reached"), "narrative": N_("Narrative"),
    "filed_on": N_("Filed on"),
}  # fmt: skip


# Fields holding codes, shown by name: field → the dimension ``label()`` knows them by.
CODED = {
    "status": "status", "pledge_type": "pledge_type", "review_state": "review_state", "usd_origin": "usd_origin",
    "focus_areas": "focus_area", "pillars": "pillar", "target_countries": "country",
}  # fmt: skip


def _shown(web: Web, value: Any, field: str = "") -> str:
    if value is None or value == "" or value == []:
        return "–"
    if field in CODED:
        by = CODED[field]
        return ", ".join(label(web, by, str(v)) for v in (value if isinstance(value, list) else [value]))
    if isinstance(value, bool):
        return web.gettext("yes") if value else web.gettext("no")
    if isinstance(value, dict):
        return str(value.get("name", value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, int | float):
        return web.fmt.number(value, 0 if float(value).is_integer() else 4)
    text = str(value)
    return text if len(text) <= 160 else text[:159] + "…"


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The fields whose values differ between two records of an audit entry (none for a creation)."""
    if before is None or after is None:
        return []
    keys = dict.fromkeys([*before, *after])
    return [k for k in keys if k != "version" and before.get(k) != after.get(k)]


def _history_entry(e: AuditEntry, show_actor: bool) -> dict[str, Any]:
    """One audit entry; who made it is shown to the pledger's people and the secretariat, not the public."""
    return {
        "at": e.at.isoformat(),
        "actor": e.actor if show_actor else None,
        "action": e.action,
        "entity": e.entity,
        "key": e.entity_key,
        "changed": changed_fields(e.before, e.after),
        "before": e.before,
        "after": e.after,
    }


def _history_view(web: Web, h: dict[str, Any]) -> dict[str, Any]:
    actions = {
        "create": web.gettext("Registered"),
        "import": web.gettext("Imported"),
        "update": web.gettext("Changed"),
        "report": web.gettext("Progress report filed"),
    }
    what = actions.get(h["action"], h["action"])
    if h["entity"] == "progress_report":
        year = h["key"].rsplit("/", 1)[-1]
        said = {
            "report": N_("Progress report for %(year)s filed"),
            "publish": N_("Progress report for %(year)s published"),
            "return": N_("Progress report for %(year)s returned for correction"),
        }
        what = web.gettext(said.get(h["action"], N_("Progress report for %(year)s corrected"))) % {"year": year}
    elif h["entity"] in ("deliverable", "reminder"):
        title = (h["after"] or h["before"] or {}).get("title", "")
        said = {
            "create": N_("Deliverable added: %(title)s"),
            "update": N_("Deliverable changed: %(title)s"),
            "delete": N_("Deliverable removed: %(title)s"),
            "remind": N_("Reminder sent"),
        }
        what = web.gettext(said.get(h["action"], h["action"])) % {"title": title}
    before, after = h["before"] or {}, h["after"] or {}
    return {
        "when": web.fmt.date(dt.datetime.fromisoformat(h["at"]).date()),
        "who": h["actor"],
        "what": what,
        "changes": [
            {
                "field": web.gettext(FIELD_NAMES[k]) if k in FIELD_NAMES else k,
                "before": _shown(web, before.get(k), k),
                "after": _shown(web, after.get(k), k),
            }
            for k in h["changed"]
        ],
    }


def _usd_origin(web: Web, d: dict[str, Any]) -> str:
    if d["value_usd"] is None:
        if d["value"] is None:
            return ""
        return web.gettext("no USD value: no exchange rate for its year")
    if d["usd_origin"] == "stated":
        return web.gettext("stated by the pledger")
    if d["usd_origin"] == "converted" and d["usd_rate"] is not None:
        rate = f"1 {d['currency']} = {web.fmt.number(d['usd_rate'], 4)} USD"
        year = _day(d["usd_rate_date"])
        return web.gettext("converted at %(rate)s (%(year)s average)") % {
            "rate": rate,
            "year": year.year if year else "–",
        }
    return ""


def _health_explanation(web: Web, health: str, reports: list[dict[str, Any]]) -> str:
    last = max((r["filed_on"] for r in reports), default=None)
    when = web.fmt.date(_day(last))
    if health == "green":
        return web.gettext("A progress report was filed in the last 12 months (last on %(date)s).") % {"date": when}
    if health == "amber":
        return web.gettext("The last progress report was filed 12 to 24 months ago (on %(date)s).") % {"date": when}
    if health == "red" and last:
        return web.gettext("The last progress report is more than 24 months old (filed on %(date)s).") % {"date": when}
    if health == "red":
        return web.gettext("No progress report has been filed, and the pledge is more than a year old.")
    return web.gettext("No progress report yet: the first is due a year after the pledge was announced.")


@router.get("/pledges/{ref}")
def pledge_page(ref: str, web: WebDep) -> Response:
    """One pledge: its record, progress reports and history of changes (who made them for those who may read its
    unpublished versions)."""
    pledge = visible_pledge(web.session, ref, web.principal)
    insider = web.can(Action.READ_UNPUBLISHED, pledge.pledger_id)
    entries = history(web.session, pledge.reference)
    detail = reports.pledge_detail(pledge, ANONYMOUS)  # the public page: published reports only
    data = {
        **public_pledge(pledge),
        **detail,
        "history": [
            _history_entry(e, show_actor=insider) for e in (entries if insider else reports.public_history(entries))
        ],
    }
    fmt = web.fmt
    d = data
    timeline = [
        {
            **r,
            "status_label": label(web, "status", r["status"]),
            "percent": fmt.percent(r["percent_complete"] / 100) if r["percent_complete"] is not None else "–",
            "committed": fmt.usd(r["usd_committed"]),
            "disbursed": fmt.usd(r["usd_disbursed"]),
            "people": fmt.number(r["people_reached"]),
            "filed": fmt.date(_day(r["filed_on"])),
            "completed": fmt.date(_day(r["completed_on"])) if r["completed_on"] else "",
            "deliverable_updates": [
                {**u, "status_label": deliverable_labels(web)[u["status"]]} for u in r["deliverables"]
            ],
        }
        for r in reversed(detail["reports"])
    ]
    frame = "–"
    if d["start_year"] or d["end_year"]:
        frame = f"{d['start_year'] or '…'}–{d['end_year'] or '…'}"
    return web.render(
        "pledges/pledge.html",
        data,
        pledge=d,
        r=row(web, d, max_countries=1000),
        partner_links=sorted(
            ((pp.organisation.id, pp.organisation.name) for pp in pledge.partners), key=lambda x: x[1]
        ),
        pillar_names=[(k, label(web, "pillar", k)) for k in d["pillars"]],
        beneficiaries=[label(web, "beneficiary", b) for b in d["beneficiary_groups"]],
        value_text=_amount(web, d["value"], d["currency"]) if d["value"] is not None else None,
        usd_text=_amount(web, d["value_usd"], "USD") if d["value_usd"] is not None else None,
        usd_origin_text=_usd_origin(web, d),
        time_frame=frame,
        announced=fmt.date(_day(d["announced_on"])),
        pledge_type_name=label(web, "pledge_type", d["pledge_type"]) if d["pledge_type"] else "–",
        timeline=timeline,
        health_explanation=_health_explanation(web, d["reporting_health"], [report_dict(r) for r in pledge.reports]),
        figures_shown=progress_view(web, detail["progress"]),
        deliverable_rows=[
            {**x, "status_label": deliverable_labels(web)[x["status"]], "due": fmt.date(_day(x["due_on"]))}
            for x in detail["deliverables"]
        ],
        has_pending_report=insider and any(r.review_state != "published" for r in pledge.reports),
        changes=[_history_view(web, h) for h in reversed(data["history"])],
        practices=practices_pages.pledge_section(web, pledge.reference),
    )


def deliverable_labels(web: Web) -> dict[str, str]:
    """The statuses of a deliverable, in the reader's language."""
    g = web.gettext
    return {
        "planned": g("Planned"),
        "in_progress": g("In progress"),
        "completed": g("Completed"),
        "delayed": g("Delayed"),
        "cancelled": g("Cancelled"),
    }


def progress_view(web: Web, p: dict[str, Any]) -> dict[str, Any]:
    """Pledged → committed → disbursed as the pledge page writes it: the three figures, the share of the
    pledged USD value disbursed (or why there is none), and the table per year."""
    fmt = web.fmt
    share = p["disbursed_share"]
    return {
        "pledged": fmt.usd(p["value_usd"]) if p["value_usd"] is not None else web.gettext("no USD value"),
        "committed": fmt.usd(p["usd_committed"]),
        "disbursed": fmt.usd(p["usd_disbursed"]),
        "share": fmt.percent(share) if share is not None else None,
        "years": [
            {
                "year": y["year"],
                "committed": fmt.usd(y["usd_committed"]),
                "disbursed": fmt.usd(y["usd_disbursed"]),
                "cumulative_committed": fmt.usd(y["cumulative_committed"]),
                "cumulative_disbursed": fmt.usd(y["cumulative_disbursed"]),
                "people": fmt.number(y["people_reached"]),
            }
            for y in p["years"]
        ],
    }


# ---------------------------------------------------------------- organisations


def _unpublished_readable(web: Web) -> Collection[int] | None:
    """Whose unpublished pledges the reader may see (``observatory.auth`` decides): nobody's, a pledger's own
    organisations', or (``None``) everyone's."""
    if not web.can(Action.READ_UNPUBLISHED):
        return ()
    return web.principal.organisations if web.principal.role == Role.PLEDGER else None


@router.get("/organisations/{organisation_id}")
def organisation_page(organisation_id: Annotated[Id, Path()], web: WebDep) -> Response:
    """An organisation: its pledges as pledger and as partner, and its reporting record."""
    org = get_organisation(web.session, organisation_id)
    own_unpublished = web.can(Action.READ_UNPUBLISHED, org.id)
    pledged, n_pledger = organisation_pledges(web.session, org.id, own_unpublished, ORGANISATION_LIST)
    partnered, n_partner = partner_pledges(web.session, org.id, _unpublished_readable(web), ORGANISATION_LIST)
    as_pledger = [public_pledge(p) for p in pledged]
    as_partner = [public_pledge(p) for p in partnered]
    record = reporting_record(web.session, org.id)
    data = {
        "totals": summary(web.session, "year", PledgeFilter(pledger=[org.id]))["total"],
        "organisation": {
            **organisation_dict(org),
            "country_name": label(web, "country", org.country) if org.country else None,
        },
        "pledges_as_pledger": n_pledger,
        "pledges_as_partner": n_partner,
        "as_pledger": as_pledger,
        "as_partner": as_partner,
        "reporting_record": record,
    }
    names = health_names(web)
    return web.render(
        "pledges/organisation.html",
        data,
        org=data["organisation"],
        stakeholder_type=label(web, "stakeholder_type", org.stakeholder_type),
        itu_membership=label(web, "itu_membership", org.itu_membership),
        pledger_rows=[row(web, d) for d in as_pledger],
        partner_rows=[row(web, d) for d in as_partner],
        show_review=own_unpublished or web.can(Action.READ_UNPUBLISHED),
        record_rows=[(h, names[h], record[h]) for h in HEALTH],
        listed_max=ORGANISATION_LIST,
        explorer=web.url("/pledges", organisation=org.id),
    )
