"""The content of the Secretary-General's annual report to Council on IP-based networks (Resolution 101 (Rev.
Bucharest, 2022)): the cover sheet, ITU's activities by Sector and the other organisations' from the registry of
activities, international Internet connectivity in developing countries from the platform's own services (so
every number equals its page and its API address), the secretariat's proposals and the annexes.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

from babel.dates import format_date
from babel.numbers import format_percent
from sqlalchemy import select
from sqlalchemy.orm import Session

import observatory
from observatory import network, reference
from observatory.activities import service as activities
from observatory.costmodel import service as costmodel
from observatory.i18n import N_, translations
from observatory.indicators import INFRASTRUCTURE
from observatory.network import service as network_service
from observatory.reports.document import (
    Bullets,
    Chart,
    Column,
    Cover,
    Edition,
    Figure,
    Missing,
    Paragraph,
    Report,
    Section,
    SourceEdition,
    Table,
    Unit,
)
from observatory.routing import service as routing
from observatory.sources import SourceLoad

log = logging.getLogger(__name__)

KIND: Literal["ip-networks"] = "ip-networks"
WORLD = "WORLD"
GROUPS = ("LDC", "LLDC", "SIDS")  # reference.COUNTRY_GROUPS, in the order of the resolution
AREAS = (WORLD, *GROUPS)
SECTORS = ("itu_t", "itu_d", "itu_r", "itu_gs")
# The indicators of section 5, by subsection, in reading order.
IXP_CODES = ("ixp_count", "ixp_active_count", "ixp_members")
IPV6_CODES = ("ipv6_holder_share", "ipv6_per_network", "ipv6_prefixes")
ADDRESS_CODES = ("ipv4_per_capita", "ipv4_addresses", "asn_count")
PEERING_CODES = ("asn_at_domestic_ixp_share", "eyeball_share_at_domestic_ixp")
UNITS: dict[str, Unit] = {
    "count": "count",
    "share": "share",
    "addresses": "count",
    "addresses_per_person": "number",
    "ratio": "number",
}
REFERENCES = (
    N_("Resolution 101 (Rev. Bucharest, 2022) of the Plenipotentiary Conference: Internet Protocol-based networks"),
    N_(
        "Resolution 102 (Rev. Bucharest, 2022): ITU's role with regard to international public policy issues "
        "pertaining to the Internet and the management of Internet resources, including domain names and addresses"
    ),
    N_(
        "Resolution 133 (Rev. Dubai, 2018): Roles of administrations of Member States in the management of "
        "internationalized (multilingual) domain names"
    ),
    N_(
        "Resolution 180 (Rev. Dubai, 2018): Promoting deployment and adoption of IPv6 to facilitate the transition "
        "from IPv4 to IPv6"
    ),
    N_("Resolution 206 (Dubai, 2018): OTT"),
)
TRANSIT_FIGURES: dict[str, tuple[str, Unit]] = {
    "foreign_transit_share": (N_("Networks' transit from foreign providers, share"), "share"),
    "foreign_transit_share_users": (N_("Users' transit from foreign providers, share"), "share"),
    "foreign_link_share": (N_("Transit links to foreign providers, share of transit links"), "share"),
    "median_foreign_upstreams": (N_("Foreign upstream providers, median member"), "number"),
}
COST_FIGURES: dict[str, tuple[str, Unit]] = {
    "median_saving_share": (
        N_("Saving of the local-exchange scenario, share of the baseline cost, median member"),
        "share",
    ),
    "median_saving_usd": (N_("Saving of the local-exchange scenario, USD a year, median member"), "usd"),
    "median_cost_per_user_month_usd": (
        N_("Cost of international connectivity per user and month, USD, median member"),
        "usd",
    ),
}


class _Text:
    """The reader's language: translated sentences, names of groups and organisations, dates and shares."""

    def __init__(self, language: str) -> None:
        self.language = language
        t = translations(language)
        self.g: Callable[[str], str] = t.gettext
        self.ng: Callable[[str, str, int], str] = t.ngettext

    def date(self, day: dt.date | str | None) -> str:
        """A date as readers write it ("1 January 2024", « 1 janvier 2024 »)."""
        if day is None:
            return self.g("no date")
        d = dt.date.fromisoformat(day) if isinstance(day, str) else day
        return format_date(d, format="long", locale=self.language)

    def share(self, value: float) -> str:
        """A share as a percentage ("94%", « 94 % »)."""
        return format_percent(value, locale=self.language)

    def area(self, code: str) -> str:
        """The name of the world or a UN group."""
        if code == WORLD:
            return self.g("World")
        names = reference.COUNTRY_GROUPS[code]
        return names[1] if self.language == "fr" else names[0]

    def indicator(self, code: str) -> str:
        """An infrastructure indicator's name."""
        return self.g(INFRASTRUCTURE[code].name)

    def missing(self, missing: list[str]) -> str:
        """What the uncovered members lack, as the network pages say it."""
        parts = []
        for code in dict.fromkeys(missing):
            registry, _, what = code.partition(":")
            name = reference.RIR_NAMES.get(registry, registry)
            template = "%(registry)s extended file not loaded" if what == "extended" else "%(registry)s data not loaded"
            parts.append(self.g(template) % {"registry": name})
        return "; ".join(parts)


