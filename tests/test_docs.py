"""The documentation cannot drift from the code: every setting, every command and every API route is in the
README or in docs/ (as Datasette's tests do), and the architecture page names every capability."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from typer.main import get_command

from observatory.cli import app
from observatory.config import Settings
from observatory.web.app import capability_routers

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def documentation() -> str:
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


def test_every_setting_is_in_the_configuration_page() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"`OBSERVATORY_{name.upper()}`" not in page]
    assert missing == [], f"docs/configuration.md lacks {missing}"


def commands(group: Any, prefix: str) -> Iterator[str]:
    """Every command's full name, ``observatory pledges import`` (typer's groups have ``commands``)."""
    subcommands = getattr(group, "commands", None)
    if subcommands:
        for name, command in subcommands.items():
            yield from commands(command, f"{prefix} {name}")
    else:
        yield prefix


def test_every_command_is_documented() -> None:
    text = " ".join(documentation().split())
    every = sorted(commands(get_command(app), "observatory"))
    assert len(every) > 20
    missing = [c for c in every if c not in text]
    assert missing == [], f"commands missing from README.md and docs/: {missing}"


def api_paths() -> list[str]:
    """The paths of the API (not the old paths that only redirect to the new ones, left out of the schema)."""
    return sorted(
        {
            route.path
            for router in capability_routers()
            for route in router.routes
            if isinstance(route, APIRoute) and route.path.startswith("/api/") and route.include_in_schema
        }
    )


def test_every_api_route_is_documented() -> None:
    text = documentation()
    paths = api_paths()
    assert len(paths) > 25
    missing = [p for p in paths if p not in text and p.removeprefix("/api/v1") not in text]
    assert missing == [], f"API routes missing from README.md and docs/: {missing}"


@pytest.mark.parametrize("package", ["pledges", "accounts", "indicators", "network", "routing", "costmodel",
                                     "areas", "data", "activities", "practices", "reports"])  # fmt: skip
def test_the_architecture_page_names_every_capability(package: str) -> None:
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    assert re.search(rf"^\s+{package}/", page, re.M), f"docs/architecture.md does not describe {package}/"
    assert (ROOT / "src" / "observatory" / package / "__init__.py").is_file()
