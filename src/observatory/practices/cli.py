"""``observatory practices …``: list the library, import and export cases (CSV or XLSX), load the curated
starting set."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from observatory.auth import CLI
from observatory.db import transaction
from observatory.practices import files, service

app = typer.Typer(help="The best-practice library: list, review, import and export.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@app.command("list")
def list_cases() -> None:
    """The published cases: reference, country and title."""
    with transaction() as session:
        rows = [(p.reference, p.country or "—", p.title) for p in service.published_practices(session)]
    for ref, country, title in rows:
        out.print(f"{ref}  {country}  {title}", highlight=False)
    out.print(f"{len(rows)} published case(s)")


@app.command("import")
def import_cases(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A CSV (UTF-8) or XLSX file of cases.")],
) -> None:
    """Import cases from a CSV or XLSX file, all or nothing: every problem is listed with its line and column."""
    try:
        with transaction() as session:
            result = files.import_file(session, file, CLI)
    except files.ImportRejected as exc:
        for e in exc.errors:
            err.print(str(e), highlight=False)
        err.print(str(exc))
        raise typer.Exit(1) from exc
    out.print(f"Cases: {result.created} new, {result.updated} updated, {result.unchanged} unchanged")


@app.command("export")
def export_cases(
    out_path: Annotated[Path, typer.Option("--out", help="The file to write: .csv or .xlsx.", dir_okay=False)],
) -> None:
    """Export every case (every review state and column, the contact too) to a CSV or XLSX file that imports
    back unchanged."""
    with transaction(writes=False) as session:
        n = files.export_file(session, out_path)
    out.print(f"{n} case(s) written to {out_path}")


@app.command("seed")
def seed() -> None:
    """Load the curated starting set of real cases into an empty library (``observatory init`` does it too)."""
    with transaction() as session:
        n = files.load_seed(session, CLI)
    out.print(f"{n} curated case(s) loaded" if n else "The library has cases already: nothing loaded")
