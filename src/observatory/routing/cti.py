"""A check of our foreign-transit figures against CAIDA's Country-level Transit Influence (CTI) results.

CAIDA (Gamero-Garrido et al., PAM 2022) publish, for March 2020, a country-level transit fraction
T(C) (``country.transit.summary.202003.csv``, column ``transit_w_scaled``; ``meet_cti`` marks the 75
countries their CTI analysis covers). We rank the countries both cover by each figure and report
Spearman's rank correlation and the countries whose ranks differ most, with the inputs that explain
them. It is a check of plausibility, not a target: the two figures measure different things
(docs/routing-transit.md).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from observatory import reference
from observatory.sources import SourceError, read_bytes

CTI_COLUMNS = {"cc", "transit_w", "orig_frac", "transit_w_scaled", "meet_cti"}
# Below this share of a country's registered ASes with known relationships, our figure rests on a
# minority of its networks; such countries are compared but flagged.
LOW_COVERAGE = 0.5


def read_cti(path: Path) -> pl.DataFrame:
    """CAIDA's ``country.transit.summary`` CSV: ``country`` (alpha-3), ``cti_transit`` (T(C),
    ``transit_w_scaled``), ``orig_frac``, ``meet_cti``. Raises :class:`SourceError` naming the line."""
    try:
        table = pl.read_csv(io.BytesIO(read_bytes(path)), infer_schema=False)
    except pl.exceptions.PolarsError as e:
        raise SourceError(path, f"not a CSV file: {e}") from None
    missing = CTI_COLUMNS - set(table.columns)
    if missing:
        raise SourceError(path, f"missing columns: {', '.join(sorted(missing))}")
    table = table.with_row_index("line", offset=2).with_columns(
        pl.col("transit_w_scaled").cast(pl.Float64, strict=False).alias("cti_transit"),
        pl.col("orig_frac").cast(pl.Float64, strict=False),
        (pl.col("meet_cti").str.to_lowercase() == "true").alias("meet_cti"),
        pl.col("cc").map_elements(reference.country_code, return_dtype=pl.String).alias("country"),
    )
    bad = table.filter(pl.col("cti_transit").is_null() | pl.col("country").is_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise SourceError(
            path, f"country {row['cc']!r} with transit_w_scaled {row['transit_w_scaled']!r}", line=row["line"]
        )
    return table.select("country", "cti_transit", "orig_frac", "meet_cti")


def spearman(x: pl.Series | list[float], y: pl.Series | list[float]) -> float | None:
    """Spearman's rank correlation (polars: Pearson's correlation of the ranks, ties given their average rank).
    None with fewer than 3 pairs or when one side is constant."""
    frame = pl.DataFrame({"x": list(x), "y": list(y)}, schema={"x": pl.Float64, "y": pl.Float64})
    if frame.height < 3 or frame["x"].n_unique() < 2 or frame["y"].n_unique() < 2:
        return None
    return float(frame.select(pl.corr("x", "y", method="spearman")).item())


@dataclass
class CtiComparison:
    """Our figure against CAIDA's T(C): Spearman's rank correlation over every compared country and over the
    well-covered ones, and each country's ranks with the reasons a large difference suggests."""

    n: int
    spearman: float | None
    spearman_covered: float | None  # only countries with coverage ≥ LOW_COVERAGE
    n_covered: int
    rows: pl.DataFrame  # every compared country, largest rank difference first

    def as_json(self, top: int = 10) -> dict[str, Any]:
        """The correlations and the ``top`` largest disagreements, as ``routing cti --format json`` prints them."""
        return {
            "n": self.n,
            "spearman": self.spearman,
            "n_covered": self.n_covered,
            "spearman_covered": self.spearman_covered,
            "disagreements": self.rows.head(top).to_dicts(),
        }


def compare(ours: pl.DataFrame, cti: pl.DataFrame, column: str = "foreign_transit_share") -> CtiComparison:
    """Compare ``ours[column]`` (rows of :func:`observatory.routing.transit.transit_table`) with CAIDA's
    T(C) over the countries both have (CAIDA's 75 ``meet_cti`` countries). Ranks are percentiles within the
    compared set; each row gets the reasons its inputs suggest for a large difference."""
    both = (
        cti.filter(pl.col("meet_cti"))
        .join(
            ours.select("country", pl.col(column).alias("ours"), "coverage", "known_asns", "registered_asns"),
            on="country",
        )
        .filter(pl.col("ours").is_not_null())
    )
    n = both.height
    both = both.with_columns(
        (pl.col("ours").rank("average") / max(n, 1)).alias("rank_ours"),
        (pl.col("cti_transit").rank("average") / max(n, 1)).alias("rank_cti"),
    ).with_columns((pl.col("rank_ours") - pl.col("rank_cti")).alias("rank_difference"))
    reasons = pl.concat_list(
        pl.when(pl.col("coverage") < LOW_COVERAGE)
        .then(
            pl.format(
                "low coverage: {} of {} registered ASes have known relationships", "known_asns", "registered_asns"
            )
        )
        .otherwise(None),
        pl.when(pl.col("known_asns") < 5).then(pl.lit("few networks: a single AS moves the figure")).otherwise(None),
        pl.when(pl.col("orig_frac") < 0.8)
        .then(pl.format("CAIDA sees part of the address space (orig_frac {})", pl.col("orig_frac").round(2)))
        .otherwise(None),
        pl.when(pl.col("rank_difference") > 0)
        .then(pl.lit("method: we count each network's direct foreign providers; T(C) weighs address space"))
        .otherwise(pl.lit("method: domestic gateways hide foreign transit one level up, which T(C) still sees")),
    ).list.drop_nulls()
    rows = both.with_columns(reasons.alias("reasons")).sort(pl.col("rank_difference").abs(), descending=True)
    covered = rows.filter(pl.col("coverage") >= LOW_COVERAGE)
    return CtiComparison(
        n=n,
        spearman=spearman(rows["ours"], rows["cti_transit"]),
        spearman_covered=spearman(covered["ours"], covered["cti_transit"]),
        n_covered=covered.height,
        rows=rows.select(
            "country",
            "ours",
            "cti_transit",
            "rank_ours",
            "rank_cti",
            "rank_difference",
            "coverage",
            "known_asns",
            "registered_asns",
            "orig_frac",
            "reasons",
        ),
    )