# ---------------------------------------------------------------- the figures of the platform's services


class _Data:
    """The services' answers the report rests on, each asked once."""

    def __init__(self, session: Session, as_of: dt.date) -> None:
        self.session = session
        self.as_of = as_of
        self.indicators = {a: network.group_indicators(session, a, as_of) for a in AREAS}
        self.members = {a: network_service.members(session, network_service.area(a), as_of) for a in AREAS}
        inputs = routing.load_inputs(session, as_of)
        self.asrel = inputs.asrel_loads
        self.transit = {g: routing.group_transit(session, g, inputs) for g in GROUPS}
        self.cost = {g: costmodel.group_summary(session, g, as_of) for g in GROUPS}
        history = network.series(session, self.members["LDC"], ["ixp_count"], "caida_ixp")
        self.ixp_history: dict[int, float | None] = {}
        self.figures: dict[str, Figure] = {}  # each figure made once, so the text and the tables share its note
        for row in history.sort("date").to_dicts():
            if row["date"] <= as_of:
                self.ixp_history[row["date"].year] = row["value"]  # a year's last quarter


def _infra_api(area: str, as_of: dt.date) -> str:
    return f"/api/v1/areas/{area}/infrastructure?date={as_of.isoformat()}"


def _indicator_figure(t: _Text, data: _Data, area: str, code: str) -> Figure:
    """A group's value of an indicator as ``group_indicators`` gives it, or why it is not covered."""
    key = f"{code}.{area}"
    if key not in data.figures:
        data.figures[key] = _new_indicator_figure(t, data, area, code)
    return data.figures[key]


def _new_indicator_figure(t: _Text, data: _Data, area: str, code: str) -> Figure:
    entry = data.indicators[area].get(code)
    unit = UNITS.get(INFRASTRUCTURE[code].unit, "number")
    api = _infra_api(area, data.as_of)
    if entry is None:
        query = t.g("%(indicator)s, %(group)s, on or before %(date)s") % {
            "indicator": t.indicator(code),
            "group": t.area(area),
            "date": t.date(data.as_of),
        }
        missing = t.g("not covered: no data for this indicator loaded")
        return Figure(f"{code}.{area}", None, unit, query, api, missing=missing)
    query = t.g("%(indicator)s, %(group)s, on %(date)s, population coverage %(coverage)s") % {
        "indicator": t.indicator(code),
        "group": t.area(area),
        "date": t.date(entry["date"]),
        "coverage": t.share(entry["coverage"]),
    }
    missing = ""
    if entry["value"] is None:
        missing = t.g(
            "not published: the members covered hold %(coverage)s of the group's population (%(threshold)s needed)"
        ) % {
            "coverage": t.share(math.floor(entry["coverage"] * 100) / 100),  # below the threshold, never "90 %"
            "threshold": t.share(network_service.COVERAGE_THRESHOLD),
        }
        if entry["missing"]:
            missing += " — " + t.missing(entry["missing"])
    return Figure(f"{code}.{area}", entry["value"], unit, query, api, missing=missing)


def _without_ixp(t: _Text, data: _Data, area: str) -> Figure:
    """The members without an IXP in the directory: members less those with one (``countries`` of ixp_count)."""
    entry = data.indicators[area].get("ixp_count")
    api = _infra_api(area, data.as_of)
    if entry is None or entry["value"] is None:
        query = t.g("Countries without an IXP, %(group)s") % {"group": t.area(area)}
        return Figure(f"no_ixp.{area}", None, "count", query, api, missing=t.g("not covered: no IXP directory loaded"))
    query = t.g(
        "Countries without an IXP, %(group)s: members (%(members)s) less those where the IXP directory "
        "lists one, on %(date)s"
    ) % {"group": t.area(area), "members": entry["members"], "date": t.date(entry["date"])}
    return Figure(f"no_ixp.{area}", float(entry["members"] - entry["countries"]), "count", query, api)


