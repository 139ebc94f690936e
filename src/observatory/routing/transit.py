"""Transit vs. peering per country: who the country's networks buy transit from, how much of it is foreign,
how concentrated the foreign upstreams are, and how much the country depends on foreign transit.

Inputs are snapshots other capabilities load: CAIDA AS relationships (``net_as_link``), the RIR registry
(``asn_countries``), APNIC user estimates (``eyeballs``), the IXP indicators of ``observatory.network``
and, when present, the stored country dependency (AS hegemony, ``routing_country_dependency``). The
figures are computed here, in polars, from whatever is loaded; every definition is in
docs/routing-transit.md and each result says which inputs and how much coverage it rests on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory import reference
from observatory.network import asn_countries, country_indicators, eyeballs, group_indicators
from observatory.network.models import AsLink
from observatory.routing.models import CountryDependency
from observatory.routing.service import top_dependencies
from observatory.sources import SourceLoad

ASREL = "caida_asrel"
GROUP_FIGURES = (
    "registered_asns",
    "known_asns",
    "coverage",
    "foreign_transit_share",
    "foreign_transit_share_users",
    "foreign_link_share",
    "median_foreign_upstreams",
    "median_hhi_foreign",
)
IXP_CODES = ("asn_at_domestic_ixp_share", "eyeball_share_at_domestic_ixp")

LINK_SCHEMA = {"provider": pl.Int64, "customer": pl.Int64, "relationship": pl.Int64}
COUNTRY_COLUMNS = [
    "country",
    "registered_asns",
    "known_asns",
    "coverage",
    "transit_links",
    "foreign_transit_links",
    "peering_links",
    "foreign_peering_links",
    "domestic_providers",
    "foreign_upstreams",
    "hhi_foreign",
    "hhi_foreign_users",
    "foreign_transit_share",
    "foreign_transit_num",
    "foreign_transit_den",
    "foreign_transit_share_users",
    "foreign_transit_users_num",
    "foreign_transit_users_den",
]


# ------------------------------------------------------------------ the computation (pure polars)


def _classify(links: pl.DataFrame, registry: pl.DataFrame) -> pl.DataFrame:
    """Each link once per side that is registered in a country: ``country``, ``asn`` (that side),
    ``other``, ``other_country``, ``role`` (customer, provider or peer, as ``asn`` plays it)."""
    reg = registry.select("asn", "country")
    p2c = links.filter(pl.col("relationship") == -1)
    p2p = links.filter(pl.col("relationship") == 0)
    sides = [
        p2c.select(
            pl.col("customer").alias("asn"), pl.col("provider").alias("other"), pl.lit("customer").alias("role")
        ),
        p2c.select(
            pl.col("provider").alias("asn"), pl.col("customer").alias("other"), pl.lit("provider").alias("role")
        ),
        p2p.select(pl.col("provider").alias("asn"), pl.col("customer").alias("other"), pl.lit("peer").alias("role")),
        p2p.select(pl.col("customer").alias("asn"), pl.col("provider").alias("other"), pl.lit("peer").alias("role")),
    ]
    both = pl.concat(sides).unique()
    return both.join(reg, on="asn", how="inner").join(
        reg.rename({"asn": "other", "country": "other_country"}), on="other", how="left"
    )


def _hhi(frame: pl.DataFrame, weight: str) -> pl.DataFrame:
    """Herfindahl–Hirschman index per country over foreign upstreams: each customer's ``weight`` is
    split equally among its foreign providers; HHI = Σ (provider's share)², in [0, 1]."""
    split = frame.with_columns((pl.col(weight) / pl.len().over("country", "asn")).alias("w"))
    per = split.group_by("country", "other").agg(pl.col("w").sum())
    return per.group_by("country").agg(
        pl.when(pl.col("w").sum() > 0).then(((pl.col("w") / pl.col("w").sum()) ** 2).sum()).alias("hhi")
    )


def transit_table(links: pl.DataFrame, registry: pl.DataFrame, users: pl.DataFrame | None = None) -> pl.DataFrame:
    """The transit/peering figures of every country with registered ASes, from AS relationships.

    ``links``: provider, customer, relationship (-1 provider→customer, 0 peers; 1 siblings ignored);
    ``registry``: asn, country (where each AS is registered); ``users``: asn, country, users (APNIC),
    optional. One row per country, columns ``COUNTRY_COLUMNS`` (definitions: docs/routing-transit.md).
    A provider is foreign when it is not registered in the country (unregistered counts as foreign)."""
    registry = registry.unique("asn")
    sided = _classify(links, registry)
    sided = sided.with_columns((pl.col("other_country") != pl.col("country")).fill_null(True).alias("foreign"))
    registered = registry.group_by("country").agg(pl.len().alias("registered_asns"))
    known = sided.group_by("country").agg(pl.col("asn").n_unique().alias("known_asns"))
    customer = sided.filter(pl.col("role") == "customer")
    counts = (
        sided.group_by("country")
        .agg(
            (pl.col("role") == "customer").sum().alias("transit_links"),
            ((pl.col("role") == "customer") & pl.col("foreign")).sum().alias("foreign_transit_links"),
            # a peering link between two of the country's networks is listed from both sides: count it once
            pl.struct(pl.min_horizontal("asn", "other").alias("lo"), pl.max_horizontal("asn", "other").alias("hi"))
            .filter(pl.col("role") == "peer")
            .n_unique()
            .alias("peering_links"),
            ((pl.col("role") == "peer") & pl.col("foreign")).sum().alias("foreign_peering_links"),
        )
        .join(
            customer.group_by("country").agg(
                pl.col("other").filter(~pl.col("foreign")).n_unique().alias("domestic_providers"),
                pl.col("other").filter(pl.col("foreign")).n_unique().alias("foreign_upstreams"),
            ),
            on="country",
            how="left",
        )
    )
    user_weight = (
        users.group_by("asn", "country").agg(pl.col("users").sum().cast(pl.Float64))
        if users is not None and users.height
        else pl.DataFrame(schema={"asn": pl.Int64, "country": pl.String, "users": pl.Float64})
    )
    foreign = customer.filter(pl.col("foreign")).with_columns(pl.lit(1.0).alias("one"))
    foreign = foreign.join(user_weight, on=["asn", "country"], how="left").with_columns(pl.col("users").fill_null(0.0))
    hhi = _hhi(foreign, "one").join(
        _hhi(foreign, "users").rename({"hhi": "hhi_foreign_users"}), on="country", how="left"
    )
    # Per AS with at least one provider: the share of its providers that are foreign.
    members = customer.group_by("country", "asn").agg(pl.col("foreign").mean().alias("f"))
    members = members.join(user_weight, on=["asn", "country"], how="left").with_columns(pl.col("users").fill_null(0.0))
    share = members.group_by("country").agg(
        pl.col("f").sum().alias("foreign_transit_num"),
        pl.len().cast(pl.Float64).alias("foreign_transit_den"),
        (pl.col("f") * pl.col("users")).sum().alias("foreign_transit_users_num"),
        pl.col("users").sum().alias("foreign_transit_users_den"),
    )
    out = (
        registered.join(known, on="country", how="left")
        .join(counts, on="country", how="left")
        .join(hhi.rename({"hhi": "hhi_foreign"}), on="country", how="left")
        .join(share, on="country", how="left")
        .with_columns(pl.col("known_asns").fill_null(0))
        .with_columns(
            (pl.col("known_asns") / pl.col("registered_asns")).alias("coverage"),
            _ratio("foreign_transit_num", "foreign_transit_den").alias("foreign_transit_share"),
            _ratio("foreign_transit_users_num", "foreign_transit_users_den").alias("foreign_transit_share_users"),
        )
    )
    return out.select(COUNTRY_COLUMNS).sort("country")


def _ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den))


