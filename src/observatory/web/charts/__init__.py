"""Charts and a world map drawn on the server as inline SVG: readable without JavaScript, light, accessible.

Every function returns a :class:`markupsafe.Markup` holding one ``<svg>`` element and the line under it that
states the chart's unit and source (``<p class="chart-note">``, also the SVG's ``<desc>``), ready for a Jinja2
template (``{{ chart }}`` inside a ``<figure>``). The SVG has a ``viewBox`` and ``width="100%"`` (so it scales
with its container), inherits the page's fonts (``font-family="inherit"``) and uses presentation attributes
only -- no ``<style>``, no inline ``style``, no script -- so a strict Content-Security-Policy does not affect it.

What each chart is for (so that no chart invents data): counts and sums per year are :func:`year_bars`, one
column for every year of the range and zeros drawn as zeros; :func:`line_chart` is for continuous measurements
and is broken where a value is missing or the source changes; :func:`bar_chart` compares categories;
:func:`world_map` has a class for zero and one for "no data", and classes that do not overlap
(:func:`map_classes`).

Text: every word shown comes from the caller (already translated); numbers are formatted by the caller's
callbacks; everything is escaped. The chart's name is its ``title`` (``<title>`` and ``aria-label``). A chart
without links is ``role="img"``; a chart with links is ``role="group"`` instead, because the children of an
``img`` are presentational and links inside it would be hidden from assistive technology (axe rule
``nested-interactive``). Pages should still show the figures as a table next to the chart.

Colour: bars and lines use Okabe-Ito colours (darkened where needed) that keep a contrast of at least 3:1
against white (WCAG 1.4.11); line series differ by colour, dash pattern and marker shape, so they read in
greyscale. The map uses :func:`palette`, steps of viridis (colour-blind safe, perceptually ordered) restricted to
its darker part so that every class keeps 3:1 against white and placed so that adjacent classes differ by at
least :data:`MIN_DELTA_E` in CIEDE2000; zero is pale yellow, and countries without a value are light grey with a
hatch, lighter than every class.

The world map
-------------
Geometry comes from the npm package ``world-atlas`` (Natural Earth, public domain), installed by the project's
set-up (``make setup`` runs ``npm install``; ``package.json`` pins ``"world-atlas": "2.0.2"``), which then copies
it into the package (``scripts/world_geometry.py`` writes ``observatory/web/charts/data/``, shipped in a wheel).
The files are found at ``$OBSERVATORY_WORLD_ATLAS`` (the package folder or its ``countries-110m.json``), else in
the package's ``data/`` folder, else in ``node_modules/world-atlas/`` of the project root or of the working
directory. Nothing is downloaded; :func:`check_geometry` stops the platform's start when they are missing.

* Shapes: ``countries-110m.json``. The TopoJSON arcs are decoded here, projected with the Equal Earth projection
  (equal-area, Šavrič et al. 2018) onto a 1000-unit-wide ``viewBox``, simplified per arc (Douglas-Peucker,
  0.6 unit, so neighbours keep a common border), rounded to integers and written as relative path commands.
  Antarctica is left out (the view stops below Tierra del Fuego). The SVG is about 45-55 KB (10-15 KB gzipped).
* Natural Earth 110m has no polygon for about 70 small countries and territories, many of them SIDS (ATG, BRB,
  COM, CPV, DMA, FSM, GRD, KIR, KNA, LCA, MDV, MHL, MUS, NRU, PLW, SGP, STP, SYC, TON, TUV, VCT, WSM, ...). Those
  with a value are drawn as small circles at the centroid of their largest island, read from
  ``countries-10m.json`` of the same package (read once, about 0.3 s, then cached). No circle is drawn for small
  countries without a value.
* Still absent (no separate geometry even at 10m): BES, BVT, CCK, CXR, SJM, TKL, and GLP, GUF, MTQ, MYT, REU,
  which Natural Earth draws as parts of France; Antarctica (ATA) is left out of the view.
  :func:`unmapped_countries` gives the list at run time so a page can say which countries the map cannot show.
* Natural Earth's "Somaliland" and "N. Cyprus" are drawn as parts of SOM and CYP (as in UN M49 and ISO 3166);
  Kosovo, which has no ISO 3166-1 code, is drawn in the no-data grey without a name.

Suggested CSS for the page (optional)::

    .chart a:hover > :not(title), .chart a:focus-visible > :not(title) { stroke: #000; stroke-width: 1.5; }
"""

from observatory.web.charts.bars import bar_chart, year_bars, year_range
from observatory.web.charts.classes import MAX_CLASSES, MapClass, class_breaks, class_of, map_classes, palette
from observatory.web.charts.common import (
    BAR_COLOUR,
    MIN_DELTA_E,
    NO_DATA_FILL,
    NO_DATA_HATCH,
    SERIES_COLOURS,
    WORLD_ATLAS_ENV,
    ZERO_FILL,
    ChartNote,
    WorldAtlasMissingError,
    contrast_ratio,
)
from observatory.web.charts.geometry import check_geometry, unmapped_countries
from observatory.web.charts.lines import line_chart, nice_ticks, segments
from observatory.web.charts.maps import class_labels, world_map

__all__ = [
    "BAR_COLOUR",
    "MAX_CLASSES",
    "MIN_DELTA_E",
    "NO_DATA_FILL",
    "NO_DATA_HATCH",
    "SERIES_COLOURS",
    "WORLD_ATLAS_ENV",
    "ZERO_FILL",
    "ChartNote",
    "MapClass",
    "WorldAtlasMissingError",
    "bar_chart",
    "check_geometry",
    "class_breaks",
    "class_labels",
    "class_of",
    "contrast_ratio",
    "line_chart",
    "map_classes",
    "nice_ticks",
    "palette",
    "segments",
    "unmapped_countries",
    "world_map",
    "year_bars",
    "year_range",
]