def _transit_figure(t: _Text, data: _Data, group: str, key: str) -> Figure:
    summary = data.transit[group]["summary"]
    name, unit = TRANSIT_FIGURES[key]
    coverage = summary.get("coverage")
    snapshots = data.asrel
    when = t.date(snapshots[-1]["data_date"]) if snapshots else t.g("no date")
    query = t.g("%(figure)s, %(group)s, CAIDA AS relationships of %(date)s, networks known %(coverage)s") % {
        "figure": t.g(name),
        "group": t.area(group),
        "date": when,
        "coverage": t.share(coverage) if coverage is not None else "—",
    }
    api = f"/api/v1/areas/{group}/transit"
    value = summary.get(key)
    missing = ""
    if not snapshots:
        missing = t.g("not covered: CAIDA AS relationships not loaded")
        value = None
    elif not summary.get("published"):
        missing = t.g(
            "not published: the AS relationships loaded know %(coverage)s of the group's networks "
            "(%(threshold)s needed)"
        ) % {"coverage": t.share(coverage or 0.0), "threshold": t.share(routing.MIN_TRANSIT_COVERAGE)}
        value = None
    elif value is None:
        missing = t.g("not covered: none of the group's networks is in the AS relationships loaded")
    return Figure(f"transit.{key}.{group}", value, unit, query, api, missing=missing)


def _cost_figure(t: _Text, data: _Data, group: str, key: str) -> Figure:
    summary = data.cost[group]
    name, unit = COST_FIGURES[key]
    query = t.g("%(figure)s, %(group)s, %(countries)s of %(members)s members with their Internet users loaded") % {
        "figure": t.g(name),
        "group": t.area(group),
        "countries": summary["countries"],
        "members": summary["members"],
    }
    api = f"/api/v1/areas/{group}/cost/summary?date={data.as_of.isoformat()}"
    value = summary.get(key)
    missing = "" if value is not None else t.g("not covered: no member's Internet users are loaded")
    return Figure(f"cost.{key}.{group}", value, unit, query, api, missing=missing)


def _p(template: str, values: Mapping[str, Figure | str]) -> Paragraph:
    return Paragraph.of(template, **values)


def _group_sentence(t: _Text, group: str, template: str, values: Mapping[str, Figure | str]) -> Paragraph:
    """A group's sentence of figures; when none of them is covered, one sentence saying why instead (the figures
    stay in the tables)."""
    figures = [v for v in values.values() if isinstance(v, Figure)]
    if figures and not any(f.covered for f in figures):
        why = "; ".join(dict.fromkeys(f.missing for f in figures))
        return Paragraph(
            [t.g("%(group)s: none of these figures is covered (%(why)s).") % {"group": t.area(group), "why": why}]
        )
    return _p(template, values)


def _count(key: str, value: int, query: str, api: str) -> Figure:
    return Figure(key, float(value), "count", query, api)


# ---------------------------------------------------------------- the sections


def _cover(t: _Text, year: int, edition: Edition, summary: list[Paragraph]) -> Cover:
    council = edition.council_date
    if edition.council_symbol:
        symbol = edition.council_symbol
    else:
        yy = f"{(council.year if council else year + 1) % 100:02d}"
        symbol = t.g("C%(yy)s/xx (symbol to be assigned)") % {"yy": yy}
    if council:
        date = t.g("%(date)s (one month before the Council session of %(council)s)") % {
            "date": t.date(due_date(council)),
            "council": t.date(council),
        }
    else:
        date = t.g("To be set: one month before the Council session (no Council date configured)")
    references = [t.g(r) for r in REFERENCES] + list(edition.references)
    return Cover(symbol, date, summary, t.g("Council is invited to note the report."), references)


def due_date(council: dt.date) -> dt.date:
    """The day the report is due: one month before the Council session (the month's last day if shorter)."""
    year, month = (council.year, council.month - 1) if council.month > 1 else (council.year - 1, 12)
    for day in range(council.day, 0, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, 1)


