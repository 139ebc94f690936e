"""``observatory users …``: accounts on the command line (invitations, personal API tokens)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from observatory.auth import CLI
from observatory.config import load_settings
from observatory.db import transaction

app = typer.Typer(help="Accounts: invite people, give them roles, issue API tokens.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@app.command("add")
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
    from observatory.errors import Refused

    settings = load_settings()
    try:
        with transaction() as session:
            ids = accounts.organisation_ids(session, organisation or [])
            user, link = accounts.invite_user(session, email, role, ids, settings, CLI.name, name)
    except Refused as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    out.print(f"Invited {user.email} as {role}. Invitation link (valid 14 days):")
    typer.echo(link)


@app.command("token")
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
