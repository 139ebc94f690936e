"""``observatory indicators``: load indicator editions, show them, compare editions, and the computed figures
(people offline, scores against the targets, projections, need against pledges)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from observatory.db import transaction
from observatory.exports import frame_csv
from observatory.indicators import service
from observatory.indicators.store import EditionNotFound, compare_editions, editions, observations
from observatory.reference import UnknownArea
from observatory.reference.areas import AGGREGATES
from observatory.sources import SourceError

app = typer.Typer(help="Connectivity indicators: editions, people offline, targets, projections.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
Format = Annotated[str, typer.Option("--format", help="table, csv or json")]


@contextmanager
def _errors() -> Iterator[None]:
    """Input and lookup errors as one clear line and exit status 1, never a traceback."""
    try:
        yield
    except (SourceError, UnknownArea, EditionNotFound, service.NoData) as e:
        err.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(1) from e
    except KeyError as e:
        err.print(f"[red]error:[/red] {e.args[0]}", highlight=False)
        raise typer.Exit(1) from e


def _codes(areas: list[str] | None) -> list[str] | None:
    """The store's codes of the areas typed (None when none was)."""
    return [service.area(a) for a in areas] if areas else None


def emit(frame: pl.DataFrame | list[dict[str, Any]] | dict[str, Any], format: str) -> None:
    """Print rows as a table, CSV or JSON (the API's body for the same question)."""
    if format not in ("table", "csv", "json"):
        err.print("[red]error:[/red] --format must be table, csv or json")
        raise typer.Exit(2)
    if format == "json":
        body = frame.to_dicts() if isinstance(frame, pl.DataFrame) else frame
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=1, default=str) + "\n")
        return
    rows = frame if isinstance(frame, pl.DataFrame) else pl.DataFrame(frame if isinstance(frame, list) else [frame])
    if format == "csv":
        sys.stdout.write(frame_csv(rows))
        return
    table = Table(*rows.columns)
    for row in rows.iter_rows():
        table.add_row(*("" if v is None else f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row))
    out.print(table)


@app.command("ingest")
def ingest(
    source: Annotated[str, typer.Argument(help=f"One of: {', '.join(service.sources())}.")],
    locations: Annotated[
        list[str] | None, typer.Argument(help="Files or http(s) addresses (default: the source's public address).")
    ] = None,
    edition: Annotated[str | None, typer.Option(help="Edition label, for files that do not state one.")] = None,
) -> None:
    """Load an edition of a source (each file in one transaction; a bad file changes nothing)."""
    try:
        kind = service.source(source)
    except KeyError as e:
        err.print(f"[red]error:[/red] {e.args[0]}", highlight=False)
        raise typer.Exit(1) from None
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with _errors(), Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        for location in locations or [kind.URL]:
            task = bar.add_task(location[-40:], total=None)

            def progress(done: int, total: int | None, task: TaskID = task) -> None:
                bar.update(task, completed=done, total=total)

            result = kind(edition).run(location, progress=progress)
            skipped = ", ".join(f"{n} {k}" for k, n in result.skipped.items())
            out.print(
                f"{location}: {result.rows} observations, edition {result.edition!r}"
                + (f" (skipped: {skipped})" if skipped else ""),
                highlight=False,
            )
            for note in result.notes:
                err.print(f"note: {note}", highlight=False)


@app.command("editions")
def list_editions(
    indicator: Annotated[str | None, typer.Option(help="Only editions holding this indicator.")] = None,
    format: Format = "table",
) -> None:
    """The loaded editions, newest first."""
    with _errors(), transaction(writes=False) as session:
        rows = [{**e, "indicators": ", ".join(e["indicators"])} for e in editions(session, indicator)]
    emit(rows if format == "json" else pl.DataFrame(rows, infer_schema_length=None), format)


@app.command("show")
def show(
    indicator: Annotated[str, typer.Argument(help="Indicator code, e.g. IT.NET.USER.ZS.")],
    area: Annotated[list[str] | None, typer.Option(help="Country (ISO) or aggregate; repeatable.")] = None,
    year: Annotated[list[int] | None, typer.Option(help="Year; repeatable.")] = None,
    edition: Annotated[str | None, typer.Option(help="Edition label (default: the latest).")] = None,
    format: Format = "table",
) -> None:
    """Observations of an indicator with their source and edition."""
    with _errors(), transaction(writes=False) as session:
        areas = _codes(area)
        emit(observations(session, indicator, areas, year, edition), format)


@app.command("compare-editions")
def compare(
    indicator: Annotated[str, typer.Argument(help="Indicator code.")],
    old: Annotated[str, typer.Argument(help="Edition label of the older edition.")],
    new: Annotated[str, typer.Argument(help="Edition label of the newer edition.")],
    area: Annotated[list[str] | None, typer.Option(help="Country or aggregate; repeatable.")] = None,
    changed_only: Annotated[bool, typer.Option(help="Only the values that differ.")] = False,
    format: Format = "table",
) -> None:
    """Two editions side by side: what was restated, added or dropped."""
    with _errors(), transaction(writes=False) as session:
        frame = compare_editions(session, indicator, old, new, _codes(area))
    if changed_only:
        frame = frame.filter(pl.col("change").is_null() | (pl.col("change").abs() > 1e-9))
    emit(frame, format)


@app.command("offline")
def people_offline(
    area: Annotated[str, typer.Option(help="Country (ISO) or aggregate (WORLD, LDC, africa, LIC …).")] = "WORLD",
    year: Annotated[int | None, typer.Option(help="Year (default: every year).")] = None,
    edition: Annotated[str | None, typer.Option(help="Edition label of the inputs (default: latest).")] = None,
    format: Format = "table",
) -> None:
    """People offline: population × (1 − Internet use), imputed where missing, with the observed share."""
    with _errors(), transaction(writes=False) as session:
        code = service.area(area)
        c = service.connectivity(session, edition)
        if year is not None:
            emit(service.offline_figure(c, code, year), format)
            return
        source = c.offline.aggregates if code in AGGREGATES else c.offline.countries
        rows = source.filter(pl.col("area") == code)
        if rows.height == 0:
            raise service.NoData(f"no people-offline figures for {code}")
        emit(rows, format)


@app.command("scores")
def scores(
    area: Annotated[list[str] | None, typer.Option(help="Country or aggregate; repeatable (default: all).")] = None,
    format: Format = "table",
) -> None:
    """Distance to each connectivity target and ITU's band (limited, satisfactory, advanced, met)."""
    with _errors(), transaction(writes=False) as session:
        emit(service.of_areas(service.connectivity(session).scores, _codes(area)), format)


@app.command("projections")
def projections(
    area: Annotated[list[str] | None, typer.Option(help="Country; repeatable (default: all).")] = None,
    format: Format = "table",
) -> None:
    """The year each country would reach 95 % Internet use at its recent pace, with the range."""
    with _errors(), transaction(writes=False) as session:
        emit(service.of_areas(service.connectivity(session).projections, _codes(area)), format)


@app.command("need")
def need(
    year: Annotated[int | None, typer.Option(help="Year of people offline (default: latest measured).")] = None,
    groups: Annotated[bool, typer.Option("--groups", help="Groups instead of countries.")] = False,
    top: Annotated[int, typer.Option(help="Countries to list, most underserved first.")] = 20,
    format: Format = "table",
) -> None:
    """People offline against USD pledged: the most underserved first."""
    with _errors(), transaction(writes=False) as session:
        result = service.need_and_pledges(session, service.connectivity(session), year)
    emit(result["groups"] if groups else result["countries"].head(top), format)