def _introduction(t: _Text, year: int, as_of: dt.date) -> Section:
    s = Section("introduction", t.g("Introduction"))
    s.add(
        Paragraph.of(
            t.g(
                "Resolution 101 (Rev. Bucharest, 2022) instructs the Secretary-General to submit an annual report to "
                "Council summarizing all ITU activities on IP-based networks, the role and activities of the other "
                "relevant organisations and their degree of collaboration with ITU, drawn from existing sources where "
                "possible, with concrete proposals for improving ITU's activities, circulated one month before the "
                "Council session."
            )
        ),
        Paragraph.of(
            t.g(
                "This report covers the year %(year)s: the activities of ITU's Sectors and General Secretariat, those "
                "of the other organisations, international Internet connectivity in developing countries (Internet "
                "exchange points, IPv6, address space, dependence on foreign transit and the cost of international "
                "connectivity) and the secretariat's proposals."
            )
            % {"year": year}
        ),
        Paragraph.of(
            t.g(
                "Its figures are those of the registry of activities and of the platform's data as they stood on "
                "%(date)s. Each number refers to an entry of the annex of figures giving its query in words and the "
                "API address that returns it, so that every figure can be traced and rebuilt."
            )
            % {"date": t.date(as_of)}
        ),
    )
    return s


def _period(t: _Text, r: activities.ActivityRecord) -> str:
    if r.ends and r.ends != r.starts:
        return f"{r.starts}–{r.ends}"  # a span of (partial) dates, written alike in every language
    if not r.ends and r.last_year is None:
        return t.g("since %(start)s") % {"start": r.starts}
    return r.starts


def _activity_item(t: _Text, r: activities.ActivityRecord, other: bool) -> Paragraph:
    values = {
        "title": r.title,
        "period": _period(t, r),
        "topic": activities.label("topic", r.topic, t.language),
        "source": r.source_url,
    }
    if other:
        values |= {
            "organisation": activities.label("organisation", r.organisation, t.language),
            "degree": activities.label("collaboration", r.collaboration, t.language),
        }
        text = t.g("%(organisation)s — %(title)s (%(period)s). Degree of collaboration with ITU: %(degree)s.") % values
        if r.evidence:
            text += " " + t.g("Evidence: %(evidence)s.") % {"evidence": r.evidence}
    else:
        text = t.g("%(title)s (%(period)s; %(topic)s).") % values
    text += " " + t.g("Source: %(source)s") % {"source": r.source_url}
    if not r.checked:
        text += " " + t.g("(to be checked by the secretariat)")
    return Paragraph([text])


def _summary_api(year: int, as_of: dt.date) -> str:
    return f"/api/v1/activities/summary?year={year}&as_of={as_of.isoformat()}"


def _sectors(t: _Text, year: int, as_of: dt.date, records: list[activities.ActivityRecord]) -> Section:
    counts = activities.summary(records)["by_sector_kind"]
    api = _summary_api(year, as_of)
    s = Section("itu", t.g("ITU's activities by Sector"))
    s.add(
        Paragraph.of(
            t.g(
                "The activities below are those of the registry of activities whose period includes "
                "%(year)s, as it stood on %(date)s."
            )
            % {"year": year, "date": t.date(as_of)}
        )
    )
    for sector in SECTORS:
        name = activities.label("organisation", sector, t.language)
        child = Section(f"itu.{sector}", name)
        mine = [r for r in records if r.organisation == sector]
        if not mine:
            child.add(
                Missing(
                    t.g("The registry of activities holds no activity of this Sector for %(year)s as of %(date)s.")
                    % {"year": year, "date": t.date(as_of)}
                )
            )
            s.children.append(child)
            continue
        items = []
        for kind, n in counts[sector].items():
            if not n:
                continue
            label = activities.label("kind", kind, t.language)
            query = t.g(
                "Activities of %(organisation)s of the kind “%(kind)s” in %(year)s, registry as of %(date)s"
            ) % {"organisation": name, "kind": label, "year": year, "date": t.date(as_of)}
            fig = _count(f"activities.{sector}.{kind}", n, query, api)
            items.append(Paragraph.of(t.g("%(kind)s: %(count)s"), kind=label, count=fig))
        child.add(Bullets(items))
        child.add(Bullets([_activity_item(t, r, other=False) for r in mine]))
        s.children.append(child)
    return s


