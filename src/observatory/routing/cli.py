"""``observatory routing``: read BGP routing tables, compute AS hegemony and country dependency (``read``,
``hegemony``), transit vs. peering per country (``transit``) and the check against CAIDA's CTI (``cti``)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from observatory.db import default_engine, transaction
from observatory.exports import SafeDictWriter, frame_csv
from observatory.reference import UnknownArea, resolve_area
from observatory.routing import cti, service, transit
from observatory.routing.hegemony import ViewpointScores, country_dependency
from observatory.routing.mrt import read_rib
from observatory.routing.sources.routing_tables import RoutingResult, RoutingTables
from observatory.sources import SourceError

app = typer.Typer(help="BGP routing tables: AS hegemony and country dependency (Resolution 101).", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # a file name and offset stay on one line
out = Console(soft_wrap=True)


class Format(StrEnum):
    json = "json"
    csv = "csv"


class Weighting(StrEnum):
    as_ = "as"
    eyeball = "eyeball"


def _emit(rows: list[dict[str, Any]], fmt: Format, columns: list[str]) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
        return
    writer = SafeDictWriter(sys.stdout, columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)


def _country(value: str | None) -> str | None:
    """The alpha-3 code of a ``--country`` option (None without one); exits 2 when it names no country."""
    if value is None:
        return None
    try:
        area = resolve_area(value)
    except UnknownArea:
        area = None
    if area is None or not area.is_country:
        err.print(f"[red]error:[/red] unknown country code {value!r}")
        raise typer.Exit(2)
    return area.code


def _registry(eyeball: bool) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The newest RIR registry (and APNIC estimates) loaded by ``observatory network ingest``."""
    with transaction(default_engine()) as session:
        registry, users = service.registry(session, users=eyeball)
    if registry.height == 0:
        err.print("[red]error:[/red] no RIR delegation data loaded (observatory network ingest rir FILE…)")
        raise typer.Exit(1)
    if users is not None and users.height == 0:
        err.print(
            "[red]error:[/red] no APNIC eyeball estimates loaded (observatory network ingest apnic-eyeballs FILE)"
        )
        raise typer.Exit(1)
    return registry, users


@app.command("hegemony")
def hegemony_command(
    ribs: Annotated[
        list[Path], typer.Argument(help="MRT RIB dumps (TABLE_DUMP or TABLE_DUMP_V2; gzip, bz2 or plain).")
    ],
    origin: Annotated[int | None, typer.Option(help="Hegemony in the local graph of this origin AS.")] = None,
    country: Annotated[
        str | None, typer.Option(help="Dependency of this country (ISO code) on each AS, from the loaded RIR data.")
    ] = None,
    weighting: Annotated[
        Weighting, typer.Option(help="Country origins weigh 1 each, or their APNIC users.")
    ] = Weighting.as_,
    transit_only: Annotated[bool, typer.Option(help="With --country: leave out each AS's own prefixes.")] = False,
    af: Annotated[int, typer.Option(help="Address family: 4 or 6.")] = 4,
    format: Annotated[Format, typer.Option(help="Output format.")] = Format.json,
    limit: Annotated[int | None, typer.Option(help="Only the first N ASes.")] = None,
    store: Annotated[
        bool, typer.Option(help="Also store global hegemony and every country's dependency, dated.")
    ] = False,
    scheduler: Annotated[str | None, typer.Option(help="Address of a Dask scheduler to spread the files over.")] = None,
    workers: Annotated[int | None, typer.Option(help="Local processes (default: one per core).")] = None,
) -> None:
    """Print [{"asn", "hegemony"}] sorted by hegemony (with "date" when the files span several dates).

    With --country, "hegemony" is the country's dependency on the AS."""
    if af not in (4, 6):
        err.print("[red]error:[/red] --af must be 4 or 6")
        raise typer.Exit(2)
    code = _country(country)
    registry, users = _registry(weighting is Weighting.eyeball) if (code or store) else (None, None)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("reading RIB files", total=len(ribs))

        def done(scores: ViewpointScores) -> None:
            bar.update(task, description=Path(scores.source).name, advance=1)
            for kind, (count, first) in scores.skipped.items():
                err.print(f"{scores.source}: skipped {count} {kind} record(s), the first at byte {first}")

        source = RoutingTables(registry, users, af=af, scheduler=scheduler, workers=workers, on_done=done)
        try:
            results = source.compute(ribs)
        except SourceError as e:
            err.print(f"[red]error:[/red] {e}")
            raise typer.Exit(1) from e
    if store:
        for loaded in source.store(results, default_engine()):
            err.print(f"stored {loaded.rows} rows for {loaded.edition} (load {loaded.load_id})")
    rows: list[dict[str, Any]] = []
    for result in results:
        _report(result)
        frame = _answer(result, origin, code, weighting, transit_only, registry, users)
        if limit is not None:
            frame = frame.head(limit)
        stamp = {"date": result.date.isoformat()} if len(results) > 1 else {}
        rows += [{**stamp, "asn": r["asn"], "hegemony": r["hegemony"]} for r in frame.iter_rows(named=True)]
    _emit(rows, format, (["date"] if len(results) > 1 else []) + ["asn", "hegemony"])


