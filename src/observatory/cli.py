"""The ``observatory`` command: set-up (``init``), the web server (``serve``), and one group of commands per
capability, each defined in its own package's ``cli`` module. It acts as the P2C secretariat: what it
imports is published."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from observatory import practices
from observatory.accounts.cli import app as accounts_app
from observatory.activities import load_seed
from observatory.activities.cli import app as activities_app
from observatory.auth import CLI
from observatory.config import load_settings
from observatory.costmodel.cli import app as costmodel_app
from observatory.data.cli import app as data_app
from observatory.db import default_engine, migrate, transaction
from observatory.indicators.cli import app as indicators_app
from observatory.logs import configure, logging_config
from observatory.network.cli import app as network_app
from observatory.pledges import import_sample
from observatory.pledges import service as pledges_service
from observatory.pledges.cli import app as pledges_app
from observatory.pledges.cli import demo as demo_app
from observatory.pledges.cli import reminders as reminders_app
from observatory.practices.cli import app as practices_app
from observatory.reference.models import load_reference
from observatory.reports.cli import app as reports_app
from observatory.routing.cli import app as routing_app

app = typer.Typer(help=__doc__, no_args_is_help=True, pretty_exceptions_enable=False)
# Every capability's commands, by the name a user types.
for group, name in (
    (pledges_app, "pledges"),
    (demo_app, "demo"),
    (reminders_app, "reminders"),
    (accounts_app, "users"),
    (indicators_app, "indicators"),
    (network_app, "network"),
    (routing_app, "routing"),
    (costmodel_app, "cost-model"),
    (activities_app, "activities"),
    (practices_app, "practices"),
    (reports_app, "report"),
    (data_app, "data"),
):
    app.add_typer(group, name=name)

out = Console()
err = Console(stderr=True)


@app.callback()
def main() -> None:
    """Logging as configured (OBSERVATORY_LOG_FORMAT), for every command."""
    configure(load_settings().log_format)


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
    with transaction(engine) as session:
        seeded = load_seed(session, CLI.name)  # the curated activities, into an empty registry only
    if seeded is not None:
        out.print(f"Activities (curated starting set, to be checked): {len(seeded.created)} new")
    with transaction(engine) as session:
        cases = practices.load_seed(session, CLI)  # the curated best-practice cases, into an empty library only
    if cases:
        out.print(f"Best-practice cases (curated starting set, to be checked): {cases} new")
    if sample:
        with transaction(engine) as session:
            (orgs_new, orgs_corrected), result = import_sample(session, CLI.name)
        out.print(f"Sample organisations: {orgs_new} new, {orgs_corrected} corrected")
        out.print(f"Sample pledges: {result.created} new, {result.updated} updated, {result.unchanged} unchanged")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes sharing the port (default: one per CPU core)."),
    ] = None,
) -> None:
    """Start the platform (API at /api/v1, documentation at /api/docs), in one or more worker processes."""
    import os

    import uvicorn

    from observatory.web.charts import WorldAtlasMissingError, check_geometry

    settings = load_settings()
    try:
        check_geometry(settings.world_atlas)  # once, here: a missing asset stops the start, not a page
    except WorldAtlasMissingError as exc:
        err.print(f"The platform cannot start: {exc}", markup=False)
        raise typer.Exit(1) from exc
    # Each worker builds the application from the same settings (the environment): uvicorn needs an import
    # string and a factory to start more than one. Forwarded headers are believed only from
    # OBSERVATORY_TRUSTED_PROXIES, by the application itself (uvicorn's own handling would believe any client
    # on 127.0.0.1).
    uvicorn.run(
        "observatory.web.app:factory",
        factory=True,
        host=host,
        port=port,
        workers=workers or os.cpu_count() or 1,
        proxy_headers=False,
        server_header=False,
        log_config=logging_config(settings.log_format),
    )


@app.command()
def status() -> None:
    """What the registry holds: pledges by review state."""
    with transaction(writes=False) as session:
        counts = pledges_service.count_by_review_state(session)
    for state, n in counts.items():
        out.print(f"{state}: {n}")


@app.command()
def backup(
    path: Annotated[str, typer.Argument(help="The backup file to write; its manifest goes to PATH.json.")],
) -> None:
    """Back the database up into PATH (SQLite's online backup, or pg_dump), safe while the platform serves."""
    from pathlib import Path

    from observatory import backup as backups
    from observatory.errors import Refused

    try:
        result = backups.backup(default_engine(), Path(path))
    except (Refused, backups.BackupFailed) as exc:
        err.print(f"Backup failed: {exc}", markup=False)
        raise typer.Exit(1) from exc
    m = result.manifest
    out.print(f"Backup written: {result.path} ({m.database}, schema {m.alembic_revision}, registry revision "
              f"{m.registry_revision}, {sum(m.tables.values())} rows in {len(m.tables)} tables)")  # fmt: skip
    out.print(f"Manifest: {result.sidecar}")


@app.command()
def restore(
    path: Annotated[str, typer.Argument(help="A backup file written by `observatory backup`.")],
    force: Annotated[bool, typer.Option(help="Replace a database that already holds pledges.")] = False,
) -> None:
    """Restore the backup PATH into the configured database, migrate it and check it against its manifest."""
    from pathlib import Path

    from observatory import backup as backups
    from observatory.errors import Refused

    try:
        result = backups.restore(Path(path), load_settings(), force=force)
    except (Refused, backups.BackupFailed) as exc:
        err.print(f"Restore refused: {exc}" if isinstance(exc, Refused) else f"Restore failed: {exc}", markup=False)
        raise typer.Exit(1) from exc
    m = result.manifest
    out.print(f"Restored {path} (taken {m.taken_at}, platform {m.platform_version}) into {result.database}")
    for name, n in result.tables.items():
        out.print(f"{name}: {n}")
    out.print(f"Registry revision: {result.registry_revision}; schema: {result.alembic_revision}")