def _others(t: _Text, year: int, as_of: dt.date, records: list[activities.ActivityRecord]) -> Section:
    s = Section("others", t.g("The other organisations' roles and activities"))
    others = [o for o in activities.organisations() if o.group == "other"]
    roles = Section("others.roles", t.g("Roles of the organisations"))
    roles.add(
        Bullets(
            [
                Paragraph(
                    [
                        t.g("%(organisation)s: %(role)s (source: %(source)s)")
                        % {
                            "organisation": activities.label("organisation", o.code, t.language),
                            "role": o.role_in(t.language),
                            "source": o.source_url,
                        }
                    ]
                )
                for o in others
                if o.role
            ]
        )
    )
    s.children.append(roles)
    mine = [r for r in records if not r.itu]
    for topic, name in activities.choices(t.language)["topic"].items():
        child = Section(f"others.{topic}", name)
        found = [r for r in mine if r.topic == topic]
        if found:
            child.add(Bullets([_activity_item(t, r, other=True) for r in found]))
        else:
            child.add(
                Missing(
                    t.g("No activity of the other organisations on this topic in the registry for %(year)s.")
                    % {"year": year}
                )
            )
        s.children.append(child)
    degrees = [d for d in activities.choices(t.language)["collaboration"].items() if d[0] != "itu"]
    api = _summary_api(year, as_of)
    rows: list[list[Any]] = []
    for o in others:
        theirs = [r for r in mine if r.organisation == o.code]
        if not theirs:
            continue
        name = activities.label("organisation", o.code, t.language)
        row: list[Any] = [name]
        for code, label in degrees:
            n = sum(1 for r in theirs if r.collaboration == code)
            query = t.g(
                "Activities of %(organisation)s in %(year)s with the degree of collaboration “%(degree)s”, "
                "registry as of %(date)s"
            ) % {"organisation": name, "year": year, "degree": label, "date": t.date(as_of)}
            row.append(_count(f"collaboration.{o.code}.{code}", n, query, api))
        row.append(sum(1 for r in theirs if not r.checked))
        rows.append(row)
    columns = [Column("organisation", t.g("Organisation"))]
    columns += [Column(code, label, "count") for code, label in degrees]
    columns.append(Column("unchecked", t.g("To be checked by the secretariat"), "count"))
    s.add(
        Table(
            "collaboration",
            t.g("Activities by organisation and degree of collaboration with ITU, %(year)s") % {"year": year},
            columns,
            rows,
            source=t.g("Registry of activities"),
            empty=t.g("The registry of activities holds no activity of the other organisations for %(year)s.")
            % {"year": year},
        )
    )
    return s


