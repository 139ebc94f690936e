"""``observatory pledges …`` (import, export, summary) and ``observatory demo generate``: the P2C registry
on the command line. The command line acts as the secretariat: what it imports is published."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from observatory.auth import CLI
from observatory.db import transaction
from observatory.pledges.breakdowns import BY_VALUES, summary
from observatory.pledges.csvio import ImportRejected, import_file, write_csv
from observatory.pledges.query import PledgeFilter, iter_pledges

app = typer.Typer(help="Import, export and summarise P2C pledges.", no_args_is_help=True)
demo = typer.Typer(help="Synthetic data for load and scale tests (always labelled synthetic).", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@app.command("import")
def pledges_import(
    file: Annotated[Path, typer.Argument(help="Pledge CSV (UTF-8, see README for the columns).")],
    skip_invalid: Annotated[
        bool, typer.Option(help="Load the valid rows; write the rejected ones with reasons to --rejected.")
    ] = False,
    rejected: Annotated[
        Path | None, typer.Option(help="Where --skip-invalid writes rejected rows (default FILE.rejected.csv).")
    ] = None,
) -> None:
    """Import pledges from CSV, all or nothing; imported pledges are published."""
    if not file.is_file():
        err.print(f"[red]error:[/red] {file}: no such file")
        raise typer.Exit(1)
    columns = (TextColumn("Importing"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    target = rejected or file.with_suffix(".rejected.csv")
    try:
        with (
            Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar,
            target.open("w", encoding="utf-8", newline="") as rejected_to,
        ):
            task = bar.add_task("rows", total=file.stat().st_size)
            result = import_file(
                None,
                file,
                CLI.name,
                skip_invalid=skip_invalid,
                progress=lambda n: bar.update(task, completed=n),
                rejected_to=rejected_to if skip_invalid else None,
            )
    except ImportRejected as exc:
        target.unlink(missing_ok=True)
        for e in exc.errors:
            typer.echo(f"{file}: {e}", err=True)
        more = f" (the first {len(exc.errors)} are listed)" if exc.count > len(exc.errors) else ""
        err.print(f"[red]error:[/red] {exc.count} problem(s){more}; nothing was imported")
        raise typer.Exit(1) from exc
    out.print(
        f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
        f"{result.rejected_lines} rejected"
    )
    if result.rejected_count:
        err.print(f"rejected rows and their reasons: {target}")
    else:
        target.unlink(missing_ok=True)


@app.command("export")
def pledges_export(
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Export the published pledges (CSV in the import format, or JSON)."""
    from observatory.pledges.service import pledge_dict

    if format not in ("csv", "json"):
        err.print("[red]error:[/red] --format must be csv or json")
        raise typer.Exit(2)
    with transaction(writes=False) as session:
        pledges = iter_pledges(session, PledgeFilter())
        fh = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            if format == "csv":
                write_csv(pledges, fh)
            else:
                json.dump([pledge_dict(p) for p in pledges], fh, ensure_ascii=False, indent=1)
                fh.write("\n")
        finally:
            if output:
                fh.close()


