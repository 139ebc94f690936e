"""``observatory data load DIR``: every public data file of a folder, through the source registry."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from observatory.areas import service as areas
from observatory.config import load_settings
from observatory.data.service import jobs, load
from observatory.db import transaction

app = typer.Typer(help="Public data files: load a whole folder of them.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@app.command("load")
def data_load(
    folder: Annotated[Path, typer.Argument(help="A folder laid out like shared/data (indicators/, network/).")],
) -> None:
    """Load every public data file the observatory reads from FOLDER (files already loaded are skipped).

    Each file loaded, left unchanged or refused is logged as it goes; failures are repeated at the end."""
    todo = jobs(folder)
    if not todo:
        err.print(f"[red]error:[/red] no known data files under {folder}")
        raise typer.Exit(1)
    counts = {"loaded": 0, "unchanged": 0, "failed": 0}
    for outcome in load(todo):
        counts[outcome.status] += 1
        if outcome.status == "failed":
            err.print(f"failed: {outcome.job.source} {outcome.job.path.name}: {outcome.detail}", highlight=False)
        elif outcome.status == "loaded" and ("left out:" in outcome.detail or "differ on" in outcome.detail):
            # What a file said that is not counted (unplaced IXPs, lines of another kind) or that an official
            # file overrides: said once per file, not only in the log.
            out.print(f"{outcome.job.source} {outcome.job.path.name}: {outcome.detail}", highlight=False)
    out.print(", ".join(f"{n} {status}" for status, n in counts.items()))
    # The country and group pages' figures, worked out once for the data now loaded, so no reader waits.
    started = time.perf_counter()
    with transaction(writes=False) as session:
        computed = areas.warm(session, areas.folder_in(load_settings().home))
    if computed:
        out.print(f"Figures of {computed} countries and groups worked out in {time.perf_counter() - started:.0f} s")
    if counts["failed"]:
        raise typer.Exit(1)
