"""Shared pieces of the charts: colours, text measuring and fitting, the SVG frame, contrast."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from markupsafe import Markup, escape


class ChartNote(TypedDict):
    """What every chart states under it, in the page's language: its unit and its source (``**note``)."""

    unit: str
    source: str


TEXT_COLOUR = "#1f1f1f"
MUTED_COLOUR = "#595959"  # 7:1 on white
GRID_COLOUR = "#d6d6d6"  # decorative only
BAR_COLOUR = "#0072B2"  # Okabe-Ito blue, 5.2:1 on white
# Okabe-Ito blue, vermillion, bluish green, reddish purple (darkened to 4.5:1), then dark grey.
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#B0588F", "#595959")
SERIES_DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 2")
SERIES_MARKERS = ("circle", "square", "triangle", "diamond", "cross")
NO_DATA_FILL = "#ececec"
NO_DATA_HATCH = "#b3b3b3"
# The map's class for zero (a value, unlike "no data"): pale yellow, the light end of viridis, solid (no hatch).
ZERO_FILL = "#f6efa6"
# Adjacent map colours (and each colour against the no-data grey) differ by at least this CIEDE2000 distance
# (about three times a difference most readers see at a glance; tests/web/test_charts.py measures every palette).
MIN_DELTA_E = 15.0

# Viridis (matplotlib, CC0) at t = 0, 0.1, ..., 0.6. Beyond about t = 0.57 the colours fall below 3:1 on white.
VIRIDIS = ("#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884")
VIRIDIS_LIGHTEST = 0.56
VIRIDIS_DARKEST = 0.0

WORLD_ATLAS_ENV = "OBSERVATORY_WORLD_ATLAS"
SETUP_HINT = (
    "run the project's set-up (`make setup`, which runs `npm install` to install the npm package world-atlas "
    "into node_modules/ and `python scripts/world_geometry.py` to copy its geometry into the package), install a "
    f"wheel built after it, or set {WORLD_ATLAS_ENV} to the folder holding countries-110m.json"
)


class WorldAtlasMissingError(RuntimeError):
    """The world geometry (shipped in the package, or the npm package ``world-atlas``) is not where the map
    looks for it."""


# --- helpers shared by the charts -------------------------------------------------------------------------------


def esc(text: str) -> str:
    return str(escape(text))


def num(value: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


_NARROW = frozenset("iljtfrI.,:;!|'()[] ")
_WIDE = frozenset("mwMW@%<>=+~&#")


def text_width(text: str, size: float) -> float:
    """A generous estimate of the width of ``text`` in a proportional sans-serif font (no font metrics here)."""
    units = 0.0
    for char in text:
        if char in _NARROW:
            units += 0.32
        elif char in _WIDE:
            units += 0.95
        elif char.isupper() or char.isdigit():
            units += 0.7
        else:
            units += 0.6
    return units * size


def fit(text: str, width: float, size: float) -> str:
    """``text`` cut with an ellipsis so that it fits in ``width``."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def svg_open(width: float, height: float, title: str, *, interactive: bool, kind: str, note: str = "") -> str:
    """The ``<svg>`` start tag, its ``<title>`` (the chart's name) and ``<desc>`` (its unit and source)."""
    role = "group" if interactive else "img"
    desc = f"<desc>{esc(note)}</desc>" if note else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {num(width)} {num(height)}" width="100%" '
        f'role="{role}" aria-label="{esc(title)}" class="chart chart-{kind}" font-family="inherit" '
        f'fill="{TEXT_COLOUR}"><title>{esc(title)}</title>{desc}'
    )


def note_text(unit: str, source: str) -> str:
    """The unit and source line, as plain text (for ``<desc>``)."""
    return " · ".join(part for part in (unit, source) if part)


def note_html(unit: str, source: str) -> str:
    """The unit and source line shown under the chart, in the page's font (readable on a phone)."""
    parts = [f'<span class="chart-unit">{esc(unit)}</span>' if unit else ""]
    parts.append(f'<span class="chart-source">{esc(source)}</span>' if source else "")
    inner = " · ".join(p for p in parts if p)
    return f'<p class="chart-note">{inner}</p>' if inner else ""


def markup(parts: Iterable[str]) -> Markup:
    """The assembled SVG: every piece of caller text in it went through :func:`esc` (markupsafe.escape)."""
    return Markup("".join(parts))  # noqa: S704


def _relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(colour: str, other: str = "#ffffff") -> float:
    """WCAG 2 contrast ratio between two ``#rrggbb`` colours."""
    a, b = sorted((_relative_luminance(colour), _relative_luminance(other)), reverse=True)
    return (a + 0.05) / (b + 0.05)
