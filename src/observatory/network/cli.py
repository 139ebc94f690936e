"""``observatory network``: load Internet infrastructure data and read its indicators."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from observatory.db import transaction
from observatory.exports import SafeWriter
from observatory.network import service
from observatory.reference import UnknownArea
from observatory.sources import is_url

app = typer.Typer(
    help="Internet infrastructure: IXPs, networks, address space, IPv6 (Resolution 101).", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)


def _locations(items: list[str]) -> list[str]:
    """Paths and addresses; a folder stands for its files, in name order (quarterly series load in order)."""
    found: list[str] = []
    for item in items:
        path = Path(item)
        if not is_url(item) and path.is_dir():
            found.extend(str(p) for p in sorted(path.iterdir()) if p.is_file() and not p.name.startswith("."))
        else:
            found.append(item)
    return found


@app.command("ingest")
def ingest(
    source: Annotated[str, typer.Argument(help=f"One of: {', '.join(service.sources())}.")],
    locations: Annotated[list[str], typer.Argument(help="Files, folders or http(s) addresses; each is one snapshot.")],
) -> None:
    """Load one or more files of a source, each as a dated snapshot in its own transaction."""
    try:
        service.source(source)
    except KeyError as e:
        err.print(f"[red]error:[/red] {e.args[0]}", highlight=False)
        raise typer.Exit(2) from None
    todo = _locations(locations)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(source, total=len(todo))

        def advance(location: str) -> None:
            bar.update(task, description=Path(location).name, advance=1)

        done = service.ingest(source, todo, progress=advance)
    for item in done:
        name = Path(item.location).name
        if item.error:
            err.print(f"[red]error:[/red] {item.error} (nothing loaded from this file)")
            continue
        assert item.result is not None
        r = item.result
        skipped = ", ".join(f"{n} {why}" for why, n in r.skipped.items())
        out.print(
            f"{name}: snapshot {r.data_date} ({r.edition}), {r.rows} rows"
            + (f"; skipped {skipped}" if skipped else "")
            + "".join(f"; {n}" for n in r.notes)
        )
    if any(item.error for item in done):
        raise typer.Exit(1)


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err.print(f"[red]error:[/red] --date {value!r} is not YYYY-MM-DD")
        raise typer.Exit(2) from None


def _format(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value != int(value) or (abs(value) < 1 and value) else f"{int(value):,}"


@app.command("show")
def show(
    country: Annotated[str, typer.Option("--country", help="ISO alpha-2 or alpha-3 code, or a group (LDC, africa…).")],
    date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD: the latest snapshot on or before it.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only indicators from this source.")] = None,
    format: Annotated[str, typer.Option("--format", help="json or table")] = "table",
) -> None:
    """A country's (or group's) infrastructure indicators with their sources and snapshot dates."""
    if format not in ("json", "table"):
        err.print("[red]error:[/red] --format must be json or table")
        raise typer.Exit(2)
    on = _day(date)
    try:
        with transaction() as session:
            document: dict[str, Any] = service.area_indicators(session, country, on, source)
    except UnknownArea as e:
        err.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(2) from None
    code, values = document["country"], document["indicators"]
    if format == "json":
        json.dump(document, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    table = Table(title=f"{code}" + (f" on {date}" if date else ""))
    group = any("published" in v for v in values.values())
    for column in ("indicator", "value", "date", "source", *(["coverage"] if group else [])):
        table.add_column(column, justify="right" if column in ("value", "coverage") else "left")
    for key, v in values.items():
        sources = ", ".join(v["sources"]) if "sources" in v else v["source"]
        if not v.get("covered", True) or not v.get("published", True):
            value = "not covered: " + ", ".join(v["missing"]) if v["missing"] else "not covered"
        else:
            value = _format(v["value"])
        extra = [f"{v['coverage']:.1%}"] if group else []
        table.add_row(key, value, v["date"], sources, *extra)
    out.print(table if values else f"No infrastructure indicators for {code} yet.")


@app.command("export")
def export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
) -> None:
    """Every indicator value (country, code, date, value, source, snapshot date), for analysts."""
    if format not in ("csv", "json"):
        err.print("[red]error:[/red] --format must be csv or json")
        raise typer.Exit(2)
    columns = service.EXPORT_COLUMNS
    with transaction(writes=False) as session:
        rows = service.export_rows(session)
    fh = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if format == "csv":
            writer = SafeWriter(fh)
            writer.writerow(columns)
            writer.writerows(rows)
        else:
            json.dump(
                [{c: (str(v) if isinstance(v, dt.date) else v) for c, v in zip(columns, r, strict=True)} for r in rows],
                fh,
                indent=0,
            )
            fh.write("\n")
    finally:
        if output:
            fh.close()


@app.command("indicators")
def indicators() -> None:
    """The indicator codes and how a group aggregates them (definitions: docs/network.md)."""
    for code, kind in service.CODES.items():
        out.print(f"{code}\t{kind}")
