"""Transit vs. peering per country, the computation: who the country's networks buy transit from, how much of
it is foreign, how concentrated the foreign upstreams are, and how much of the country's transit dependency falls
on foreign networks.

Pure polars over frames: AS relationships (provider, customer, relationship), the RIR registry (asn, country),
APNIC user estimates (asn, country, users) and stored country dependency. Reading them from the loaded snapshots
and putting a country's or a group's picture together is :mod:`observatory.routing.service`'s; every definition
is in docs/routing-transit.md.
"""

from __future__ import annotations

from typing import Any

import polars as pl

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
# The frames the figures are computed from.
LINK_SCHEMA = {"provider": pl.Int64, "customer": pl.Int64, "relationship": pl.Int64}
REGISTRY_SCHEMA = {"asn": pl.Int64, "country": pl.String}
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