def _connectivity(t: _Text, data: _Data) -> tuple[Section, dict[str, Figure]]:
    """Section 5, and the figures the cover's summary quotes."""
    s = Section("connectivity", t.g("International Internet connectivity in developing countries"))
    s.add(
        Paragraph.of(
            t.g(
                "The figures below are computed by the platform from public data (IXP directories, the Regional "
                "Internet Registries' delegation statistics, APNIC's user estimates, CAIDA's AS relationships) for "
                "the world and for the least developed countries (LDCs), landlocked developing countries (LLDCs) and "
                "small island developing States (SIDS). A group's figure is published when the members it covers hold "
                "at least %(threshold)s of the group's population; each states its date and coverage."
            )
            % {"threshold": t.share(network_service.COVERAGE_THRESHOLD)}
        )
    )
    key: dict[str, Figure] = {}

    ixps = Section("connectivity.ixp", t.g("Internet exchange points"))
    rows: list[list[Any]] = []
    for area in AREAS:
        count, none = _indicator_figure(t, data, area, "ixp_count"), _without_ixp(t, data, area)
        key[f"ixp.{area}"], key[f"no_ixp.{area}"] = count, none
        ixps.add(
            _p(
                t.g("%(group)s: %(count)s IXPs; %(none)s of %(members)s countries have none."),
                {"group": t.area(area), "count": count, "none": none, "members": str(len(data.members[area]))},
            )
        )
        rows.append([t.area(area), count, none, _indicator_figure(t, data, area, "ixp_members")])
    ixps.add(
        Table(
            "ixp",
            t.g("IXPs by group"),
            [
                Column("group", t.g("Group")),
                Column("ixp_count", t.indicator("ixp_count"), "count"),
                Column("no_ixp", t.g("Countries without an IXP"), "count"),
                Column("ixp_members", t.indicator("ixp_members"), "count"),
            ],
            rows,
            source=network.source_label("caida_ixp+peeringdb_csv", t.g),
        )
    )
    ixps.add(
        Chart(
            "ixp_history",
            t.g("IXPs in the least developed countries, by year"),
            "years",
            "count",
            network.source_label("caida_ixp", t.g),
            years=data.ixp_history,
            empty=t.g("No IXP directory of CAIDA is loaded: there is no history to draw."),
        )
    )
    s.children.append(ixps)

    ipv6 = Section("connectivity.ipv6", t.g("IPv6"))
    for area in AREAS:
        holders, per_network, prefixes = (_indicator_figure(t, data, area, c) for c in IPV6_CODES)
        key[f"ipv6.{area}"] = per_network
        ipv6.add(
            _group_sentence(
                t,
                area,
                t.g(
                    "%(group)s: %(holders)s of the resource holders hold IPv6 addresses; "
                    "%(per_network)s IPv6 delegations per AS number; %(prefixes)s IPv6 "
                    "delegations."
                ),
                {"group": t.area(area), "holders": holders, "per_network": per_network, "prefixes": prefixes},
            )
        )
    ipv6.add(
        Missing(
            t.g(
                "The share of users able to reach IPv6 content is not among the platform's data "
                "(measurements of IPv6 capability are not loaded)."
            )
        )
    )
    s.children.append(ipv6)

    addresses = Section("connectivity.addresses", t.g("Address space"))
    bars: list[tuple[str, float]] = []
    for area in AREAS:
        per_person, total, asns = (_indicator_figure(t, data, area, c) for c in ADDRESS_CODES)
        key[f"ipv4.{area}"] = per_person
        if per_person.value is not None:
            bars.append((t.area(area), per_person.value))
        addresses.add(
            _p(
                t.g("%(group)s: %(per_person)s IPv4 addresses per person (%(total)s in all); %(asns)s AS numbers."),
                {"group": t.area(area), "per_person": per_person, "total": total, "asns": asns},
            )
        )
    addresses.add(
        Chart(
            "ipv4_per_person",
            t.g("IPv4 addresses per person, by group"),
            "bars",
            "number",
            network.source_label("rir_delegated", t.g),
            bars=bars,
            empty=t.g("No group's IPv4 figure is published: the registries' files are not loaded."),
        )
    )
    s.children.append(addresses)

    transit = Section("connectivity.transit", t.g("Dependence on foreign transit, transit and peering"))
    snapshots = data.asrel
    if snapshots:
        transit.add(
            Paragraph.of(
                t.g("From CAIDA's AS relationships of %(date)s, and the networks present at a domestic IXP.")
                % {"date": t.date(snapshots[-1]["data_date"])}
            )
        )
    rows = []
    for group in GROUPS:
        figs = {k: _transit_figure(t, data, group, k) for k in TRANSIT_FIGURES}
        key[f"transit.{group}"] = figs["foreign_transit_share"]
        at_ixp = {c: _indicator_figure(t, data, group, c) for c in PEERING_CODES}
        rows.append([t.area(group), *figs.values(), *at_ixp.values()])
        transit.add(
            _group_sentence(
                t,
                group,
                t.g(
                    "%(group)s: %(foreign)s of the networks' transit comes from foreign providers (%(users)s weighted "
                    "by users); %(links)s of the transit links are to foreign providers; the median member has "
                    "%(upstreams)s foreign upstreams."
                ),
                {
                    "group": t.area(group),
                    "foreign": figs["foreign_transit_share"],
                    "users": figs["foreign_transit_share_users"],
                    "links": figs["foreign_link_share"],
                    "upstreams": figs["median_foreign_upstreams"],
                },
            ),
            _group_sentence(
                t,
                group,
                t.g(
                    "%(group)s, peering at home: %(asns)s of the AS numbers and %(eyeballs)s of the users are in "
                    "networks present at a domestic IXP."
                ),
                {
                    "group": t.area(group),
                    "asns": at_ixp["asn_at_domestic_ixp_share"],
                    "eyeballs": at_ixp["eyeball_share_at_domestic_ixp"],
                },
            ),
        )
    columns = [Column("group", t.g("Group"))]
    columns += [Column(k, t.g(name), unit) for k, (name, unit) in TRANSIT_FIGURES.items()]
    columns += [Column(c, t.indicator(c), "share") for c in PEERING_CODES]
    transit.add(
        Table(
            "transit",
            t.g("Transit and peering by group"),
            columns,
            rows,
            source=network.source_label("caida_asrel+peeringdb_csv", t.g),
        )
    )
    transit.add(Missing(t.g("Transit figures are computed for countries and groups, not for the world as a whole.")))
    s.children.append(transit)

    cost = Section("connectivity.cost", t.g("The cost of international connectivity"))
    cost.add(
        Paragraph.of(
            t.g(
                "The platform's cost model computes, for each country, the annual cost of its international "
                "connectivity and what exchanging more domestic traffic at a local IXP would save (the local-exchange "
                "scenario), from its own data where loaded and documented defaults elsewhere."
            )
        )
    )
    savings: list[tuple[str, float]] = []
    for group in GROUPS:
        figs = {k: _cost_figure(t, data, group, k) for k in COST_FIGURES}
        key[f"cost.{group}"] = figs["median_saving_share"]
        summary = data.cost[group]
        if figs["median_saving_share"].value is not None:
            savings.append((t.area(group), figs["median_saving_share"].value))
        api = f"/api/v1/areas/{group}/cost/summary?date={data.as_of.isoformat()}"
        covered = _count(
            f"cost.countries.{group}",
            summary["countries"],
            t.g("Members whose Internet users are loaded, %(group)s, of %(members)s")
            % {"group": t.area(group), "members": summary["members"]},
            api,
        )
        cost.add(
            _p(
                t.g(
                    "%(group)s (%(countries)s countries covered): the local-exchange scenario would save the median "
                    "member %(saving)s of its cost (%(usd)s a year); the median cost is %(per_user)s per user "
                    "and month."
                ),
                {
                    "group": t.area(group),
                    "countries": covered,
                    "saving": figs["median_saving_share"],
                    "usd": figs["median_saving_usd"],
                    "per_user": figs["median_cost_per_user_month_usd"],
                },
            )
        )
    cost.add(
        Chart(
            "cost_saving",
            t.g("Saving of the local-exchange scenario, median member, by group"),
            "bars",
            "share",
            t.g("Cost model of the platform"),
            bars=savings,
            empty=t.g("No group has a member whose Internet users are loaded."),
        )
    )
    s.children.append(cost)
    return s, key


