"""``python -m observatory`` is the ``observatory`` command."""

from observatory.cli import app

app()
