"""Drawing a report: the platform's HTML page and the PDF come from the same templates
(``reports/_body.html`` inside the site's layout, or inside ``reports/document.html`` for print), every table
also as CSV, and a JSON manifest of what the report was built from and every figure it states.

The PDF is written by WeasyPrint as PDF/UA-1 (tagged, with its language and title), with the fonts Debian's
Noto and Amiri packages give for Latin, Cyrillic, Arabic and CJK scripts embedded, page numbers, a table of
contents with page numbers, numbered tables and charts, and charts as vector graphics.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from observatory.i18n import RTL, Formatter, translations
from observatory.reports.document import Cell, Chart, Figure, Report, Table
from observatory.web import charts
from observatory.web.render import add_templates, template_gettext, templates

log = logging.getLogger(__name__)
add_templates(Path(__file__).parent / "templates")


def _digits(value: float) -> int:
    """Decimals that show a number's first two significant digits below 100 (0.0135 → 0.013, 4.2 → 4.2)."""
    if value == round(value) or abs(value) >= 100 or not math.isfinite(value):
        return 0
    return min(6, max(1, 1 - math.floor(math.log10(abs(value)))))


def figure_text(fig: Figure, fmt: Formatter, gettext: Callable[[str], str]) -> str:
    """A figure as the text says it: its value in the reader's notation, or "not covered" with the reason."""
    if fig.value is None:
        return gettext("not covered")
    value = fig.value
    text = {
        "count": lambda: fmt.number(value),
        "people": lambda: fmt.compact(value) if abs(value) >= 1_000_000 else fmt.number(value),
        "usd": lambda: fmt.usd(value),
        "share": lambda: fmt.percent(value),
        "change": lambda: ("+" if value > 0 else "−" if value < 0 else "") + fmt.percent(abs(value)),
        "percent": lambda: fmt.percent(value / 100.0),
        "year": lambda: str(round(value)),
        "number": lambda: fmt.number(value, _digits(value)),
    }[fig.unit]()
    return text + (" " + gettext("(estimate)") if fig.estimate else "")


def cell_text(cell: Cell, unit: str, fmt: Formatter, gettext: Callable[[str], str]) -> str:
    """A table cell as shown and as written to CSV (numbers in the reader's notation)."""
    if isinstance(cell, Figure):
        return figure_text(cell, fmt, gettext)
    if cell is None:
        return "–"
    if isinstance(cell, str):
        return cell
    return figure_text(Figure("", float(cell), unit, "", ""), fmt, gettext) if unit != "text" else str(cell)  # type: ignore[arg-type]


def _raw(cell: Cell) -> str:
    """A table cell as the CSV writes it: numbers as numbers (dot decimal), text as text, nothing empty."""
    if isinstance(cell, Figure):
        cell = cell.value
    if cell is None:
        return ""
    if isinstance(cell, float):
        return repr(round(cell, 6)) if cell != int(cell) else str(int(cell))
    return str(cell)


def table_csv(table: Table) -> str:
    """A table as CSV: the column headings, then the rows, numbers unformatted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([_raw(c) for c in row])
    return out.getvalue()


def chart_svg(chart: Chart, fmt: Formatter, gettext: Callable[[str], str], *, font_size: int = 14) -> Markup:
    """A chart as inline SVG, from its data only (no line across a missing year)."""

    def value_text(v: float) -> str:
        return figure_text(Figure("", v, chart.unit, "", ""), fmt, gettext)

    unit = {"usd": "USD", "share": "%", "change": "%", "percent": "%", "people": gettext("people"), "count": "",
            "number": "", "year": ""}[chart.unit]  # fmt: skip
    title = f"{gettext('Chart')} {chart.number}. {chart.title}"
    if chart.kind == "bars":
        return charts.bar_chart(
            chart.bars, title=title, value_format=value_text, unit=unit, source=chart.source, max_items=15,
            font_size=font_size,
        )  # fmt: skip
    return charts.year_bars(
        chart.years,
        title=title,
        value_format=value_text,
        unit=unit,
        source=chart.source,
        width=720,
        font_size=font_size,
    )


def _context(report: Report, *, base_url: str, for_print: bool) -> dict[str, Any]:
    fmt = Formatter(report.language)
    t = translations(report.language)
    gettext, ngettext = template_gettext(report.language)
    return {
        "report": report,
        "fmt": fmt,
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "figure_text": lambda f: figure_text(f, fmt, t.gettext),
        "cell_text": lambda c, unit: cell_text(c, unit, fmt, t.gettext),
        "chart_svg": lambda c: chart_svg(c, fmt, t.gettext, font_size=12 if for_print else 14),
        "for_print": for_print,
        "base_url": base_url.rstrip("/"),
        "direction": "rtl" if report.language in RTL else "ltr",
        "Figure": Figure,
    }


def body_html(report: Report, *, base_url: str = "", for_print: bool = False) -> Markup:
    """The report's contents (no page layout): what the platform's page and the PDF both hold."""
    html = templates.get_template("reports/_body.html").render(
        **_context(report, base_url=base_url, for_print=for_print)
    )
    return Markup(html)  # noqa: S704  (rendered by our autoescaping templates)


def document_html(report: Report, *, base_url: str = "") -> str:
    """The report as one standalone HTML document laid out for print (what the PDF is made from)."""
    context = _context(report, base_url=base_url, for_print=True)
    return templates.get_template("reports/document.html").render(
        body=body_html(report, base_url=base_url, for_print=True), **context
    )


def pdf_with_pages(report: Report, *, base_url: str = "") -> tuple[bytes, int]:
    """The report as a tagged PDF (PDF/UA-1) with its fonts embedded, and its number of pages."""
    from weasyprint import HTML  # imported here: only the PDF needs it, and it takes a moment to load

    document = HTML(string=document_html(report, base_url=base_url), base_url=".").render()
    data: bytes = document.write_pdf(pdf_variant="pdf/ua-1", custom_metadata=True)
    return data, len(document.pages)


def pdf(report: Report, *, base_url: str = "") -> bytes:
    """The report as a tagged PDF (PDF/UA-1) with its fonts embedded."""
    return pdf_with_pages(report, base_url=base_url)[0]


def manifest(report: Report, *, files: dict[str, str] | None = None) -> dict[str, Any]:
    """What the report was built from and every figure it states: the as-of date, the sources with their
    editions, the software version, and each figure with its note number, value, query and API address."""
    return {
        "report": report.kind,
        "year": report.year,
        "language": report.language,
        "title": report.title,
        "as_of": report.as_of.isoformat(),
        "built_at": report.built_at.isoformat(timespec="seconds"),
        "software": report.software,
        "sources": [{"name": s.name, "edition": s.edition, "url": s.url} for s in report.sources],
        "figures": [
            {
                "note": f.note,
                "key": f.key,
                "value": f.value,
                "unit": f.unit,
                "estimate": f.estimate,
                "query": f.query,
                "api": f.api,
                "field": f.field,
                "missing": f.missing,
            }
            for f in report.figures()
        ],
        "tables": [
            {"number": t.number, "key": t.key, "title": t.title, "csv": f"{t.key}.csv"} for t in report.tables()
        ],
        "files": files or {},
    }