def _proposals(t: _Text, edition: Edition) -> Section:
    s = Section("proposals", t.g("Concrete proposals"))
    if not edition.proposals:
        s.add(Missing(t.g("No proposals written yet by the secretariat.")))
        return s
    for i, p in enumerate(edition.proposals, start=1):
        child = Section(f"proposals.{i}", p.title)
        child.add(Paragraph([p.text]))
        child.add(
            Paragraph([t.g("Resource implications: %(resources)s") % {"resources": p.resources or t.g("none stated")}])
        )
        s.children.append(child)
    return s


def _annexes(t: _Text, data: _Data) -> Section:
    s = Section("annexes", t.g("Annexes"))
    tables = Section("annexes.data", t.g("Data tables"))
    for area in AREAS:
        rows: list[list[Any]] = []
        for code in network_service.CODES:
            fig = _indicator_figure(t, data, area, code)
            entry = data.indicators[area].get(code)
            rows.append(
                [
                    t.indicator(code),
                    fig,
                    t.date(entry["date"]) if entry else "",
                    entry["coverage"] if entry else None,
                    network.source_label("+".join(entry["sources"]), t.g) if entry and entry["sources"] else "",
                ]
            )
        tables.add(
            Table(
                f"data.{area}",
                t.g("Infrastructure indicators: %(group)s") % {"group": t.area(area)},
                [
                    Column("indicator", t.g("Indicator")),
                    Column("value", t.g("Value"), "number"),
                    Column("date", t.g("Date")),
                    Column("coverage", t.g("Population coverage"), "share"),
                    Column("source", t.g("Source")),
                ],
                rows,
                source=t.g("Platform's infrastructure indicators"),
                empty=t.g("No infrastructure data loaded."),
            )
        )
    s.children.append(tables)
    methods = Section("annexes.methods", t.g("Methods"))
    methods.add(
        Paragraph.of(
            t.g(
                "Infrastructure indicators, their coverage and how IXPs are counted: the platform's catalogue of "
                "infrastructure indicators (/infrastructure/indicators)."
            )
        ),
        Paragraph.of(
            t.g("Transit and peering from AS relationships: the transit section of each country page (/countries/…).")
        ),
        Paragraph.of(
            t.g(
                "The cost of international connectivity, its scenarios and defaults: the platform's cost model "
                "(/cost-model). Its inputs are the newest loaded data."
            )
        ),
    )
    s.children.append(methods)
    return s


