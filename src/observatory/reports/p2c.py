"""The Partner2Connect annual progress report for one year, as the document model of ``document``.

What a year's report counts: the published pledges **announced on or before 31 December of the year**, as the
registry stood at the end of the as-of day (``pledges.registry_as_of``), by the registry's counting rules
(``pledges.summary``, ``pledges.overview``); the change from the year before compares the same registry with
the pledges announced by the end of the previous year. Progress reports count when published, for years up to
the report's. Every number is a :class:`Figure` whose API address answers it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from observatory import __version__, pledges, reference
from observatory.errors import NotFound
from observatory.i18n import translations
from observatory.indicators import TARGETS
from observatory.indicators import service as indicators
from observatory.reports.document import (
    Bullets,
    Chart,
    Column,
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
from observatory.web.labels import label_in

log = logging.getLogger(__name__)

GOAL_USD = 100e9  # the coalition's goal: USD 100 billion pledged by 2026
GOAL_YEAR = 2026
GROUPS = tuple(reference.COUNTRY_GROUPS)
UNDERSERVED = 10  # countries in the table of the most underserved
EVENTS = 15  # events and campaigns in the table of growth drivers
# Where the API's answer holds each figure (document.lookup); figures derived from others (changes, shares of
# a goal) have none.
SUMMARY_FIELDS = {
    "pledges": "total.pledges",
    "value_usd": "total.value_usd",
    "value_usd_2": "total.value_usd",
    "organisations": "total.organisations",
}
OVERVIEW_FIELDS = {
    "target_countries": "participation.target_countries",
    "pledgers": "participation.pledgers",
    "new_pledgers": "participation.new_pledgers",
    "new_pledgers_2": "participation.new_pledgers",
    "pledger_countries": "participation.pledger_countries",
    "reporting_share": "implementation.reporting_share",
    "reporting_share_2": "implementation.reporting_share",
    "committed_usd": "implementation.committed_usd",
    "committed_usd_2": "implementation.committed_usd",
    "disbursed_usd": "implementation.disbursed_usd",
    "disbursed_usd_2": "implementation.disbursed_usd",
    "due": "implementation.due",
    "reporting": "implementation.reporting",
    "people_reached": "implementation.people_reached",
}


class _Figures:
    """Makes the report's figures, each with the API address that answers it for the report's selection."""

    def __init__(self, year: int, as_of: dt.date) -> None:
        self.year, self.as_of = year, as_of

    def params(self, year: int | None = None, **extra: Any) -> dict[str, Any]:
        return {"announced_by": f"{year or self.year}-12-31", "as_of": self.as_of.isoformat(), **extra}

    def summary(
        self,
        key: str,
        value: float | None,
        unit: Unit,
        query: str,
        *,
        by: str = "focus_area",
        year: int | None = None,
        field: str | None = None,
        **extra: Any,
    ) -> Figure:
        api = "/api/v1/pledges/summary?" + urlencode({"by": by, **self.params(year, **extra)}, doseq=True)
        return Figure(key, value, unit, query, api, field=SUMMARY_FIELDS.get(key, "") if field is None else field)

    def overview(
        self,
        key: str,
        value: float | None,
        unit: Unit,
        query: str,
        *,
        year: int | None = None,
        field: str | None = None,
        **extra: Any,
    ) -> Figure:
        params = self.params(year, reports_to=year or self.year, **extra)
        api = "/api/v1/pledges/overview?" + urlencode(params, doseq=True)
        return Figure(key, value, unit, query, api, field=OVERVIEW_FIELDS.get(key, "") if field is None else field)


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or not before:
        return None
    return round((now - before) / before, 4)


def build(
    session: Session, year: int, language: str, as_of: dt.date, edition: Edition, *, practices: Sequence[Any] = ()
) -> Report:
    """The P2C progress report of ``year`` in ``language``, counting the registry as it stood at the end of
    ``as_of``; ``edition`` holds what the secretariat wrote and chose, ``practices`` the published
    best-practice cases (records with ``ref``, ``title``, ``country``, ``results``, ``spotlight_years``)."""
    t = translations(language)
    g, ng = t.gettext, t.ngettext
    fig = _Figures(year, as_of)
    end = dt.date(year, 12, 31)

    def lab(by: str, key: str) -> str:
        return label_in(language, by, key)

    with pledges.registry_as_of(session, as_of) as registry:
        this = pledges.PledgeFilter(announced_by=end)
        before = pledges.PledgeFilter(announced_by=dt.date(year - 1, 12, 31))
        bys = ["focus_area", "pillar", "pledge_type", "stakeholder_type", "country_group", "year", "country"]
        now = pledges.summaries(registry, bys, this)
        prev = pledges.summaries(registry, ["focus_area"], before)["focus_area"]["total"]
        over = pledges.overview(registry, this, on=as_of, reports_to=year)
        prev_over = pledges.overview(registry, before, on=as_of, reports_to=year - 1)
        every_year = pledges.summary(registry, "year", pledges.PledgeFilter())["groups"]
        undated = next((grp["pledges"] for grp in every_year if grp["key"] == "unspecified"), 0)
        spotlights = _spotlights(registry, edition.spotlight_pledges, language, fig)
        try:
            c = indicators.connectivity(session)
            need = indicators.need_and_pledges(registry, c, None, this)
        except indicators.NoData as e:
            log.info("P2C report %s: no connectivity context (%s)", year, e)
            c, need = None, None

    total = now["focus_area"]["total"]
    part, impl = over["participation"], over["implementation"]
    n_pledges = fig.summary(
        "pledges", total["pledges"], "count", g("Published pledges announced by 31 December %(year)s") % {"year": year}
    )
    n_value = fig.summary(
        "value_usd", total["value_usd"], "usd", g("Their USD value (pledges without a USD value left out)")
    )
    n_orgs = fig.summary(
        "organisations", total["organisations"], "count", g("Organisations making or partnering in these pledges")
    )
    n_countries = fig.overview(
        "target_countries", part["target_countries"], "count", g("Countries these pledges target")
    )
    n_pledgers = fig.overview(
        "pledgers", part["pledgers"], "count", g("Organisations that made these pledges (pledgers)")
    )
    prev_year = year - 1
    d_pledges = fig.summary(
        "pledges_change",
        _change(total["pledges"], prev["pledges"]),
        "change",
        g("Change in published pledges from those announced by 31 December %(year)s") % {"year": prev_year},
        year=prev_year,
    )
    d_value = fig.summary(
        "value_change",
        _change(total["value_usd"], prev["value_usd"]),
        "change",
        g("Change in USD value from the pledges announced by 31 December %(year)s") % {"year": prev_year},
        year=prev_year,
    )
    for f, what in ((d_pledges, g("pledges")), (d_value, g("USD value"))):
        if f.value is None:
            f.missing = g("no %(what)s announced by the end of %(year)s to compare with") % {
                "what": what,
                "year": prev_year,
            }
    goal = fig.summary(
        "goal_share",
        round(total["value_usd"] / GOAL_USD, 4),
        "share",
        g("USD value pledged as a share of the coalition's goal of USD 100 billion by %(year)s") % {"year": GOAL_YEAR},
    )

    sections: list[Section] = []
    empty = total["pledges"] == 0

    # 1. Key findings
    findings = Section("findings", g("Key findings"))
    if empty:
        findings.add(
            Missing(
                g(
                    "No published pledge was announced by 31 December %(year)s in the registry as of %(date)s; "
                    "this report has no pledge figures."
                )
                % {"year": year, "date": as_of.isoformat()}
            )
        )
    else:
        items = [
            Paragraph.of(
                g("By the end of %(year)s, %(pledges)s published pledges were worth %(value)s."),
                year=str(year),
                pledges=n_pledges,
                value=n_value,
            ),
            Paragraph.of(
                g(
                    "From the year before, the number of pledges changed by %(change)s and their value by "
                    "%(value_change)s."
                ),
                change=d_pledges,
                value_change=d_value,
            ),
            Paragraph.of(
                g(
                    "%(orgs)s organisations take part; %(pledgers)s of them made pledges, %(new)s for the "
                    "first time this year."
                ),
                orgs=n_orgs,
                pledgers=n_pledgers,
                new=fig.overview(
                    "new_pledgers",
                    part["new_pledgers"],
                    "count",
                    g("Pledgers whose first pledge was announced in %(year)s") % {"year": year},
                ),
            ),
            Paragraph.of(g("The pledges target %(countries)s countries."), countries=n_countries),
            Paragraph.of(g("%(share)s of the coalition's goal of USD 100 billion by 2026 is pledged."), share=goal),
        ]
        groups = {grp["key"]: grp for grp in now["country_group"]["groups"]}
        if "LDC" in groups:
            ldc = fig.summary(
                "ldc_pledges",
                groups["LDC"]["pledges"],
                "count",
                g("Pledges with at least one target among the least developed countries"),
                by="country_group",
                field="groups[key=LDC].pledges",
            )
            ldc_value = fig.summary(
                "ldc_value",
                groups["LDC"]["value_usd_attributed"],
                "usd",
                g("USD value attributed to least developed countries"),
                by="country_group",
                field="groups[key=LDC].value_usd_attributed",
            )
            items.append(
                Paragraph.of(
                    g("%(pledges)s pledges target least developed countries, with %(value)s attributed to them."),
                    pledges=ldc,
                    value=ldc_value,
                )
            )
        top = now["focus_area"]["groups"][0] if now["focus_area"]["groups"] else None
        if top:
            items.append(
                Paragraph.of(
                    g("The largest focus area by value is %(area)s, with %(value)s."),
                    area=lab("focus_area", top["key"]),
                    value=fig.summary(
                        "top_focus_area_value",
                        top["value_usd_attributed"],
                        "usd",
                        g("USD value attributed to the focus area %(name)s") % {"name": lab("focus_area", top["key"])},
                        field=f"groups[key={top['key']}].value_usd_attributed",
                    ),
                )
            )
        items.append(
            Paragraph.of(
                g("%(share)s of the pledges due a report have published one."),
                share=fig.overview(
                    "reporting_share",
                    impl["reporting_share"],
                    "share",
                    g("Share of pledges due a progress report with at least one published report (years to %(year)s)")
                    % {"year": year},
                ),
            )
        )
        items.append(
            Paragraph.of(
                g("Progress reports record %(committed)s committed and %(disbursed)s disbursed."),
                committed=fig.overview(
                    "committed_usd",
                    impl["committed_usd"],
                    "usd",
                    g("USD committed, by published progress reports for years to %(year)s") % {"year": year},
                ),
                disbursed=fig.overview(
                    "disbursed_usd",
                    impl["disbursed_usd"],
                    "usd",
                    g("USD disbursed, by published progress reports for years to %(year)s") % {"year": year},
                ),
            )
        )
        items.append(
            Paragraph.of(
                g("%(share)s of the pledges name women among their beneficiaries."),
                share=fig.overview(
                    "women_share",
                    over["women"]["share"],
                    "share",
                    g("Share of pledges naming women among their beneficiary groups"),
                    field="women.share",
                ),
            )
        )
        if need is not None:
            items.append(
                Paragraph.of(
                    g("%(offline)s people were offline in %(year)s."),
                    offline=_offline_figure(c, "WORLD", need["year"], g, lab),
                    year=str(need["year"]),
                )
            )
        findings.add(Bullets(items, numbered=True))
    sections.append(findings)

    # 2. Headline totals and their change
    totals = Section("totals", g("Headline totals"))
    totals.add(
        Paragraph.of(
            g(
                "The registry counts each published pledge once; a pledge announced by the end of the year "
                "counts in that year's totals. Pledges without an announcement date (%(undated)s) are left out."
            ),
            undated=Figure(
                "undated",
                undated,
                "count",
                g("Published pledges without an announcement date (the year breakdown's row “unspecified”)"),
                "/api/v1/pledges/summary?" + urlencode({"by": "year", "as_of": as_of.isoformat()}),
                field="groups[key=unspecified].pledges" if undated else "",
            ),
        )
    )
    prev_part = prev_over["participation"]
    ended = g("announced by 31 December %(year)s") % {"year": prev_year}
    p_pledges = fig.summary(
        "pledges_before",
        prev["pledges"],
        "count",
        g("Published pledges") + " " + ended,
        year=prev_year,
        field="total.pledges",
    )
    p_value = fig.summary(
        "value_usd_before",
        prev["value_usd"],
        "usd",
        g("USD value of the published pledges") + " " + ended,
        year=prev_year,
        field="total.value_usd",
    )
    p_orgs = fig.summary(
        "organisations_before",
        prev["organisations"],
        "count",
        g("Organisations") + " " + ended,
        year=prev_year,
        field="total.organisations",
    )
    p_countries = fig.overview(
        "target_countries_before",
        prev_part["target_countries"],
        "count",
        g("Countries targeted") + " " + ended,
        year=prev_year,
        field="participation.target_countries",
    )
    d_orgs = fig.summary(
        "organisations_change",
        _change(total["organisations"], prev["organisations"]),
        "change",
        g("Change in organisations from those") + " " + ended,
        year=prev_year,
    )
    d_countries = fig.overview(
        "target_countries_change",
        _change(part["target_countries"], prev_part["target_countries"]),
        "change",
        g("Change in countries targeted from those") + " " + ended,
        year=prev_year,
    )
    rows: list[list[Any]] = [
        [g("Pledges"), p_pledges, n_pledges, d_pledges],
        [g("USD value"), p_value, n_value, d_value],
        [g("Organisations"), p_orgs, n_orgs, d_orgs],
        [g("Countries targeted"), p_countries, n_countries, d_countries],
    ]
    totals.add(
        Table(
            "totals",
            g("Headline totals, %(before)s and %(year)s") % {"before": prev_year, "year": year},
            [
                Column("measure", g("Measure")),
                Column("before", str(prev_year), "number"),
                Column("now", str(year), "number"),
                Column("change", g("Change from the year before"), "change"),
            ],
            rows,
            source=g("Partner2Connect registry, as of %(date)s") % {"date": as_of.isoformat()},
        )
    )
    by_year = {int(grp["key"]): grp["pledges"] for grp in now["year"]["groups"] if grp["key"].isdigit()}
    totals.add(
        Chart(
            "pledges_by_year",
            g("Pledges by year of announcement"),
            "years",
            "count",
            g("Partner2Connect registry"),
            years={y: by_year.get(y, 0) for y in range(min(by_year, default=year), year + 1)},  # none announced: 0
            empty=g("No pledge has an announcement date."),
        )
    )
    sections.append(totals)

    # 3. Breakdowns
    breakdowns = Section("breakdowns", g("What is pledged, by whom and where"))
    for by, title in (
        ("focus_area", g("Focus areas")),
        ("pillar", g("Pillars")),
        ("pledge_type", g("Types of pledge")),
        ("stakeholder_type", g("Types of pledger")),
    ):
        sub = Section(by, title)
        groups_ = now[by]["groups"]
        sub.add(_breakdown_table(by, title, groups_, fig, g, lab, year))
        if by == "focus_area":
            sub.add(
                Chart(
                    "focus_areas_chart",
                    g("USD value attributed to each focus area"),
                    "bars",
                    "usd",
                    g("Partner2Connect registry"),
                    bars=[(lab(by, x["key"]), x["value_usd_attributed"]) for x in groups_],
                    empty=g("No pledge in this selection."),
                )
            )
        breakdowns.children.append(sub)
    regions = Section("regions", g("Region of origin and region of implementation"))
    regions.add(
        Paragraph.of(
            g(
                "Where the pledgers are based (the ITU region of the pledger's country) against where the "
                "pledges are implemented (the ITU regions of their target countries; global pledges have "
                "none). Values are attributed by the counting rules."
            )
        )
    )
    regions.add(_regions_table(over["regions"], fig, g, lab))
    breakdowns.children.append(regions)
    focus = Section("country_groups", g("Least developed, landlocked developing and small island developing countries"))
    focus.add(
        _breakdown_table(
            "country_group",
            g("Pledges targeting each group"),
            now["country_group"]["groups"],
            fig,
            g,
            lab,
            year,
            note=g(
                "A pledge counts in every group one of its target countries belonged to when it was announced; "
                "groups overlap, so their rows do not add up."
            ),
        )
    )
    breakdowns.children.append(focus)
    tags = Section("beneficiaries", g("Beneficiary groups and Sustainable Development Goals"))
    tags.add(
        _tag_table(
            "beneficiary_groups",
            g("Pledges naming each beneficiary group"),
            over["beneficiary_groups"],
            total["pledges"],
            fig,
            g,
            lambda k: lab("beneficiary", k),
        )
    )
    tags.add(
        _tag_table(
            "sdgs",
            g("Pledges naming each SDG"),
            over["sdgs"],
            total["pledges"],
            fig,
            g,
            lambda k: g("SDG %(n)s") % {"n": k},
        )
    )
    breakdowns.children.append(tags)
    sections.append(breakdowns)

    # 4. Participation
    participation = Section("participation", g("Participation"))
    participation.add(
        Paragraph.of(
            g(
                "%(pledgers)s pledgers from %(countries)s countries made the pledges, %(new)s of them new in "
                "%(year)s; with their partners, %(orgs)s organisations take part."
            ),
            pledgers=n_pledgers,
            countries=fig.overview(
                "pledger_countries", part["pledger_countries"], "count", g("Countries of the pledgers")
            ),
            new=fig.overview(
                "new_pledgers_2",
                part["new_pledgers"],
                "count",
                g("Pledgers whose first pledge was announced in %(year)s") % {"year": year},
            ),
            year=str(year),
            orgs=n_orgs,
        )
    )
    participation.add(
        _tag_table(
            "pledgers_by_type",
            g("Pledgers by type"),
            part["pledgers_by_type"],
            part["pledgers"],
            fig,
            g,
            lambda k: lab("stakeholder_type", k),
            column=g("Pledgers"),
        )
    )
    drivers = Section("events", g("Growth drivers: where the pledges were announced"))
    named = [e for e in over["events"] if e["key"] != "unspecified"]
    unnamed = next((e["pledges"] for e in over["events"] if e["key"] == "unspecified"), 0)
    drivers.add(
        Table(
            "events",
            g("Pledges by the event or campaign where they were announced"),
            [
                Column("event", g("Event or campaign")),
                Column("pledges", g("Pledges"), "count"),
                Column("value", g("USD value"), "usd"),
            ],
            [[e["key"], e["pledges"], e["value_usd"]] for e in named[:EVENTS]],
            source=g("Partner2Connect registry"),
            note=g("%(n)s pledges name no event.") % {"n": unnamed} if unnamed else "",
            empty=g("No pledge names the event where it was announced."),
        )
    )
    participation.children.append(drivers)
    sections.append(participation)

    # 5. Implementation
    sections.append(_implementation(impl, total, fig, g, ng, lab, year, as_of))

    # 6. Connectivity context
    sections.append(_context(c, need, fig, g, lab))

    # 7. Spotlights and best practices
    spot = Section("spotlights", g("Spotlights and best practices"))
    pledge_spots = Section("spotlight_pledges", g("Pledges in the spotlight"))
    if spotlights:
        pledge_spots.add(*spotlights)
    else:
        pledge_spots.add(Missing(g("The secretariat has not chosen pledges to spotlight in this report.")))
    spot.children.append(pledge_spots)
    chosen = [p for p in practices if year in p.spotlight_years or p.ref in edition.spotlight_practices]
    cases = Section("spotlight_practices", g("Best practices shared by Member States and pledgers"))
    for p in chosen:
        where = lab("country", p.country) if p.country else g("Several countries")
        cases.add(Paragraph([f"{p.title} ({where}). ", p.what_was_done.strip()]))
        if p.results.strip():
            cases.add(Paragraph([g("Results:") + " ", p.results.strip()]))
        if p.lessons.strip():
            cases.add(Paragraph([g("Lessons:") + " ", p.lessons.strip()]))
        credit = g("Source: %(sources)s. Text under %(licence)s.") % {
            "sources": ", ".join(p.source_urls) or g("none given"),
            "licence": p.licence or g("no stated licence"),
        }
        if p.needs_check:
            credit += " " + g("To be checked by the secretariat.")
        cases.add(Paragraph([credit]))
    if not chosen:
        cases.add(Missing(g("No best practice is chosen for this year's report.")))
    spot.children.append(cases)
    sections.append(spot)

    # 8. Outlook
    outlook = Section("outlook", g("Outlook"))
    outlook.add(
        Paragraph.of(
            g("With %(share)s of the USD 100 billion goal pledged, the coalition needs %(rest)s more by 2026."),
            share=goal,
            rest=fig.summary(
                "goal_rest",
                max(0.0, GOAL_USD - total["value_usd"]),
                "usd",
                g("USD still to pledge to reach USD 100 billion"),
            ),
        )
    )
    if edition.outlook.strip():
        outlook.add(*[Paragraph([p.strip()]) for p in edition.outlook.split("\n\n") if p.strip()])
    else:
        outlook.add(Missing(g("The secretariat has not written the outlook for this report yet.")))
    sections.append(outlook)

    # 9. Methods
    methods = Section("methods", g("Methods"))
    methods.add(
        Paragraph(
            [
                g(
                    "Only published pledges count, each once. A pledge's value is split equally over its "
                    "target countries, and over its focus areas or pillars when a breakdown is by theme; a "
                    "pledge without target countries is global. Amounts in other currencies are converted to "
                    "USD at the rate of their year. Progress reports count once the secretariat has published "
                    "them."
                )
            ]
        ),
        Paragraph(
            [
                g(
                    "Reporting health on the as-of day: green, a report filed in the last 12 months; amber, 12 "
                    "to 24 months ago; red, none for longer, or none at all more than 12 months after the "
                    "pledge was announced; not yet due, younger pledges."
                )
            ]
        ),
        Paragraph(
            [
                g(
                    "The registry is counted as it stood at the end of the as-of day, rebuilt from its audit "
                    "log: building the report again with the same as-of day gives the same figures, whatever "
                    "was registered since."
                )
            ]
        ),
    )
    sections.append(methods)

    report = Report(
        kind="p2c",
        year=year,
        language=language,
        as_of=as_of,
        title=g("Partner2Connect Digital Coalition: annual progress report %(year)s") % {"year": year},
        subtitle=g("Pledges, their implementation and the connectivity they address"),
        sections=sections,
        sources=_sources(session, c, as_of, g),
        software=__version__,
        built_at=dt.datetime.now(dt.UTC),
        labels={"series": g("Partner2Connect Digital Coalition")},
    )
    return report.number()


def _offline_figure(c: Any, area: str, year: int, g: Callable[[str], str], lab: Callable[[str, str], str]) -> Figure:
    try:
        row = indicators.offline_figure(c, area, year)
        value: float | None = float(row["people_offline"])
        estimate = bool(row["estimated"])
    except indicators.NoData:
        value, estimate = None, False
    name = g("the world") if area == "WORLD" else lab("country_group" if area in GROUPS else "country", area)
    f = Figure(
        f"offline_{area}_{year}",
        value,
        "people",
        g("People offline in %(area)s in %(year)s") % {"area": name, "year": year},
        "/api/v1/connectivity/offline?" + urlencode({"area": area, "year": year}),
        estimate=estimate,
        field="people_offline" if value is not None else "",
    )
    if value is None:
        f.missing = g("Internet use or population not loaded for that year")
    return f


def _breakdown_table(
    by: str,
    title: str,
    groups: list[dict[str, Any]],
    fig: _Figures,
    g: Callable[[str], str],
    lab: Callable[[str, str], str],
    year: int,
    note: str = "",
) -> Table:
    rows: list[list[Any]] = []
    for grp in groups:
        name = lab(by, grp["key"])
        rows.append(
            [
                name,
                fig.summary(
                    f"{by}_{grp['key']}_pledges",
                    grp["pledges"],
                    "count",
                    g("Pledges in %(name)s") % {"name": name},
                    by=by,
                    field=f"groups[key={grp['key']}].pledges",
                ),
                fig.summary(
                    f"{by}_{grp['key']}_value",
                    grp["value_usd_attributed"],
                    "usd",
                    g("USD value attributed to %(name)s") % {"name": name},
                    by=by,
                    field=f"groups[key={grp['key']}].value_usd_attributed",
                ),
            ]
        )
    return Table(
        f"by_{by}",
        title,
        [Column("key", title), Column("pledges", g("Pledges"), "count"), Column("value", g("USD attributed"), "usd")],
        rows,
        source=g("Partner2Connect registry"),
        note=note,
        empty=g("No pledge in this selection."),
    )


def _regions_table(
    rows: list[dict[str, Any]], fig: _Figures, g: Callable[[str], str], lab: Callable[[str, str], str]
) -> Table:
    out = []
    for r in rows:
        origin, where = lab("region", r["origin"]), lab("region", r["implementation"])
        out.append(
            [
                origin,
                where,
                r["pledges"],
                fig.overview(
                    f"region_{r['origin']}_{r['implementation']}",
                    r["value_usd_attributed"],
                    "usd",
                    g("USD value of pledges from %(origin)s attributed to %(where)s")
                    % {"origin": origin, "where": where},
                    field=f"regions[origin={r['origin']},implementation={r['implementation']}].value_usd_attributed",
                ),
            ]
        )
    return Table(
        "origin_implementation",
        g("Region of origin against region of implementation"),
        [
            Column("origin", g("Pledgers based in")),
            Column("implementation", g("Implemented in")),
            Column("pledges", g("Pledges"), "count"),
            Column("value", g("USD attributed"), "usd"),
        ],
        out,
        source=g("Partner2Connect registry"),
        empty=g("No pledge in this selection."),
    )


def _tag_table(
    key: str,
    title: str,
    rows: list[dict[str, Any]],
    of: int,
    fig: _Figures,
    g: Callable[[str], str],
    name: Callable[[str], str],
    column: str = "",
) -> Table:
    out = [[name(r["key"]), r["pledges"], round(r["pledges"] / of, 4) if of else None] for r in rows]
    return Table(
        key,
        title,
        [
            Column("key", title),
            Column("pledges", column or g("Pledges"), "count"),
            Column("share", g("Share"), "share"),
        ],
        out,
        source=g("Partner2Connect registry"),
        empty=g("No pledge names one."),
    )


def _implementation(
    impl: dict[str, Any],
    total: dict[str, Any],
    fig: _Figures,
    g: Callable[[str], str],
    ng: Callable[[str, str, int], str],
    lab: Callable[[str, str], str],
    year: int,
    as_of: dt.date,
) -> Section:
    s = Section("implementation", g("Implementation"))
    due = fig.overview("due", impl["due"], "count", g("Published pledges due a progress report on the as-of day"))
    reporting = fig.overview(
        "reporting",
        impl["reporting"],
        "count",
        g("Pledges with at least one published progress report for years to %(year)s") % {"year": year},
    )
    share = fig.overview(
        "reporting_share_2",
        impl["reporting_share"],
        "share",
        g("Share of pledges due a progress report with at least one published report (years to %(year)s)")
        % {"year": year},
    )
    if impl["reporting_share"] is None:
        share.missing = g("no pledge was due a report")
    s.add(
        Paragraph.of(
            g("%(due)s pledges were due a progress report; %(reporting)s have published at least one (%(share)s)."),
            due=due,
            reporting=reporting,
            share=share,
        )
    )
    health: list[list[Any]] = [
        [
            lab("health", h),
            fig.overview(
                f"health_{h}",
                impl["health"][h],
                "count",
                g("Pledges in reporting health %(name)s on the as-of day") % {"name": lab("health", h)},
                field=f"implementation.health.{h}",
            ),
        ]
        for h in pledges.HEALTH
    ]
    s.add(
        Table(
            "reporting_health",
            g("Reporting health on %(date)s") % {"date": as_of.isoformat()},
            [Column("health", g("Reporting health")), Column("pledges", g("Pledges"), "count")],
            health,
            source=g("Partner2Connect registry"),
            note=g("Green: a report in the last 12 months; amber: 12 to 24 months ago; red: none for longer."),
        )
    )
    status = [[lab("status", k), v] for k, v in impl["status"].items()]
    s.add(
        Table(
            "status",
            g("Pledges by status"),
            [Column("status", g("Status")), Column("pledges", g("Pledges"), "count")],
            status,
            source=g("Partner2Connect registry"),
            empty=g("No pledge in this selection."),
        )
    )
    committed = fig.overview(
        "committed_usd_2",
        impl["committed_usd"],
        "usd",
        g("USD committed, by published progress reports for years to %(year)s") % {"year": year},
    )
    disbursed = fig.overview(
        "disbursed_usd_2",
        impl["disbursed_usd"],
        "usd",
        g("USD disbursed, by published progress reports for years to %(year)s") % {"year": year},
    )
    pledged = fig.summary("value_usd_2", total["value_usd"], "usd", g("USD value of the published pledges"))
    people = fig.overview(
        "people_reached",
        impl["people_reached"],
        "count",
        g("People reached, by published progress reports for years to %(year)s") % {"year": year},
    )
    s.add(
        Paragraph.of(
            g(
                "Of %(pledged)s pledged, progress reports record %(committed)s committed and %(disbursed)s "
                "disbursed, and %(people)s people reached."
            ),
            pledged=pledged,
            committed=committed,
            disbursed=disbursed,
            people=people,
        )
    )
    s.add(
        Chart(
            "funnel",
            g("Pledged, committed and disbursed"),
            "bars",
            "usd",
            g("Partner2Connect registry"),
            bars=[
                (g("Pledged"), total["value_usd"]),
                (g("Committed"), impl["committed_usd"]),
                (g("Disbursed"), impl["disbursed_usd"]),
            ]
            if total["value_usd"]
            else [],
            empty=g("No pledge has a USD value."),
        )
    )
    if impl["reporting"] == 0:
        s.add(
            Missing(g("No progress report is published for these pledges yet: their implementation cannot be shown."))
        )
    return s


def _context(
    c: Any, need: dict[str, Any] | None, fig: _Figures, g: Callable[[str], str], lab: Callable[[str, str], str]
) -> Section:
    s = Section("connectivity", g("The connectivity the pledges address"))
    if c is None or need is None:
        s.add(Missing(g("Population and Internet use are not loaded: the connectivity context cannot be shown.")))
        return s
    year = need["year"]
    s.add(
        Paragraph.of(
            g(
                "In %(year)s, %(offline)s people were offline worldwide, %(ldc)s of them in the least "
                "developed countries."
            ),
            year=str(year),
            offline=_offline_figure(c, "WORLD", year, g, lab),
            ldc=_offline_figure(c, "LDC", year, g, lab),
        )
    )
    scores = c.scores
    rows = []
    for target in TARGETS:
        row: list[Any] = [g(target.text)]
        for area in ("WORLD", *GROUPS):
            hit = scores.filter((scores["area"] == area) & (scores["target"] == target.code))
            value = float(hit["progress"][0]) if hit.height and hit["progress"][0] is not None else None
            name = g("the world") if area == "WORLD" else lab("country_group", area)
            f = Figure(
                f"target_{target.code}_{area}",
                value,
                "share",
                g("Progress of %(area)s towards the target: %(target)s") % {"area": name, "target": g(target.text)},
                "/api/v1/connectivity/scores?" + urlencode({"area": area}),
                field=f"[target={target.code}].progress" if value is not None else "",
            )
            if value is None:
                f.missing = g("the indicator is not loaded for this area")
            row.append(f)
        rows.append(row)
    s.add(
        Table(
            "targets",
            g("Progress towards the connectivity targets (share of the target reached)"),
            [
                Column("target", g("Target")),
                Column("WORLD", g("World"), "share"),
                *[Column(grp, lab("country_group", grp), "share") for grp in GROUPS],
            ],
            rows,
            source=g("ITU, World Bank; scores of ITU's UMC dashboard"),
        )
    )
    countries = need["countries"].head(UNDERSERVED).to_dicts()
    out: list[list[Any]] = []
    for r in countries:
        name = lab("country", r["area"])
        out.append(
            [
                name,
                _offline_figure(c, r["area"], year, g, lab),
                fig.summary(
                    f"pledged_{r['area']}",
                    r["usd_pledged"],
                    "usd",
                    g("USD value attributed to %(name)s") % {"name": name},
                    by="country",
                    country=r["area"],
                    field="total.value_usd_attributed",
                ),
                r["usd_per_offline_person"],
            ]
        )
    s.add(
        Table(
            "underserved",
            g(
                "The most underserved countries: their share of the world's offline people against their share "
                "of what is pledged"
            ),
            [
                Column("country", g("Country")),
                Column("offline", g("People offline"), "people"),
                Column("pledged", g("USD attributed"), "usd"),
                Column("per_person", g("USD per offline person"), "number"),
            ],
            out,
            source=g("ITU, World Bank; Partner2Connect registry"),
            note=g("Global pledges (without target countries) are not attributed to any country."),
        )
    )
    return s


def _spotlights(registry: Session, refs: Sequence[str], language: str, fig: _Figures) -> list[Paragraph | Missing]:
    """A paragraph per pledge the secretariat chose to spotlight: what it is, its value and its last published
    progress report."""
    g = translations(language).gettext
    out: list[Paragraph | Missing] = []
    for ref in refs:
        try:
            p = pledges.service.get_pledge(registry, ref)
        except NotFound:
            p = None
        if p is None or p.review_state != "published":
            out.append(
                Missing(
                    g(
                        "Pledge %(ref)s, chosen as a spotlight, is not published in the registry as of this "
                        "report's date."
                    )
                    % {"ref": ref}
                )
            )
            continue
        value = Figure(
            f"spotlight_{ref}",
            p.value_usd,
            "usd",
            g("USD value of pledge %(ref)s") % {"ref": ref},
            f"/api/v1/pledges/{ref}",
            field="value_usd" if p.value_usd is not None else "",
        )
        if p.value_usd is None:
            value.missing = g("the pledge states no value in USD")
        published = [r for r in p.reports if r.review_state == "published"]
        text = f"{p.title} — {p.pledger.name}. {p.description.strip()[:700]}"
        out.append(Paragraph.of(text.replace("%", "%%") + " " + g("Value: %(value)s."), value=value))
        if published:
            last = published[-1]
            out.append(
                Paragraph(
                    [
                        g("Last published progress report (%(year)s): %(status)s, %(people)s people reached.")
                        % {
                            "year": last.year,
                            "status": label_in(language, "status", last.status),
                            "people": last.people_reached if last.people_reached is not None else "–",
                        }
                    ]
                )
            )
    return out


def _sources(session: Session, c: Any, as_of: dt.date, g: Callable[[str], str]) -> list[SourceEdition]:
    """The registry and every dataset the connectivity figures rest on, with its edition and load date."""
    found = [SourceEdition(g("Partner2Connect registry"), g("as of %(date)s") % {"date": as_of.isoformat()})]
    if c is None:
        return found
    seen: set[Any] = set()
    for _code, e in sorted(c.editions.items()):
        if e.get("load_id") in seen:
            continue
        seen.add(e.get("load_id"))
        loaded = e.get("loaded_at")
        when = g("loaded %(date)s") % {"date": loaded.date().isoformat()} if isinstance(loaded, dt.datetime) else ""
        edition = ", ".join(x for x in (str(e.get("edition") or ""), when) if x)
        found.append(SourceEdition(str(e.get("dataset") or e.get("source") or ""), edition))
    return found