def _answer(
    result: RoutingResult,
    origin: int | None,
    code: str | None,
    weighting: Weighting,
    transit_only: bool,
    registry: pl.DataFrame | None,
    users: pl.DataFrame | None,
) -> pl.DataFrame:
    if code is not None and registry is not None:
        dep = result.dependency.get(weighting.value)
        if dep is None:
            dep = country_dependency(result.hegemony.local, registry, users, country=code)
        value = "transit_dependency" if transit_only else "dependency"
        return (
            dep.filter(pl.col("country") == code)
            .select("asn", hegemony=pl.col(value))
            .filter(pl.col("hegemony") > 0)
            .sort(["hegemony", "asn"], descending=[True, False])
        )
    if origin is not None:
        return result.hegemony.local.filter(pl.col("origin") == origin).select("asn", "hegemony")
    return result.hegemony.global_


def _report(result: RoutingResult) -> None:
    """What was left out, on stderr: never a partial result presented as complete."""
    h = result.hegemony
    full = int(h.viewpoints["full"].sum())
    err.print(
        f"{result.date}: {full} of {h.viewpoints.height} viewpoints have a full table ({h.peer_ases} peer ASes); "
        + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in h.counts.items())
    )


@app.command("read")
def read_command(
    rib: Annotated[Path, typer.Argument(help="An MRT RIB dump.")],
    output: Annotated[Path | None, typer.Option(help="Write here (.csv or .parquet) instead of printing CSV.")] = None,
) -> None:
    """The RIB as a table: peer_ip, peer_asn, prefix, as_path (space-separated), origin."""
    try:
        parsed = read_rib(rib)
    except SourceError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(1) from e
    for kind, (count, first) in parsed.skipped.items():
        err.print(f"skipped {count} {kind} record(s), the first at byte {first}")
    table = parsed.table()
    if output is not None and output.suffix == ".parquet":
        table.write_parquet(output)
        return
    flat = table.with_columns(pl.col("as_path").cast(pl.List(pl.String)).list.join(" "))
    if output is not None:
        output.write_text(frame_csv(flat), encoding="utf-8")
    else:
        sys.stdout.write(frame_csv(flat))


# ---------------------------------------------------------------- transit vs. peering, and the CAIDA check


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

    --format json with --country prints exactly the body of GET /api/v1/areas/{country}/transit."""
    code = _country(country)
    with transaction(default_engine(), writes=False) as session:
        inputs = service.load_inputs(session)
        if inputs.links.height == 0 and code is None:
            _no_data()
        if code is None:
            frame = transit.transit_table(inputs.links, inputs.registry, inputs.users)
            frame = frame.filter(pl.col("known_asns") > 0).drop(pl.selectors.ends_with("_num", "_den"))
            _emit_frame(frame, format, "Transit vs. peering per country (AS relationships)")
            return
        picture = service.country_transit(session, code, inputs)
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
    with transaction(default_engine(), writes=False) as session:
        inputs = service.load_inputs(session)
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


app.command("transit")(transit_command)
app.command("cti")(cti_command)
