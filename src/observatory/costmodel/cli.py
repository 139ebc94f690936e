"""``observatory cost-model show``: the international connectivity cost model for one country."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from observatory.costmodel import model as cost
from observatory.costmodel.service import compute, to_csv
from observatory.db import default_engine, transaction

app = typer.Typer(help="The cost of a country's international connectivity, by scenario.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


class CostFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def cost_command(
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 or alpha-3 code.")],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help=f"Override an assumption, NAME=VALUE (repeatable). Names: {', '.join(cost.PARAMETERS)}."
        ),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Scenario to compute besides the baseline (repeatable; default all): {', '.join(cost.SCENARIOS)}."
        ),
    ] = None,
    format: Annotated[CostFormat, typer.Option(help="Output format.")] = CostFormat.table,
) -> None:
    """Annual cost of a country's international connectivity, by scenario, with every assumption and its source.

    --format json prints exactly the body of GET /api/v1/areas/{country}/cost; csv the page's CSV."""
    pairs: list[tuple[str, str]] = []
    for item in set_ or []:
        name, sep, value = item.partition("=")
        if not sep:
            err.print(f"[red]error:[/red] --set takes NAME=VALUE; got {item!r}")
            raise typer.Exit(2)
        pairs.append((name.strip(), value))
    try:
        overrides = cost.parse_overrides(pairs)
        with transaction(default_engine()) as session:
            answer = compute(session, country, overrides, scenario)
    except cost.CostModelError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from e
    if format is CostFormat.json:
        sys.stdout.write(json.dumps(answer, indent=1, ensure_ascii=False) + "\n")
        return
    if format is CostFormat.csv:
        sys.stdout.write(to_csv(answer))
        return
    out = Console(soft_wrap=True)
    results = Table(title=f"{answer['country']}: international connectivity, USD per year")
    results.add_column("")
    for s in answer["scenarios"]:
        results.add_column(s["scenario"], justify="right")
    rows = (
        ("capacity, Mbit/s", "capacity_mbps", "{:,.0f}"),
        ("transit", "transit_cost_usd", "{:,.0f}"),
        ("backhaul", "backhaul_cost_usd", "{:,.0f}"),
        ("IXP", "ixp_cost_usd", "{:,.0f}"),
        ("total", "total_cost_usd", "{:,.0f}"),
        ("per user per month", "cost_per_user_month_usd", "{:,.2f}"),
        ("% of monthly GNI p.c.", "cost_per_user_pct_gni", "{:,.2f}"),
        ("saving", "saving_usd", "{:,.0f}"),
    )
    for title, key, pattern in rows:
        results.add_row(title, *("–" if s[key] is None else pattern.format(s[key]) for s in answer["scenarios"]))
    out.print(results)
    assumptions = Table(title="Assumptions")
    for column in ("name", "value", "unit", "origin", "source"):
        assumptions.add_column(column)
    for name, a in answer["assumptions"].items():
        value = "–" if a["value"] is None else f"{a['value']:,.6g}"
        assumptions.add_row(name, value, a["unit"], a["origin"], f"{a['source']} {a['year'] or ''}".strip())
    out.print(assumptions)
    for name in answer["defaults_used_for_missing_data"]:
        err.print(f"note: no loaded data for {name}: {answer['assumptions'][name]['origin']} value used")


app.command("show")(cost_command)
