"""``observatory report …``."""

from __future__ import annotations

import typer

app = typer.Typer(help="The annual reports, as HTML or PDF.", no_args_is_help=True)
