"""``observatory activities …``: the registry of activities on IP-based networks on the command line (list,
import, export, load the curated starting set). The command line acts as the secretariat."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from observatory.activities import files, service
from observatory.auth import CLI
from observatory.db import transaction

app = typer.Typer(help="Activities on IP-based networks: list, import and export.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@app.command("import")
def activities_import(
    file: Annotated[
        Path | None, typer.Argument(help="CSV, XLSX or ODS file (default: the curated starting set shipped).")
    ] = None,
) -> None:
    """Import activities from a CSV, XLSX or ODS file, all or nothing; the same file twice changes nothing."""
    path = file or files.seed_path()
    if not path.is_file():
        err.print(f"[red]error:[/red] {path}: no such file")
        raise typer.Exit(1)
    try:
        with transaction() as session:
            result = files.import_file(session, path.read_bytes(), path.name, CLI.name)
    except files.ImportRejected as exc:
        for e in exc.errors:
            typer.echo(f"{path}: {e}", err=True)
        err.print(f"[red]error:[/red] {exc.count} problem(s); nothing was imported")
        raise typer.Exit(1) from exc
    out.print(f"{len(result.created)} created, {len(result.updated)} updated, {result.unchanged} unchanged")


@app.command("export")
def activities_export(
    out_path: Annotated[Path, typer.Option("--out", help="File to write.")],
    format: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
) -> None:
    """Export every activity (not withdrawn) in the import format, as CSV or XLSX."""
    if format not in ("csv", "xlsx"):
        err.print("[red]error:[/red] --format must be csv or xlsx")
        raise typer.Exit(2)
    with transaction(writes=False) as session:
        records = service.list_activities(session)
    if format == "csv":
        out_path.write_text(files.csv_text(records), encoding="utf-8")
    else:
        out_path.write_bytes(files.xlsx_bytes(records))
    out.print(f"{len(records)} activities written to {out_path}")


@app.command("list")
def activities_list(
    year: Annotated[int | None, typer.Option(help="Only activities whose period includes this year.")] = None,
) -> None:
    """List the activities: reference, organisation, date, title, and whether checked."""
    with transaction(writes=False) as session:
        records = service.list_activities(session, service.ActivityFilter(year=[year] if year else []))
    for r in records:
        mark = "checked" if r.checked else "to check"
        out.print(f"{r.ref}  {r.organisation:<20} {r.starts:<10} {mark:<8}  {r.title}", highlight=False)
    out.print(f"{len(records)} activities")
