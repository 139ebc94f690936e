"""The shape of docs/architecture.md, kept by tests beside the import contracts (``lint-imports``): services say
what they do, library code logs instead of printing, and page and API modules hold no SQL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "observatory"
SERVICES = sorted(PACKAGE.glob("*/service.py"))
THIN = sorted([*PACKAGE.glob("*/api.py"), *PACKAGE.glob("*/pages.py"), *PACKAGE.glob("*/pages/*.py"),
               *PACKAGE.glob("*/cli.py")])  # fmt: skip
# A statement built (sqlalchemy's select, update, delete, insert) or run on a session.
SQL = re.compile(r"(?<![.\w])(select|update|delete|insert)\(|session\.(execute|scalars?|get|get_one|query)\(")


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.parent.name)
def test_every_public_function_of_a_service_says_what_it_does(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    undocumented = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and not node.name.startswith("_")
        and ast.get_docstring(node) is None
    ]
    assert undocumented == [], f"{path.relative_to(PACKAGE)}: no docstring on {undocumented}"


def test_library_code_logs_and_never_prints() -> None:
    printing = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                printing.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert printing == []


@pytest.mark.parametrize("path", THIN, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pages_apis_and_commands_call_services_and_hold_no_sql(path: Path) -> None:
    found = [f"line {n}: {line.strip()}" for n, line in enumerate(path.read_text().splitlines(), 1) if SQL.search(line)]
    assert found == []
