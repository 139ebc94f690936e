"""The observatory command. It acts as the P2C secretariat: what it imports is published."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from observatory.auth import CLI
from observatory.config import load_settings
from observatory.db import default_engine, migrate, transaction
from observatory.indicators.cli import app as indicators_app
from observatory.logs import configure, logging_config
from observatory.network.cli import app as network_app
from observatory.pledges.csvio import ImportRejected, import_pledges, write_csv
from observatory.pledges.models import Pledge
from observatory.pledges.query import PledgeFilter, iter_pledges
from observatory.pledges.summary import BY_VALUES, summary
from observatory.reference.models import load_reference
from observatory.routing.cli import app as routing_app

app = typer.Typer(help=__doc__, no_args_is_help=True, pretty_exceptions_enable=False)
pledges_app = typer.Typer(help="Import, export and summarise P2C pledges.", no_args_is_help=True)
demo_app = typer.Typer(
    help="Synthetic data for load and scale tests (always labelled synthetic).", no_args_is_help=True
)
app.add_typer(pledges_app, name="pledges")
app.add_typer(demo_app, name="demo")
users_app = typer.Typer(help="Accounts: invite people, give them roles, issue API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(indicators_app, name="indicators")
app.add_typer(network_app, name="network")
app.add_typer(routing_app, name="routing")
data_app = typer.Typer(help="Public data files: load a whole folder of them.", no_args_is_help=True)
app.add_typer(data_app, name="data")

out = Console()
err = Console(stderr=True)


@app.callback()
def main() -> None:
    """Logging as configured (OBSERVATORY_LOG_FORMAT), for every command."""
    configure(load_settings().log_format)


SAMPLE = "p2c_pledges.csv"


def sample_path() -> Path:
    return Path(str(resources.files("observatory.pledges").joinpath("sample", SAMPLE)))


@app.command()
def init(
    sample: Annotated[bool, typer.Option(help="Also import the 17 real sample pledges (once).")] = False,
) -> None:
    """Create or migrate the database and load the reference data."""
    engine = default_engine()
    migrate(engine)
    with transaction(engine) as session:
        counts = load_reference(session)
    out.print(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
    out.print("Reference data: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    if sample:
        with transaction(engine) as session:
            result = import_pledges(session, sample_path(), CLI.name)
        out.print(f"Sample pledges: {result.created} new, {result.updated} updated, {result.unchanged} unchanged")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Start the platform (API at /api/v1, documentation at /api/docs)."""
    import uvicorn

    from observatory.web.app import create_app

    settings = load_settings()
    # Forwarded headers are believed only from OBSERVATORY_TRUSTED_PROXIES, by the application itself
    # (uvicorn's own handling would believe any client on 127.0.0.1).
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        proxy_headers=False,
        server_header=False,
        log_config=logging_config(settings.log_format),
    )


@pledges_app.command("import")
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
            transaction() as session,
            target.open("w", encoding="utf-8", newline="") as rejected_to,
        ):
            task = bar.add_task("rows", total=file.stat().st_size)
            result = import_pledges(
                session,
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


@pledges_app.command("export")
def pledges_export(
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Export the published pledges (CSV in the import format, or JSON)."""
    from observatory.pledges.service import pledge_dict

    if format not in ("csv", "json"):
        err.print("[red]error:[/red] --format must be csv or json")
        raise typer.Exit(2)
    with transaction() as session:
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


@pledges_app.command("summary")
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
    with transaction() as session:
        body = summary(session, by, f)
    if format == "json":
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=1) + "\n")
        return
    t = body["total"]
    table = Table(title=f"Published pledges by {by.replace('_', ' ')}")
    table.add_column(by.replace("_", " ").capitalize())
    table.add_column("Pledges", justify="right")
    table.add_column("USD", justify="right")
    for g in body["groups"]:
        table.add_row(f"{g['label']} ({g['key']})", str(g["pledges"]), f"{g['value_usd']:,.0f}")
    table.add_section()
    table.add_row("Total", str(t["pledges"]), f"{t['value_usd']:,.0f}")
    out.print(table)
    out.print(f"{t['organisations']} organisations; {t['unconverted_pledges']} pledge(s) with no USD value")


@demo_app.command("generate")
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


@app.command()
def status() -> None:
    """What the registry holds."""
    with transaction() as session:
        rows = session.execute(select(Pledge.review_state, func.count()).group_by(Pledge.review_state)).all()
    for state, n in rows:
        out.print(f"{state}: {n}")


@data_app.command("load")
def data_load(
    folder: Annotated[Path, typer.Argument(help="A folder laid out like shared/data (indicators/, network/).")],
) -> None:
    """Load every public data file the observatory reads from FOLDER (files already loaded are skipped)."""
    from observatory.datafolder import jobs, load

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


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="E-mail address (internationalised addresses are fine).")],
    role: Annotated[str, typer.Option(help="pledger, secretariat or admin.")] = "pledger",
    organisation: Annotated[
        list[str] | None, typer.Option(help="Organisation the pledger acts for (repeatable; must exist).")
    ] = None,
    name: Annotated[str, typer.Option(help="The person's name.")] = "",
) -> None:
    """Create an account and send its invitation link (printed too)."""
    from observatory.accounts import service as accounts
    from observatory.pledges.service import RegistryError, find_organisation

    settings = load_settings()
    try:
        with transaction() as session:
            ids = []
            for org_name in organisation or []:
                org = find_organisation(session, org_name)
                if org is None:
                    raise RegistryError(f"no organisation {org_name!r}")
                ids.append(org.id)
            user = accounts.create_user(session, email, role, ids, name, actor=CLI.name)
            link = accounts.invite(session, user, settings)
    except RegistryError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    out.print(f"Invited {user.email} as {role}. Invitation link (valid 14 days):")
    typer.echo(link)


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
) -> None:
    """Issue a personal API token (shown once) that acts with the user's role and organisations."""
    from observatory.accounts import service as accounts

    with transaction() as session:
        user = accounts.find_user(session, email)
        if user is None:
            err.print(f"[red]error:[/red] no account for {email}")
            raise typer.Exit(1)
        token = accounts.create_api_token(session, user, name)
    typer.echo(token)
