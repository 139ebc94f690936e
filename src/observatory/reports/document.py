"""What a report is made of, before it is drawn: sections of paragraphs, tables and charts, whose numbers are
:class:`Figure` s — each a value with its unit, the query that gives it in words and the API address that
answers it, or the reason it is not covered. The same document is drawn as the platform's HTML page and as
the PDF (``render``), and its figures, tables and sources are written beside them (the manifest and CSVs).

Builders (``p2c``, ``ip_networks``) write the text in the reader's language; figures are formatted when drawn.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Unit = Literal["count", "usd", "share", "change", "people", "number", "year", "percent"]
# share: a fraction 0–1, drawn as a percentage; change: a relative change (0.53 is +53 %), drawn with its sign;
# percent: a value already in per cent (an indicator's unit)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


def lookup(answer: Any, path: str) -> Any:
    """The value at ``path`` in an API answer: names separated by dots, and ``[k=v,k2=v2]`` to pick the item of
    a list whose fields have those values (``groups[key=LDC].pledges``, ``[target=umc_4g_coverage].progress``).
    :class:`KeyError` when there is no such item."""
    here = answer
    for name, pick in _STEP.findall(path):
        if name:
            here = here[name]
            continue
        wanted = dict(part.split("=", 1) for part in pick.split(","))
        here = next((item for item in here if all(str(item.get(k)) == v for k, v in wanted.items())), None)
        if here is None:
            raise KeyError(f"no item [{pick}] at {path!r}")
    return here


@dataclass
class Figure:
    """A number the report states: its value (None when not covered, then ``missing`` says why), its unit,
    the query that gives it in words and the API address that answers it."""

    key: str
    value: float | None
    unit: Unit
    query: str
    api: str
    missing: str = ""
    estimate: bool = False
    field: str = ""  # where the API's answer holds it (see :func:`lookup`); empty for a figure derived from others
    note: int = 0  # its entry in the annex of figures, numbered in reading order by Report.number()

    @property
    def covered(self) -> bool:
        """Whether the figure has a value."""
        return self.value is not None


@dataclass
class Paragraph:
    """A paragraph: text and figures in reading order."""

    parts: list[str | Figure]

    @classmethod
    def of(cls, template: str, **figures: Figure | str) -> Paragraph:
        """A paragraph from a translated sentence whose ``%(name)s`` placeholders are figures (or text)."""
        parts: list[str | Figure] = []
        at = 0
        for m in _PLACEHOLDER.finditer(template):
            if m.start() > at:
                parts.append(template[at : m.start()])
            parts.append(figures[m.group(1)])
            at = m.end()
        if at < len(template):
            parts.append(template[at:])
        return cls(parts)


@dataclass
class Bullets:
    """A list of paragraphs (key findings, proposals)."""

    items: list[Paragraph]
    numbered: bool = False


@dataclass
class Missing:
    """A plain statement of what the report could not show, and why."""

    text: str


Cell = str | float | int | Figure | None


@dataclass
class Column:
    """A table column: its heading and the unit of its numbers ("text" for words)."""

    key: str
    label: str
    unit: Unit | Literal["text"] = "text"


@dataclass
class Table:
    """A numbered table; every table is also written as CSV (``key``.csv)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    source: str = ""
    note: str = ""
    empty: str = ""  # said instead of the table when it has no rows
    number: int = 0


@dataclass
class Chart:
    """A numbered chart drawn from data: bars (label, value) or one value per year (gaps where None)."""

    key: str
    title: str
    kind: Literal["bars", "years"]
    unit: Unit
    source: str
    bars: list[tuple[str, float]] = field(default_factory=list)
    years: dict[int, float | None] = field(default_factory=dict)
    empty: str = ""  # said instead of the chart when there is nothing to draw
    number: int = 0

    @property
    def drawable(self) -> bool:
        """Whether there is anything to draw."""
        return bool(self.bars) if self.kind == "bars" else any(v is not None for v in self.years.values())


