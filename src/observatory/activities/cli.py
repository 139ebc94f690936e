"""``observatory activities …``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Activities on IP-based networks: list, import and export.", no_args_is_help=True)