def providers(
    links: pl.DataFrame, registry: pl.DataFrame, country: str, users: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The providers of ``country``'s ASes: ``asn``, ``country`` (where the provider is registered, null when
    unknown), ``domestic``, ``customers`` (the country's ASes it serves), ``users`` (their APNIC users),
    most customers first."""
    registry = registry.unique("asn")
    customer = _classify(links, registry).filter((pl.col("role") == "customer") & (pl.col("country") == country))
    if users is not None and users.height:
        customer = customer.join(
            users.group_by("asn", "country").agg(pl.col("users").sum()), on=["asn", "country"], how="left"
        )
    else:
        customer = customer.with_columns(pl.lit(None, pl.Int64).alias("users"))
    return (
        customer.group_by("other")
        .agg(
            pl.col("other_country").first().alias("country"),
            (pl.col("other_country") == country).fill_null(False).first().alias("domestic"),
            pl.col("asn").n_unique().alias("customers"),
            pl.col("users").sum().alias("users"),
        )
        .rename({"other": "asn"})
        .sort(["customers", "asn"], descending=[True, False])
    )


def hegemony_foreign_share(dependency: pl.DataFrame, registry: pl.DataFrame, country: str) -> dict[str, Any] | None:
    """Share of ``country``'s transit dependency (AS hegemony, transit only) that falls on foreign ASes:
    Σ over ASes not registered in the country of ``transit_dependency`` / Σ over all ASes. Also the
    plain sum over foreign ASes (it can exceed 1: one path crosses several ASes) and the largest one."""
    dep = dependency.filter(pl.col("country") == country).join(
        registry.unique("asn").rename({"country": "as_country"}), on="asn", how="left"
    )
    dep = dep.with_columns((pl.col("as_country") != country).fill_null(True).alias("foreign"))
    total = float(dep["transit_dependency"].sum()) if dep.height else 0.0
    if total <= 0:
        return None
    foreign = dep.filter(pl.col("foreign"))
    top = foreign.sort("transit_dependency", descending=True).head(1)
    return {
        "share": float(foreign["transit_dependency"].sum()) / total,
        "foreign_sum": float(foreign["transit_dependency"].sum()),
        "largest_foreign_asn": int(top["asn"][0]) if top.height else None,
        "largest_foreign_dependency": float(top["transit_dependency"][0]) if top.height else None,
    }


def group_summary(table: pl.DataFrame, members: list[str]) -> dict[str, Any]:
    """A group's figures from its members' rows of :func:`transit_table`: counts and shares pooled
    (Σ numerators / Σ denominators over the members' ASes), HHI and upstream counts as the median member."""
    rows = table.filter(pl.col("country").is_in(members) & (pl.col("known_asns") > 0))
    if rows.height == 0:
        return {"countries": 0, "members": len(members)} | dict.fromkeys(GROUP_FIGURES)

    def pooled(num: str, den: str) -> float | None:
        d = rows[den].sum()
        return float(rows[num].sum()) / float(d) if d else None

    return {
        "countries": rows.height,
        "members": len(members),
        "registered_asns": int(rows["registered_asns"].sum()),
        "known_asns": int(rows["known_asns"].sum()),
        "coverage": pooled("known_asns", "registered_asns"),
        "foreign_transit_share": pooled("foreign_transit_num", "foreign_transit_den"),
        "foreign_transit_share_users": pooled("foreign_transit_users_num", "foreign_transit_users_den"),
        "foreign_link_share": pooled("foreign_transit_links", "transit_links"),
        "median_foreign_upstreams": _median(rows["foreign_upstreams"]),
        "median_hhi_foreign": _median(rows["hhi_foreign"]),
    }


def _median(values: pl.Series) -> float | None:
    m = values.drop_nulls().median()
    return float(m) if isinstance(m, int | float) else None


# ------------------------------------------------------------------ reading the stored snapshots


@dataclass
class Inputs:
    """What the figures are computed from, with the snapshots they come from."""

    links: pl.DataFrame
    registry: pl.DataFrame
    users: pl.DataFrame
    asrel_loads: list[dict[str, Any]] = field(default_factory=list)
    date: dt.date | None = None


def load_inputs(session: Session, on: dt.date | None = None) -> Inputs:
    """AS relationships from every loaded CAIDA snapshot dated on or before ``on`` (a pair seen in
    several keeps the newest snapshot's relationship: the shared data are subsets of one CAIDA release),
    with the registry state and APNIC estimates as of the newest of them."""
    stmt = select(SourceLoad).where(SourceLoad.source == ASREL, SourceLoad.id.in_(select(AsLink.load_id).distinct()))
    loads = [x for x in session.scalars(stmt) if on is None or (x.data_date or dt.date.min) <= on]
    loads.sort(key=lambda x: (x.data_date or dt.date.min, x.id))
    if not loads:
        empty = pl.DataFrame(schema=LINK_SCHEMA)
        return Inputs(empty, pl.DataFrame(schema={"asn": pl.Int64, "country": pl.String}), pl.DataFrame())
    rank = {x.id: i for i, x in enumerate(loads)}
    a = AsLink
    rows = session.execute(select(a.load_id, a.asn1, a.asn2, a.relationship).where(a.load_id.in_(list(rank)))).all()
    links = pl.DataFrame(
        rows,
        schema={"load_id": pl.Int64, "provider": pl.Int64, "customer": pl.Int64, "relationship": pl.Int64},
        orient="row",
    )
    pair = [
        pl.min_horizontal("provider", "customer").alias("lo"),
        pl.max_horizontal("provider", "customer").alias("hi"),
    ]
    links = (
        links.with_columns(pl.col("load_id").replace_strict(rank, return_dtype=pl.Int64).alias("rank"), *pair)
        .sort("rank")
        .unique(["lo", "hi"], keep="last")
        .select(list(LINK_SCHEMA))
    )
    date = loads[-1].data_date
    return Inputs(
        links,
        asn_countries(session, date),
        eyeballs(session, date),
        [{"edition": x.edition, "data_date": x.data_date.isoformat() if x.data_date else None} for x in loads],
        date,
    )


def _dependency_frame(session: Session, country: str | None = None) -> dict[str, tuple[dt.date, pl.DataFrame]]:
    """Per weighting, the newest stored date's IPv4 country dependency (of ``country``, or of all)."""
    c = CountryDependency
    out: dict[str, tuple[dt.date, pl.DataFrame]] = {}
    for weighting in ("as", "eyeball"):
        where = [c.weighting == weighting, c.af == 4]
        if country:
            where.append(c.country == country)
        latest = session.scalar(select(c.data_date).where(*where).order_by(c.data_date.desc()).limit(1))
        if latest is None:
            continue
        rows = session.execute(
            select(c.country, c.asn, c.dependency, c.transit_dependency).where(*where, c.data_date == latest)
        ).all()
        schema = {"country": pl.String, "asn": pl.Int64, "dependency": pl.Float64, "transit_dependency": pl.Float64}
        out[weighting] = (latest, pl.DataFrame(rows, schema=schema, orient="row"))
    return out


def _row(table: pl.DataFrame, country: str) -> dict[str, Any] | None:
    found = table.filter(pl.col("country") == country)
    return found.row(0, named=True) if found.height else None


def country_transit(session: Session, country: str, inputs: Inputs | None = None) -> dict[str, Any]:
    """The transit/peering picture of one country (alpha-3): AS-relationship figures with their
    coverage, the providers of its networks, the IXP shares, the foreign share of its transit dependency
    (from stored AS hegemony when present), its top AS dependencies over time, and its groups' figures."""
    inputs = inputs or load_inputs(session)
    table = transit_table(inputs.links, inputs.registry, inputs.users)
    figures = _row(table, country)
    provider_rows = providers(inputs.links, inputs.registry, country, inputs.users)
    ixp = country_indicators(session, country)
    # Without AS relationships there is no snapshot date to take the registry at: its newest state.
    registry = inputs.registry if inputs.registry.height else asn_countries(session)
    hegemony: dict[str, Any] = {}
    for weighting, (date, frame) in _dependency_frame(session, country).items():
        found = hegemony_foreign_share(frame, registry, country)
        if found:
            hegemony[weighting] = {"date": date.isoformat(), **found}
    top = top_dependencies(session, country)
    where = dict(zip(registry["asn"].to_list(), registry["country"].to_list(), strict=True)) if top["top"] else {}
    for row in top["top"]:
        row["country"] = where.get(row["asn"])
        row["foreign"] = where.get(row["asn"]) != country
    return {
        "country": country,
        "as_relationships": {
            "snapshots": inputs.asrel_loads,
            "registry_date": inputs.date.isoformat() if inputs.date else None,
            "eyeballs": bool(inputs.users.height),
            "figures": _clean(figures),
            "providers": provider_rows.head(25).to_dicts(),
            "providers_total": provider_rows.height,
        },
        "ixp": {code: ixp[code].as_json() for code in IXP_CODES if code in ixp},
        "hegemony": hegemony,
        "top_dependencies": top,
        "groups": [
            {"group": g, **group_summary(table, _members(g)), "ixp": _group_ixp(session, g)}
            for g in country_groups(country)
        ],
    }


def _group_ixp(session: Session, group: str) -> dict[str, Any]:
    values = group_indicators(session, group)
    return {code: values[code]["value"] for code in IXP_CODES if code in values}


def group_transit(session: Session, group: str, inputs: Inputs | None = None) -> dict[str, Any]:
    """The transit/peering figures of a group (LDC, LLDC, SIDS or an ITU region), pooled over its members,
    and the members' own figures."""
    inputs = inputs or load_inputs(session)
    table = transit_table(inputs.links, inputs.registry, inputs.users)
    members = _members(group)
    rows = table.filter(pl.col("country").is_in(members) & (pl.col("known_asns") > 0)).sort(
        "foreign_transit_share", descending=True, nulls_last=True
    )
    return {
        "group": group,
        "as_relationships": {
            "snapshots": inputs.asrel_loads,
            "registry_date": inputs.date.isoformat() if inputs.date else None,
        },
        "summary": group_summary(table, members),
        "ixp": _group_ixp(session, group),
        "countries": [_clean(r) for r in rows.to_dicts()],
    }


def _members(group: str) -> list[str]:
    from observatory.network.service import group_countries

    return group_countries(group, dt.date.today())


def country_groups(country: str) -> list[str]:
    """The UN groups the country belongs to today, then its ITU region."""
    groups = [g for g in reference.COUNTRY_GROUPS if reference.in_group(g, country, dt.date.today())]
    found = reference.countries().get(country)
    if found and found.itu_region:
        groups.append(found.itu_region)
    return groups


def _clean(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop the numerator/denominator helpers from a figures row (the shares beside them say it)."""
    if row is None:
        return None
    return {k: v for k, v in row.items() if not k.endswith(("_num", "_den"))}
