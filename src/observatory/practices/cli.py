"""``observatory practices …``."""

from __future__ import annotations

import typer

app = typer.Typer(help="The best-practice library: list, review, import and export.", no_args_is_help=True)
