"""Participation and implementation of a selection of published pledges, with the breakdowns that the
registry's summary does not give: where pledgers come from against where their pledges are implemented,
the beneficiary groups and SDGs pledges name, new pledgers, and what their progress reports record.

The counting rules are those of ``breakdowns`` (published pledges, each counted once; a pledge's value split
equally over its target countries). Progress reports count only when published, and only for the years up
to ``reports_to`` when it is given, so a year's figures do not move when next year's reports arrive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory import reference
from observatory.pledges.breakdowns import _cents, _usd, attribution, totals
from observatory.pledges.index import HEALTH
from observatory.pledges.models import Organisation, ProgressReport
from observatory.pledges.query import PledgeFilter

UNSPECIFIED = "unspecified"
GLOBAL = "global"


def _counts(values: list[str]) -> list[dict[str, Any]]:
    """How many times each value occurs, most frequent first."""
    counted: dict[str, int] = {}
    for v in values:
        counted[v] = counted.get(v, 0) + 1
    return [{"key": k, "pledges": c} for k, c in sorted(counted.items(), key=lambda kc: (-kc[1], kc[0]))]


def overview(
    session: Session, f: PledgeFilter | None = None, *, on: dt.date | None = None, reports_to: int | None = None
) -> dict[str, Any]:
    """Participation (organisations, pledgers, new pledgers in the last year of the selection, countries of
    pledgers and of targets, pledgers by type), implementation (reporting health on ``on``, status, USD
    committed and disbursed, people reached, by the published progress reports up to ``reports_to``), the
    attributed value by region of origin (the pledger's country's ITU region) and region of implementation,
    the pledges and their value by the event or campaign where they were announced ("unspecified": none
    named), the pledges naming each beneficiary group and each SDG, and those naming women (any group of
    women: "women", "women and girls")."""
    f = replace(f) if f is not None else PledgeFilter()
    f.review_state = ["published"]
    a = attribution(session, f)
    index, mask = a.index, a.mask
    n = index.size
    total = totals(a)
    selected = {int(i) for i in index.ids[mask]}
    on = on or dt.date.today()

    # Pledgers: the organisation of each selected pledge (the index's pledger key is its id), its country and type.
    pledger = index.single["pledger"]
    orgs = {
        str(i): (c, t)
        for i, c, t in session.execute(select(Organisation.id, Organisation.country, Organisation.stakeholder_type))
    }
    chosen = np.unique(pledger.code[mask])
    pledgers = {pledger.keys[c]: orgs.get(pledger.keys[c], (None, None)) for c in chosen}
    # A pledger is new in a year when its first published pledge (of any selection) was announced that year.
    published = index.single["review_state"].matching(["published"])
    announced = index.sort_keys["announced_on"]
    dated = published & ~np.isnan(announced)
    first = np.full(len(pledger.keys), np.inf)
    np.minimum.at(first, pledger.code[dated], announced[dated])
    years = {c: dt.date.fromordinal(int(first[c])).year for c in chosen if np.isfinite(first[c])}
    last_year = f.announced_by.year if f.announced_by else max(years.values(), default=on.year)
    new = [c for c, y in years.items() if y == last_year]
    by_type = _counts([t or UNSPECIFIED for _, t in pledgers.values()])
    targets = index.many["country"]
    target_countries = {targets.keys[k] for k in targets.key[mask[targets.pledge]]}

    # Implementation.
    health = index.health(on)
    health_counts = np.bincount(health.code[mask], minlength=len(HEALTH))
    status = index.single["status"]
    status_counts = np.bincount(status.code[mask], minlength=len(status.keys))
    report_rows = select(
        ProgressReport.pledge_id,
        func.coalesce(func.sum(ProgressReport.usd_committed), 0.0),
        func.coalesce(func.sum(ProgressReport.usd_disbursed), 0.0),
        func.coalesce(func.sum(ProgressReport.people_reached), 0),
        func.count(),
    ).where(ProgressReport.review_state == "published")
    if reports_to is not None:
        report_rows = report_rows.where(ProgressReport.year <= reports_to)
    money = [r for r in session.execute(report_rows.group_by(ProgressReport.pledge_id)).all() if r[0] in selected]
    committed = _usd(float(_cents(np.array([float(r[1] or 0.0) for r in money], dtype=np.float64)).sum()))
    disbursed = _usd(float(_cents(np.array([float(r[2] or 0.0) for r in money], dtype=np.float64)).sum()))
    people = sum(int(r[3] or 0) for r in money)
    due = int(mask.sum() - health_counts[HEALTH.index("not_due")])

    # Region of origin against region of implementation: the attributed value, cent by cent.
    known = reference.countries()

    def region_of(org: str) -> str:
        country = orgs.get(org, (None, None))[0]
        return (known[country].itu_region or UNSPECIFIED) if country in known else UNSPECIFIED

    by_pledger = [region_of(k) for k in pledger.keys]
    origin_keys = sorted(set(by_pledger))
    origin_code = np.array([origin_keys.index(r) for r in by_pledger], dtype=np.int64)[pledger.code]
    regions = index.many["region"]
    implementation_keys = [*regions.keys, GLOBAL]
    on_region = mask[regions.pledge]
    unlinked = np.flatnonzero(mask & ~targets.linked(n))
    pledge = np.concatenate([regions.pledge[on_region], unlinked])
    where = np.concatenate([regions.key[on_region], np.full(len(unlinked), len(regions.keys), dtype=np.int64)])
    cents = np.concatenate(
        [_cents(a.value[regions.pledge[on_region]] * regions.share[on_region]), a.value_cents[unlinked]]
    )
    width = len(implementation_keys)
    pair = origin_code[pledge] * width + where
    cells, inverse = np.unique(pair, return_inverse=True)
    pledges_in = np.bincount(inverse, minlength=len(cells))
    cents_in = np.bincount(inverse, weights=cents, minlength=len(cells))
    region_rows = [
        {
            "origin": origin_keys[int(c) // width],
            "implementation": implementation_keys[int(c) % width],
            "pledges": int(pledges_in[i]),
            "value_usd_attributed": _usd(float(cents_in[i])),
        }
        for i, c in enumerate(cells)
    ]
    # Where pledges were announced: the events and campaigns that drive the registry's growth.
    event = index.single["event"]
    event_pledges = np.bincount(event.code[mask], minlength=len(event.keys))
    event_cents = np.bincount(event.code[mask], weights=a.value_cents[mask], minlength=len(event.keys))
    order = sorted(
        (i for i in range(len(event.keys)) if event_pledges[i]), key=lambda i: (-event_pledges[i], event.keys[i])
    )
    events: list[dict[str, Any]] = [
        {"key": event.keys[i], "pledges": int(event_pledges[i]), "value_usd": _usd(float(event_cents[i]))}
        for i in order
    ]

    # Pledges naming women (or women and girls) among their beneficiaries, each counted once.
    groups = index.many["beneficiary_group"]
    naming_women = int((mask & groups.touching([k for k in groups.keys if "women" in k], n)).sum())

    def tagged(name: str) -> list[dict[str, Any]]:
        links = index.many[name]
        counts = np.bincount(links.key[mask[links.pledge]], minlength=len(links.keys))
        rows = [{"key": k, "pledges": int(counts[i])} for i, k in enumerate(links.keys) if counts[i]]
        return sorted(rows, key=lambda r: (-r["pledges"], r["key"]))

    return {
        "total": total,
        "participation": {
            "organisations": total["organisations"],
            "pledgers": len(pledgers),
            "new_pledgers": len(new),
            "new_in": last_year,
            "pledger_countries": len({c for c, _ in pledgers.values() if c}),
            "target_countries": len(target_countries),
            "pledgers_by_type": by_type,
        },
        "implementation": {
            "on": on.isoformat(),
            "reports_to": reports_to,
            "pledges": int(mask.sum()),
            "due": due,
            "reporting": len(money),
            "reporting_share": round(len(money) / due, 4) if due else None,
            "health": {h: int(health_counts[i]) for i, h in enumerate(HEALTH)},
            "status": {k: int(status_counts[i]) for i, k in enumerate(status.keys) if status_counts[i]},
            "committed_usd": committed,
            "disbursed_usd": disbursed,
            "people_reached": people,
        },
        "regions": region_rows,
        "events": events,
        "women": {"pledges": naming_women, "share": round(naming_women / int(mask.sum()), 4) if mask.any() else None},
        "beneficiary_groups": tagged("beneficiary_group"),
        "sdgs": tagged("sdg"),
    }
