"""``observatory data load DIR``: every public data file of a folder, through its source."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(help="Public data files: load a whole folder of them.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@app.command("load")
def data_load(
    folder: Annotated[Path, typer.Argument(help="A folder laid out like shared/data (indicators/, network/).")],
) -> None:
    """Load every public data file the observatory reads from FOLDER (files already loaded are skipped)."""
    from observatory.data.service import jobs, load

    todo = jobs(folder)
    if not todo:
        err.print(f"[red]error:[/red] no known data files under {folder}")
        raise typer.Exit(1)
    counts = {"loaded": 0, "unchanged": 0, "failed": 0}
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task("loading", total=len(todo))
        for outcome in load(todo, progress=lambda job: bar.update(task, description=job.path.name[-40:])):
            bar.advance(task)
            counts[outcome.status] += 1
            if outcome.status != "unchanged":
                out.print(f"{outcome.status}: {outcome.job.source} {outcome.job.path.name}: {outcome.detail}",
                          highlight=False)  # fmt: skip
    out.print(", ".join(f"{n} {status}" for status, n in counts.items()))
    if counts["failed"]:
        raise typer.Exit(1)
