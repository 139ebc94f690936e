"""``observatory report p2c|ip-networks --year YYYY``: build an annual report as HTML or PDF, with its tables
as CSV and its manifest beside it."""

from __future__ import annotations

import datetime as dt
import logging
import resource
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from observatory.config import load_settings
from observatory.db import transaction
from observatory.errors import Refused
from observatory.reports import build

app = typer.Typer(help="The annual reports, as HTML or PDF.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger(__name__)


class Kind(StrEnum):
    p2c = "p2c"
    ip_networks = "ip-networks"


class Language(StrEnum):
    en = "en"
    fr = "fr"


class Format(StrEnum):
    html = "html"
    pdf = "pdf"


def _report(
    kind: Kind,
    year: int,
    lang: Language,
    format: Format,
    out: Path | None,
    as_of: dt.datetime | None,
) -> None:
    started = time.perf_counter()
    try:
        with transaction(writes=False) as session:
            report = build.make(session, kind.value, year, lang.value, as_of.date() if as_of else None)
        target = out or Path(build.file_name(report, format.value))
        written = build.write(report, format.value, target, base_url=load_settings().base_url)
    except Refused as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(1) from e
    pages = f", {written['pages']} pages" if written["pages"] else ""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    err.print(
        f"{target}{pages}, {len(report.figures())} figures, {len(report.tables())} tables "
        f"({build.tables_path(target)}/), manifest {build.manifest_path(target)}; "
        f"{time.perf_counter() - started:.1f} s, peak {peak} MB"
    )


YearOption = Annotated[int, typer.Option(help="The year the report covers.")]
LangOption = Annotated[Language, typer.Option(help="Its language.")]
FormatOption = Annotated[Format, typer.Option(help="html or pdf.")]
OutOption = Annotated[Path | None, typer.Option(help="Where to write it (default: p2c-YYYY-LANG.FORMAT here).")]
AsOfOption = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Count the registry as it stood at the end of this day (default today)."),
]


@app.command("p2c")
def p2c_report(
    year: YearOption, lang: LangOption = Language.en, format: FormatOption = Format.pdf, out: OutOption = None,
    as_of: AsOfOption = None,
) -> None:  # fmt: skip
    """The Partner2Connect annual progress report of a year."""
    _report(Kind.p2c, year, lang, format, out, as_of)


@app.command("ip-networks")
def ip_networks_report(
    year: YearOption, lang: LangOption = Language.en, format: FormatOption = Format.pdf, out: OutOption = None,
    as_of: AsOfOption = None,
) -> None:  # fmt: skip
    """The Secretary-General's report to Council on IP-based networks (Resolution 101) of a year."""
    _report(Kind.ip_networks, year, lang, format, out, as_of)