def _sources(session: Session, t: _Text, data: _Data, as_of: dt.date) -> list[SourceEdition]:
    """Every data source the figures rest on, with the editions of the loads whose dates the figures use (else
    its newest load on or before ``as_of``)."""
    used: dict[str, set[dt.date]] = {}
    if data.asrel:
        used["caida_asrel"] = {dt.date.fromisoformat(x["data_date"]) for x in data.asrel if x["data_date"]}
    for values in data.indicators.values():
        for entry in values.values():
            for stored in entry["sources"]:
                for name in stored.split("+"):
                    dates = used.setdefault(name, set())
                    if entry["snapshot_date"]:
                        dates.add(dt.date.fromisoformat(entry["snapshot_date"]))
    out: list[SourceEdition] = []
    for name in sorted(used):
        loads = [x for x in session.scalars(select(SourceLoad).where(SourceLoad.source == name))]
        dated = [x for x in loads if x.data_date in used[name]]
        if not dated:
            earlier = [x for x in loads if (x.data_date or dt.date.min) <= as_of]
            dated = [max(earlier, key=lambda x: (x.data_date or dt.date.min, x.id))] if earlier else []
        if not dated:
            continue
        editions = sorted({x.edition or (x.data_date.isoformat() if x.data_date else "") for x in dated})
        url = next((x.info_url for x in dated if x.info_url), "")
        out.append(SourceEdition(network.source_label(name, t.g), ", ".join(e for e in editions if e), url))
    out.append(SourceEdition(t.g("Registry of activities"), as_of.isoformat()))
    return out


def build(session: Session, year: int, language: str, as_of: dt.date, edition: Edition) -> Report:
    """The report on IP-based networks for ``year`` in ``language``, from the registry and the data as of
    ``as_of``, numbered."""
    t = _Text(language)
    records = activities.activities_as_of(session, as_of, year)
    data = _Data(session, as_of)
    connectivity, key = _connectivity(t, data)
    api = _summary_api(year, as_of)
    itu = sum(1 for r in records if r.itu)
    itu_fig = _count(
        "activities.itu",
        itu,
        t.g("ITU activities in %(year)s, registry as of %(date)s") % {"year": year, "date": t.date(as_of)},
        api,
    )
    other_fig = _count(
        "activities.other",
        len(records) - itu,
        t.g("Activities of the other organisations in %(year)s, registry as of %(date)s")
        % {"year": year, "date": t.date(as_of)},
        api,
    )
    summary = [
        _p(
            t.g(
                "This report summarizes %(itu)s activities of ITU and %(other)s activities of the other "
                "organisations on IP-based networks in %(year)s, with their degree of collaboration with "
                "ITU."
            ),
            {"itu": itu_fig, "other": other_fig, "year": str(year)},
        ),
        _p(
            t.g("The least developed countries count %(ixps)s IXPs; %(none)s of them have none."),
            {"ixps": key["ixp.LDC"], "none": key["no_ixp.LDC"]},
        ),
        _p(
            t.g("They hold %(ipv4)s IPv4 addresses per person against %(world)s worldwide."),
            {"ipv4": key["ipv4.LDC"], "world": key["ipv4.WORLD"]},
        ),
        _p(
            t.g(
                "In the cost model, exchanging more domestic traffic at a local IXP would save the median "
                "LDC %(ldc)s of the cost of its international connectivity, the median LLDC %(lldc)s and "
                "the median SIDS %(sids)s."
            ),
            {"ldc": key["cost.LDC"], "lldc": key["cost.LLDC"], "sids": key["cost.SIDS"]},
        ),
    ]
    sections = [
        _introduction(t, year, as_of),
        _sectors(t, year, as_of, records),
        _others(t, year, as_of, records),
        connectivity,
        _proposals(t, edition),
        _annexes(t, data),
    ]
    report = Report(
        kind=KIND,
        year=year,
        language=language,
        as_of=as_of,
        title=t.g("Report by the Secretary-General on ITU's activities on IP-based networks"),
        subtitle=t.g("Resolution 101 (Rev. Bucharest, 2022) — %(year)s") % {"year": year},
        sections=sections,
        sources=_sources(session, t, data, as_of),
        software=f"Connectivity Observatory {observatory.__version__}",
        built_at=dt.datetime.now(dt.UTC),
        cover=_cover(t, year, edition, summary),
    )
    return report.number()