Block = Paragraph | Bullets | Missing | Table | Chart


@dataclass
class Section:
    """A numbered section, with its blocks and subsections."""

    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    number: str = ""

    def add(self, *blocks: Block) -> Section:
        """Append blocks; returns the section."""
        self.blocks.extend(blocks)
        return self


@dataclass
class Cover:
    """A Council document's cover sheet: its symbol, date, summary, the action required and references."""

    symbol: str
    date: str
    summary: list[Paragraph]
    action: str
    references: list[str]


@dataclass
class SourceEdition:
    """A source a report rests on, with its edition (or load date)."""

    name: str
    edition: str
    url: str = ""


@dataclass
class Report:
    """A report for one year, in one language, as of one day."""

    kind: Literal["p2c", "ip-networks"]
    year: int
    language: str
    as_of: dt.date
    title: str
    subtitle: str
    sections: list[Section]
    sources: list[SourceEdition]
    software: str
    built_at: dt.datetime
    cover: Cover | None = None
    labels: Mapping[str, str] = field(default_factory=dict)  # fixed words of the layout, translated

    def walk(self) -> Iterator[Section]:
        """Every section, depth first, in reading order."""

        def visit(sections: Sequence[Section]) -> Iterator[Section]:
            for s in sections:
                yield s
                yield from visit(s.children)

        yield from visit(self.sections)

    def figures(self) -> list[Figure]:
        """Every figure the text and tables state, once each, in reading order."""
        seen: dict[int, Figure] = {}

        def take(parts: Sequence[Any]) -> None:
            for p in parts:
                if isinstance(p, Figure) and id(p) not in seen:
                    seen[id(p)] = p

        if self.cover:
            for para in self.cover.summary:
                take(para.parts)
        for section in self.walk():
            for block in section.blocks:
                if isinstance(block, Paragraph):
                    take(block.parts)
                elif isinstance(block, Bullets):
                    for item in block.items:
                        take(item.parts)
                elif isinstance(block, Table):
                    for row in block.rows:
                        take(row)
        return list(seen.values())

    def tables(self) -> list[Table]:
        """Every table, in reading order."""
        return [b for s in self.walk() for b in s.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        """Every chart, in reading order."""
        return [b for s in self.walk() for b in s.blocks if isinstance(b, Chart)]

    def number(self) -> Report:
        """Number the sections (1, 1.1…), tables, charts and figures in reading order; returns the report."""

        def visit(sections: Sequence[Section], prefix: str) -> None:
            for i, s in enumerate(sections, start=1):
                s.number = f"{prefix}{i}"
                visit(s.children, f"{s.number}.")

        visit(self.sections, "")
        for i, t in enumerate(self.tables(), start=1):
            t.number = i
        for i, c in enumerate(self.charts(), start=1):
            c.number = i
        for i, f in enumerate(self.figures(), start=1):
            f.note = i
        return self

    def headline(self) -> dict[str, float | None]:
        """Every figure's value by key: what the manifest records and the tests compare with the API."""
        return {f.key: f.value for f in self.figures()}


@dataclass
class Proposal:
    """A concrete proposal the secretariat writes for the report on IP-based networks."""

    title: str
    text: str
    resources: str  # its resource implications


@dataclass
class Edition:
    """What the secretariat writes for one year's report: the outlook (P2C), the proposals and the Council
    it goes to (IP-based networks), the spotlights it chose, the earlier documents it refers to."""

    kind: Literal["p2c", "ip-networks"]
    year: int
    outlook: str = ""
    proposals: list[Proposal] = field(default_factory=list)
    council_date: dt.date | None = None
    council_symbol: str = ""
    references: list[str] = field(default_factory=list)  # earlier Council documents of the series
    spotlight_pledges: list[str] = field(default_factory=list)  # pledge references
    spotlight_practices: list[str] = field(default_factory=list)  # best-practice references