@app.command("summary")
def pledges_summary(
    by: Annotated[str, typer.Option(help=f"One of: {', '.join(BY_VALUES)}.")] = "focus_area",
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    q: Annotated[str, typer.Option(help="Full-text search.")] = "",
    focus_area: Annotated[list[str] | None, typer.Option(help="Filter (repeatable).")] = None,
    pillar: Annotated[list[str] | None, typer.Option(help="Filter (repeatable).")] = None,
    country: Annotated[list[str] | None, typer.Option(help="Filter: ISO code or 'global' (repeatable).")] = None,
    region: Annotated[list[str] | None, typer.Option(help="Filter: ITU region code (repeatable).")] = None,
    country_group: Annotated[list[str] | None, typer.Option(help="Filter: LDC, LLDC, SIDS (repeatable).")] = None,
    stakeholder_type: Annotated[list[str] | None, typer.Option(help="Filter (repeatable).")] = None,
    pledge_type: Annotated[list[str] | None, typer.Option(help="Filter (repeatable).")] = None,
    status: Annotated[list[str] | None, typer.Option(help="Filter (repeatable).")] = None,
    year: Annotated[list[int] | None, typer.Option(help="Filter: announcement year (repeatable).")] = None,
) -> None:
    """Published pledges and their USD value broken down by one dimension (the API's summary)."""
    if by not in BY_VALUES:
        err.print(f"[red]error:[/red] --by must be one of {', '.join(BY_VALUES)}")
        raise typer.Exit(2)
    f = PledgeFilter(
        q=q,
        focus_area=focus_area or [],
        pillar=pillar or [],
        country=country or [],
        region=region or [],
        country_group=country_group or [],
        stakeholder_type=stakeholder_type or [],
        pledge_type=pledge_type or [],
        status=status or [],
        year=year or [],
    )
    with transaction(writes=False) as session:
        body = summary(session, by, f)
    if format == "json":
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=1) + "\n")
        return
    t = body["total"]
    table = Table(title=f"Published pledges by {by.replace('_', ' ')}")
    table.add_column(by.replace("_", " ").capitalize())
    table.add_column("Pledges", justify="right")
    table.add_column("USD attributed", justify="right")
    table.add_column("Full value", justify="right")
    for g in body["groups"]:
        table.add_row(
            f"{g['label']} ({g['key']})",
            str(g["pledges"]),
            f"{g['value_usd_attributed']:,.0f}",
            f"{g['value_usd']:,.0f}",
        )
    table.add_section()
    table.add_row("Total", str(t["pledges"]), f"{t['value_usd_attributed']:,.0f}", f"{t['value_usd']:,.0f}")
    out.print(table)
    out.print(
        f"{t['organisations']} organisations; {t['unconverted_pledges']} pledge(s) with no USD value; "
        f"USD committed {t['committed_usd_attributed']:,.0f}, disbursed {t['disbursed_usd_attributed']:,.0f} "
        f"(from the published reports of {t['reporting_pledges']} pledge(s))"
    )


@demo.command("generate")
def demo_generate(
    pledges: Annotated[int, typer.Option(help="How many pledges.", min=1)] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same file).")] = 1,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Write a realistic synthetic pledge CSV; every row is marked synthetic."""
    from observatory.pledges.demo import generate

    fh = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        generate(fh, pledges, seed)
    finally:
        if output:
            fh.close()


reminders = typer.Typer(help="Remind pledgers of their progress reports (run daily).", no_args_is_help=True)


@reminders.command("send")
def reminders_send(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List who would be reminded and why; send and record nothing.")
    ] = False,
) -> None:
    """Mail each pledger whose report is due within 30 days or overdue, in the pledger's language, at most once
    per OBSERVATORY_REMINDER_INTERVAL_DAYS for the same pledge and reason; each mail is recorded."""
    from observatory.config import load_settings
    from observatory.pledges import reports

    settings = load_settings()
    with transaction() as session:
        if dry_run:
            found = reports.reminders_due(session, dt.date.today(), settings.reminder_interval_days)
            nobody = [d for d in found if d.address is None]
            sent = [d for d in found if d.address is not None]
        else:
            sent, nobody = reports.send_reminders(session, settings, "observatory reminders send")
    listed = [*sent, *nobody]
    # One line per mail, tab-separated: readable in a cron log, and by a program.
    for d in sorted(listed, key=lambda d: (d.organisation.casefold(), d.reference, d.address or "")):
        where = d.address or "(no pledger account: nobody to mail)"
        typer.echo(f"{d.kind}\t{d.reference}\t{d.organisation}\treport for {d.report_year}\t{where}\t{d.title}")
    overdue = len({d.reference for d in listed if d.kind == "overdue"})
    soon = len({d.reference for d in listed if d.kind == "due"})
    mails = f"{len(sent)} mail(s) {'would be sent' if dry_run else 'sent'}"
    typer.echo(
        f"{overdue} pledge(s) with an overdue report, {soon} with a report due within 30 days: {mails}; "
        f"{len({d.reference for d in nobody})} pledge(s) have no pledger account to mail."
    )
