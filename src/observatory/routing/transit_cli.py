"""``observatory routing transit`` and ``observatory routing cti``: transit vs. peering per country from the
loaded AS relationships, registry, APNIC and IXP data, and the check against CAIDA's CTI results."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from observatory.db import default_engine, transaction
from observatory.exports import frame_csv
from observatory.reference import country_code
from observatory.routing import cti, transit
from observatory.sources import SourceError

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class TransitFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _no_data() -> None:
    err.print("[red]error:[/red] no AS relationships loaded (observatory network ingest caida-asrel FILE…)")
    raise typer.Exit(1)


def _print_table(frame: pl.DataFrame, title: str) -> None:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(column, justify="right" if frame[column].dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*("–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
    out.print(table)


def transit_command(
    country: Annotated[
        str | None, typer.Option(help="ISO 3166-1 alpha-2 or alpha-3 code; without it, every country with data.")
    ] = None,
    format: Annotated[TransitFormat, typer.Option(help="Output format.")] = TransitFormat.table,
) -> None:
    """Transit vs. peering: providers of the country's networks (domestic or foreign), foreign upstreams and
    their concentration (HHI), shares at a domestic IXP, and the foreign share of transit dependency.

    --format json with --country prints exactly the body of GET /api/v1/routing/transit/{country}."""
    code = None
    if country is not None:
        code = country_code(country)
        if code is None:
            err.print(f"[red]error:[/red] unknown country code {country!r}")
            raise typer.Exit(2)
    with transaction(default_engine()) as session:
        inputs = transit.load_inputs(session)
        if inputs.links.height == 0 and code is None:
            _no_data()
        if code is None:
            frame = transit.transit_table(inputs.links, inputs.registry, inputs.users)
            frame = frame.filter(pl.col("known_asns") > 0).drop(pl.selectors.ends_with("_num", "_den"))
            _emit_frame(frame, format, "Transit vs. peering per country (AS relationships)")
            return
        picture = transit.country_transit(session, code, inputs)
    if format is TransitFormat.json:
        sys.stdout.write(json.dumps(picture, indent=1, default=str) + "\n")
        return
    figures = picture["as_relationships"]["figures"] or {"country": code}
    flat: dict[str, Any] = dict(figures)
    flat.update({code_: v["value"] for code_, v in picture["ixp"].items()})
    for weighting, found in picture["hegemony"].items():
        flat[f"hegemony_foreign_share_{weighting}"] = found["share"]
    frame = pl.DataFrame([flat])
    if format is TransitFormat.csv:
        sys.stdout.write(frame_csv(frame))
        return
    _print_table(frame.transpose(include_header=True, header_name="figure", column_names=["value"]), code)
    providers = pl.DataFrame(picture["as_relationships"]["providers"])
    if providers.height:
        _print_table(
            providers, f"Providers of {code}'s networks (top 25 of {picture['as_relationships']['providers_total']})"
        )
    if inputs.links.height == 0:
        err.print("no AS relationships loaded: only the IXP and hegemony figures are shown")


def _emit_frame(frame: pl.DataFrame, format: TransitFormat, title: str) -> None:
    if format is TransitFormat.json:
        sys.stdout.write(json.dumps(frame.to_dicts(), indent=1, default=str) + "\n")
    elif format is TransitFormat.csv:
        sys.stdout.write(frame_csv(frame))
    else:
        _print_table(frame, title)


def cti_command(
    summary: Annotated[
        Path, typer.Argument(help="CAIDA's country.transit.summary.202003.csv (CTI results, PAM 2022).")
    ],
    column: Annotated[
        str,
        typer.Option(help="Our figure to compare: foreign_transit_share, foreign_transit_share_users, hhi_foreign."),
    ] = "foreign_transit_share",
    top: Annotated[int, typer.Option(help="How many of the largest disagreements to list.")] = 10,
    format: Annotated[TransitFormat, typer.Option(help="Output format.")] = TransitFormat.table,
) -> None:
    """Spearman rank correlation of our foreign-transit figure with CAIDA's T(C) over the countries both
    cover, and the largest disagreements with their likely reasons (a check, not a target)."""
    if column not in transit.COUNTRY_COLUMNS:
        err.print(f"[red]error:[/red] unknown figure {column!r}")
        raise typer.Exit(2)
    try:
        theirs = cti.read_cti(summary)
    except SourceError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(1) from e
    with transaction(default_engine()) as session:
        inputs = transit.load_inputs(session)
    if inputs.links.height == 0:
        _no_data()
    result = cti.compare(transit.transit_table(inputs.links, inputs.registry, inputs.users), theirs, column)
    if format is TransitFormat.json:
        sys.stdout.write(json.dumps(result.as_json(top), indent=1) + "\n")
        return
    rows = result.rows.head(top).with_columns(pl.col("reasons").list.join("; "))
    if format is TransitFormat.csv:
        sys.stdout.write(frame_csv(rows))
        return
    spearman = "–" if result.spearman is None else f"{result.spearman:.3f}"
    covered = "–" if result.spearman_covered is None else f"{result.spearman_covered:.3f}"
    out.print(
        f"{column} vs CAIDA T(C): Spearman {spearman} over n = {result.n} countries; "
        f"{covered} over the n = {result.n_covered} with coverage ≥ {cti.LOW_COVERAGE:.0%}"
    )
    _print_table(rows, "Largest rank disagreements")
