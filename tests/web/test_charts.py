"""Server-side SVG charts: structure, escaping, links, round ticks, map classes and colours, size, accessibility,
and (as properties) that no chart invents data: a column for every year, lines broken at gaps and between
sources, map classes that partition the values, and colours told apart (CIEDE2000)."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observatory.reference import countries
from observatory.web import charts

SVG = "{http://www.w3.org/2000/svg}"
MAP_BUDGET = 60_000  # bytes of SVG, uncompressed, with every country valued and linked
NOTE: charts.ChartNote = {"unit": "Unit: USD", "source": "Source: the registry"}


def parse(chart: str) -> ET.Element:
    """The chart's <svg> (checked to scale with its container), the unit-and-source line set aside."""
    svg, _, note = str(chart).partition("</svg>")
    root = ET.fromstring(svg + "</svg>")  # noqa: S314  (our own output)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") and root.get("width") == "100%" and root.get("font-family") == "inherit"
    assert note == "" or note.startswith('<p class="chart-note">')
    return root


def note_of(chart: str) -> str:
    return re.sub(r"<[^>]+>", "", str(chart).partition("</svg>")[2])


def fmt(value: float) -> str:
    return f"{value:,.0f} USD"


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_on_white(colour: str) -> float:
    return 1.05 / (luminance(colour) + 0.05)


# --- bar chart --------------------------------------------------------------------------------------------------


def test_bar_chart_draws_one_bar_per_item_up_to_max_items() -> None:
    items = [(f"Country {i}", float(100 - i)) for i in range(15)]
    chart = charts.bar_chart(items, title="Top", value_format=fmt, max_items=12, **NOTE)
    assert note_of(chart) == "Unit: USD · Source: the registry"  # every chart states its unit and source
    root = parse(chart)
    assert root.findtext(f"{SVG}desc") == "Unit: USD · Source: the registry"
    rects = root.findall(f".//{SVG}rect")
    assert len(rects) == 12
    widths = [float(r.get("width", "nan")) for r in rects]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1] > 0
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Country 11" in texts and "Country 12" not in texts
    assert "100 USD" in texts and "89 USD" in texts
    assert root.get("role") == "img" and root.get("aria-label") == "Top"
    assert root.findtext(f"{SVG}title") == "Top"
    assert root.find(f".//{SVG}a") is None


def test_bar_chart_escapes_text() -> None:
    svg = charts.bar_chart(
        [("<script>alert(1)</script>", 5.0), ('Côte d\'Ivoire & "Co"', 3.0)],
        **NOTE,
        title="A <b>title</b>",
        value_format=lambda v: f"<{v}>",
    )
    assert "<script>" not in svg and "<b>" not in svg and "<5.0>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert root.get("aria-label") == "A <b>title</b>"
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "<script>alert(1)</script>: <5.0>" in titles
    assert 'Côte d\'Ivoire & "Co": <3.0>' in titles


def test_bar_chart_links_each_bar_when_href_given() -> None:
    items = [("Malawi", 3.0), ("Brazil", 2.0), ("France", 1.0)]
    svg = charts.bar_chart(
        items, **NOTE, title="T", value_format=fmt, href=lambda i: None if i == 1 else f"/p?i={i}&x=1"
    )
    root = parse(svg)
    links = root.findall(f".//{SVG}a")
    assert [a.get("href") for a in links] == ["/p?i=0&x=1", "/p?i=2&x=1"]
    assert "&amp;x=1" in svg
    # Each link holds its bar and is named by its <title>; links inside role="img" would be hidden.
    assert all(a.find(f"{SVG}rect") is not None and a[0].tag == f"{SVG}title" for a in links)
    assert links[0][0].text == "Malawi: 3 USD"
    assert root.get("role") == "group"


def test_bar_chart_truncates_long_labels_and_handles_empty_and_zero() -> None:
    long = "Organisation with a really very extremely long name that cannot fit " * 2
    root = parse(charts.bar_chart([(long, 0.0), ("Short", 0.0)], **NOTE, title="T", value_format=fmt))
    label = root.findall(f".//{SVG}text")[0].text or ""
    assert label.endswith("…") and len(label) < len(long)
    assert [float(r.get("width", "nan")) for r in root.iter(f"{SVG}rect")] == [0.0, 0.0]
    assert parse(charts.bar_chart([], **NOTE, title="Empty", value_format=fmt)).findall(f".//{SVG}rect") == []


# --- columns per year -------------------------------------------------------------------------------------------


def _bars(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == "bar"]


yearly = st.dictionaries(
    st.integers(1990, 2030),
    # Amounts of money or counts: no subnormal floats (a height over 1e-313 is no bar to draw or to test).
    st.one_of(
        st.none(),
        st.just(0.0),
        st.integers(0, 40).map(float),
        st.floats(0, 1e10, allow_nan=False, allow_subnormal=False),
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(yearly, st.integers(0, 3), st.integers(0, 3))
def test_year_bars_draw_one_column_per_year_and_zeros_as_zeros(
    values: dict[int, float | None], before: int, after: int
) -> None:
    first = min(values, default=2000) - before
    last = max(values, default=2000) + after
    chart = charts.year_bars(values, title="Pledges per year", value_format=lambda v: f"{v:g}", first=first,
                             last=last, **NOTE)  # fmt: skip
    root = parse(chart)
    bars = _bars(root)
    assert [int(b.get("data-year", "0")) for b in bars] == list(range(first, last + 1))  # every year, in order
    tops = []
    for bar in bars:
        year = int(bar.get("data-year", "0"))
        amount = values.get(year) or 0.0
        (rect,) = bar.findall(f"{SVG}rect")
        assert bar.findtext(f"{SVG}title") == f"{year}: {amount:g}"
        if amount == 0:  # absent, None or 0: a zero mark on the baseline, not a gap
            assert rect.get("class") == "zero" and float(rect.get("height", "0")) > 0
        else:
            assert rect.get("class") is None and rect.get("fill") == charts.BAR_COLOUR
            tops.append((amount, float(rect.get("height", "0"))))
    # Heights are proportional to the values (no ramp, no smoothing).
    if tops:
        ratio = max(tops)[1] / max(tops)[0]
        assert all(math.isclose(h, max(1.0, a * ratio), abs_tol=0.15) for a, h in tops)  # 1 at least
    assert root.find(f".//{SVG}polyline") is None
    assert note_of(chart) == "Unit: USD · Source: the registry"
    assert len(chart) < 1200 + 260 * len(bars)  # no per-point bloat


def test_year_bars_fill_the_range_label_values_and_link_years() -> None:
    chart = charts.year_bars({2021: 3.0, 2023: 1.0}, title="T", value_format=lambda v: f"{v:.0f}",
                             href=lambda y: f"/pledges?year={y}", **NOTE)  # fmt: skip
    root = parse(chart)
    bars = _bars(root)
    assert [b.get("data-year") for b in bars] == ["2021", "2022", "2023"]
    assert [b.tag for b in bars] == [f"{SVG}a"] * 3 and bars[1].get("href") == "/pledges?year=2022"
    assert [b.findtext(f"{SVG}text") for b in bars] == ["3", "0", "1"]  # the zero year says 0
    y_ticks = [t.text for t in root.findall(f".//{SVG}g[@class='ticks-y']/{SVG}text")]
    assert y_ticks == ["0", "1", "2", "3"]  # counts: whole ticks
    x_ticks = [t.text for t in root.findall(f".//{SVG}g[@class='ticks-x']/{SVG}text")]
    assert x_ticks == ["2021", "2022", "2023"]
    assert root.get("role") == "group"
    empty = parse(charts.year_bars({}, title="T", value_format=str, **NOTE))
    assert _bars(empty) == []


def test_year_bars_thin_year_labels_but_keep_every_column() -> None:
    root = parse(charts.year_bars({y: float(y % 7) for y in range(1980, 2031)}, title="T", value_format=str,
                                  width=390, **NOTE))  # fmt: skip
    assert len(_bars(root)) == 51
    x_ticks = [t.text for t in root.findall(f".//{SVG}g[@class='ticks-x']/{SVG}text")]
    assert x_ticks[0] == "1980" and 4 <= len(x_ticks) < 51


# --- line chart -------------------------------------------------------------------------------------------------


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert charts.nice_ticks(0, 13) == [0, 5, 10, 15]
    assert charts.nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert charts.nice_ticks(0, 2_345_678) == [0, 500_000, 1_000_000, 1_500_000, 2_000_000, 2_500_000]
    assert charts.nice_ticks(-0.37, 0.81) == [-0.5, 0.0, 0.5, 1.0]
    assert charts.nice_ticks(2021.3, 2025.8, 6) == [2021, 2022, 2023, 2024, 2025, 2026]
    assert charts.nice_ticks(5, 5)[0] <= 5 <= charts.nice_ticks(5, 5)[-1]


def test_line_chart_ticks_are_round_numbers_and_every_series_is_drawn() -> None:
    series = [
        ("Pledges", [(2021 + k / 12, 37.0 * k) for k in range(50)]),
        ("Fulfilled", [(2021.5 + k / 4, 80.0 * k + 3) for k in range(15)]),
        ("Third", [(2022.0, 10.0), (2024.5, 1234.0)]),
    ]
    svg = charts.line_chart(series, **NOTE, title="Over time", x_format=lambda x: f"{x:g}", y_format=lambda y: f"{y:g}")
    root = parse(svg)
    y_ticks = [float(t.text or "nan") for t in root.findall(f".//{SVG}g[@class='ticks-y']/{SVG}text")]
    x_ticks = [float(t.text or "nan") for t in root.findall(f".//{SVG}g[@class='ticks-x']/{SVG}text")]
    assert y_ticks[0] == 0 and y_ticks[-1] >= 37 * 49
    step = y_ticks[1] - y_ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in (1, 2, 5)
    assert all(math.isclose(b - a, step) for a, b in itertools.pairwise(y_ticks))
    assert all(float(t) == int(t) for t in y_ticks)
    assert x_ticks == [2021, 2022, 2023, 2024, 2025]
    drawn = root.findall(f".//{SVG}g[@class='series']")
    assert len(drawn) == 3
    assert [g.findtext(f"{SVG}title") for g in drawn] == ["Pledges", "Fulfilled", "Third"]
    lines = [g.findall(f"{SVG}path")[0] for g in drawn]
    # Distinct colours and distinct dash patterns, so the series read in greyscale too.
    assert len({p.get("stroke") for p in lines}) == 3
    assert len({p.get("stroke-dasharray", "") for p in lines}) == 3
    legend = [t.text for t in root.findall(f".//{SVG}g[@class='legend']/{SVG}text")]
    assert legend == ["Pledges", "Fulfilled", "Third"]
    assert root.get("role") == "img"


def _subpaths(path: ET.Element) -> list[list[tuple[float, float]]]:
    out = []
    for part in (path.get("d") or "").split("M")[1:]:
        out.append([(float(x), float(y)) for x, y in (p.split() for p in part.split("L"))])
    return out


points_with_gaps = st.lists(
    st.tuples(
        st.integers(2000, 2030).map(float),
        st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan)),
        st.sampled_from([None, "itu", "worldbank"]),
    ),
    max_size=30,
    unique_by=lambda p: p[0],
)


@settings(max_examples=200, deadline=None)
@given(points_with_gaps, st.sampled_from([None, 1.0, 2.0]))
def test_no_line_crosses_a_missing_value_or_joins_two_sources(
    points: list[tuple[float, float | None, str | None]], gap: float | None
) -> None:
    runs = charts.segments(points, gap)
    ordered = sorted(points)
    valued = [p for p in ordered if p[1] is not None and math.isfinite(p[1])]
    assert [p for run in runs for p in run] == valued  # every value drawn once, in x order
    position = {p[0]: i for i, p in enumerate(ordered)}
    for run in runs:
        assert len({source for _, _, source in run}) == 1  # one source per run
        for (x0, _, _), (x1, _, _) in itertools.pairwise(run):
            assert position[x1] == position[x0] + 1  # nothing missing between two joined points
            assert gap is None or x1 - x0 <= gap
    for a, b in itertools.pairwise(runs):  # a run ends for a reason
        end, start = a[-1], b[0]
        missing_between = position[start[0]] != position[end[0]] + 1
        assert missing_between or end[2] != start[2] or (gap is not None and start[0] - end[0] > gap)

    # The drawing: one subpath per run of two points or more, with exactly that run's points.
    chart = charts.line_chart([("Use", points)], title="T", x_format=str, y_format=str, max_gap=gap, **NOTE)
    root = parse(chart)
    drawn = [len(sub) for path in root.findall(f".//{SVG}g[@class='series']/{SVG}path[@stroke-width='2.5']")
             for sub in _subpaths(path)]  # fmt: skip
    assert sorted(drawn) == sorted(len(run) for run in runs if len(run) > 1)


def test_line_chart_breaks_at_gaps_names_sources_and_marks_lone_points() -> None:
    points = [(2018.0, 10.0, "itu"), (2019.0, 12.0, "itu"), (2020.0, None, "itu"), (2021.0, 15.0, "itu"),
              (2022.0, 16.0, "wb"), (2023.0, 17.0, "wb"), (2025.0, 19.0, "wb")]  # fmt: skip
    chart = charts.line_chart([("Internet use", points)], title="T", x_format=lambda x: f"{x:.0f}", y_format=str,
                              max_gap=1.0, source_names={"itu": "ITU", "wb": "World Bank"}, **NOTE)  # fmt: skip
    root = parse(chart)
    series = root.find(f".//{SVG}g[@class='series']")
    assert series is not None
    lines = series.findall(f"{SVG}path[@data-source]")
    assert [p.get("data-source") for p in lines] == ["itu", "wb"]
    assert [len(s) for s in _subpaths(lines[0])] == [2] and [len(s) for s in _subpaths(lines[1])] == [2]
    assert [p.findtext(f"{SVG}title") for p in lines] == ["Internet use (ITU)", "Internet use (World Bank)"]
    # 2021 (alone between a gap and a change of source) and 2025 (after a missing year) are markers only.
    markers = series.findall(f"{SVG}path")[-1].get("d", "")
    assert markers.count("M") == 6
    legend = [t.text for t in root.findall(f".//{SVG}g[@class='legend']/{SVG}text")]
    assert legend == ["Internet use (ITU, World Bank)"]
    assert root.findtext(f"{SVG}desc") == "Unit: USD · Source: the registry"


def test_small_counts_get_whole_number_ticks() -> None:
    svg = charts.line_chart([("IXPs", [(2018, 2.0), (2019, 1.0), (2024, 1.0)])], **NOTE, title="IXPs", x_format=str,
                            y_format=lambda y: f"{y:.0f}")  # fmt: skip
    labels = [t.text for t in parse(svg).findall(f".//{SVG}g[@class='ticks-y']/{SVG}text")]
    assert labels == ["0", "1", "2"]


def test_line_chart_takes_given_x_ticks_and_survives_no_data() -> None:
    root = parse(
        charts.line_chart(
            [("A", [(0, 1), (365, 3)])],
            **NOTE,
            title="T",
            x_format=lambda x: f"d{x:g}",
            y_format=str,
            x_ticks=[0, 100, 500],
        )
    )
    assert [t.text for t in root.findall(f".//{SVG}g[@class='ticks-x']/{SVG}text")] == ["d0", "d100"]
    parse(charts.line_chart([], **NOTE, title="T", x_format=str, y_format=str))
    parse(charts.line_chart([("A", [])], **NOTE, title="T", x_format=str, y_format=str))


# --- colour difference (CIEDE2000) ------------------------------------------------------------------------------
# No colour library (colour-science, coloraide, scikit-image) is a dependency of the project, so the formula is
# written here, from Sharma, Wu & Dalal (2005), and checked against their published test pairs.


def lab(colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB ``#rrggbb`` colour."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(colour))
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _rgb(colour: str) -> list[float]:
    return [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]


def delta_e00(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """CIEDE2000 colour difference between two CIELAB colours."""
    (l1, a1, b1), (l2, a2, b2) = first, second
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean**7 / (c_mean**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    d_l, d_c = l2 - l1, c2p - c1p
    d_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_mean = (h1p + h2p) / 2
    else:
        h_mean = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_mean - 30))
        + 0.24 * math.cos(math.radians(2 * h_mean))
        + 0.32 * math.cos(math.radians(3 * h_mean + 6))
        - 0.20 * math.cos(math.radians(4 * h_mean - 63))
    )
    rotation = 30 * math.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(cp_mean**7 / (cp_mean**7 + 25**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_mean, 1 + 0.015 * cp_mean * t
    r_t = -math.sin(math.radians(2 * rotation)) * r_c
    return math.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


def delta_e(colour: str, other: str) -> float:
    return delta_e00(lab(colour), lab(other))


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [  # Sharma, Wu & Dalal (2005), table 1: pairs 1, 2, 7, 17, 18, 19, 20, 25, 34
        ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
        ((50, 3.1571, -77.2803), (50, 0, -82.7485), 2.8615),
        ((50, 0, 0), (50, -1, 2), 2.3669),
        ((50, 2.5, 0), (73, 25, -18), 27.1492),
        ((50, 2.5, 0), (61, -5, 29), 22.8977),
        ((50, 2.5, 0), (56, -27, -3), 31.9030),
        ((50, 2.5, 0), (58, 24, 15), 19.4535),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
    ],
)
def test_ciede2000_matches_the_published_test_data(
    first: tuple[float, float, float], second: tuple[float, float, float], expected: float
) -> None:
    assert delta_e00(first, second) == pytest.approx(expected, abs=1e-4)
    assert delta_e00(second, first) == pytest.approx(expected, abs=1e-4)


# --- palette and classes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(1, charts.MAX_CLASSES + 1))
def test_map_palette_is_ordered_contrasted_and_told_apart(n: int) -> None:
    colours = charts.palette(n)
    assert len(colours) == n and len(set(colours)) == n
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert all(contrast_on_white(c) >= 3 for c in colours)
    lightness = [luminance(c) for c in colours]
    assert lightness == sorted(lightness, reverse=True)  # light (low values) to dark (high values)
    assert luminance(charts.NO_DATA_FILL) > 2 * lightness[0]  # no data is clearly lighter than every class
    # The legend's order: zero, the classes light to dark; every neighbour, and every colour against the
    # no-data grey (its fill and its hatch), at least MIN_DELTA_E apart.
    legend = [charts.ZERO_FILL, *colours]
    for a, b in itertools.pairwise(legend):
        assert delta_e(a, b) >= charts.MIN_DELTA_E, (n, a, b, delta_e(a, b))
    for c in legend:
        for grey in (charts.NO_DATA_FILL, charts.NO_DATA_HATCH):
            assert delta_e(c, grey) >= charts.MIN_DELTA_E, (n, c, grey, delta_e(c, grey))


def test_palette_never_gives_more_classes_than_it_can_tell_apart() -> None:
    assert charts.palette(charts.MAX_CLASSES + 3) == charts.palette(charts.MAX_CLASSES)
    assert charts.palette(0) == []
    assert len(charts.class_breaks(range(1, 1000), 9)) == charts.MAX_CLASSES


def test_line_and_bar_colours_are_contrasted_and_told_apart() -> None:
    assert all(contrast_on_white(c) >= 3 for c in (*charts.SERIES_COLOURS, charts.BAR_COLOUR))
    assert len(set(charts.SERIES_COLOURS)) == len(charts.SERIES_COLOURS)
    for a, b in itertools.combinations(charts.SERIES_COLOURS, 2):  # any two series may share a chart
        assert delta_e(a, b) >= charts.MIN_DELTA_E, (a, b, delta_e(a, b))


def test_class_breaks_follow_quantiles_across_orders_of_magnitude() -> None:
    values = [1.7**k for k in range(40)]  # 1 to 10^9
    limits = charts.class_breaks(values, 5)
    assert limits[-1] == values[-1]
    assert len(limits) == 5 and limits == sorted(set(limits))
    assert all(len(f"{b:.0f}".rstrip("0")) <= 2 for b in limits[:-1])  # inner limits: two significant figures
    found = charts.map_classes(values, 5)
    counts = [sum(c.holds(v) for v in values) for c in found if c.kind == "range"]
    assert all(6 <= c <= 10 for c in counts), counts
    assert charts.class_breaks([]) == [] and charts.class_breaks([0.0, 0.0]) == []
    assert charts.class_breaks([4.0, 4.0]) == [4.0]
    assert charts.class_breaks([0.0, 1.0, 2.0]) == [1.0, 2.0]  # zero is not classed with the others
    assert charts.class_breaks([1234.0, 5678.0, 91011.0, 1e6], 4) == [1300.0, 5700.0, 92000.0, 1e6]  # rounded up


finite_values = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
map_values = st.lists(
    st.one_of(st.none(), st.just(0.0), st.just(math.nan), finite_values, st.integers(0, 50).map(float)), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(map_values, st.integers(1, 8))
def test_map_classes_partition_the_values(values: list[float | None], wanted: int) -> None:
    found = charts.map_classes(values, wanted)
    assert [c.kind for c in found[-2:]] == ["zero", "no_data"]
    assert len([c for c in found if c.kind == "range"]) <= min(wanted, charts.MAX_CLASSES)
    for value in values:
        holding = [i for i, c in enumerate(found) if c.holds(value)]
        assert len(holding) == 1, (value, found)  # every value in exactly one class
        assert charts.class_of(value, found) == holding[0]
        kind = found[holding[0]].kind
        if value is None or math.isnan(value):
            assert kind == "no_data"
        elif value == 0:
            assert kind == "zero"
        else:
            assert kind == "range"
    # Range classes touch without overlapping: each starts where the one before ends.
    ranges = [c for c in found if c.kind == "range"]
    assert all(b.low == a.high for a, b in itertools.pairwise(ranges))
    assert not ranges or ranges[0].low is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=1, max_size=60))
def test_count_classes_are_labelled_with_ranges_that_do_not_share_a_count(counts: list[int]) -> None:
    values = [float(c) for c in counts]
    found = charts.map_classes(values)
    labels = charts.class_labels(found, lambda v: f"{v:.0f}", whole=True, zero_label="none")
    seen: set[int] = set()
    for c, text in zip(found, labels, strict=True):
        if c.kind != "range":
            continue
        low, _, high = text.partition(" – ")
        members = set(range(int(low), int(high or low) + 1))
        assert not members & seen, (labels, text)  # no count in two classes
        seen |= members
        assert all(c.holds(float(v)) for v in members)
    assert {c for c in counts if c} <= seen
    assert labels[-2:] == ["none", "No data"]


def test_value_classes_say_up_to_then_ranges() -> None:
    found = charts.map_classes([0.0, 5e7, 1.2e8, 2.2e8, 6e8, 1e9, 3e9, 6e9], 3)
    labels = charts.class_labels(found, lambda v: f"{v / 1e6:g}M", whole=False, up_to_label="jusqu’à %(value)s")
    assert labels[0].startswith("jusqu’à ") and " – " in labels[1]
    assert labels[0].rpartition(" ")[2] == labels[1].partition(" – ")[0]  # the next class starts above it
    assert labels[-2] == "0M"  # zero: its own class, by default the formatted 0


# --- world map --------------------------------------------------------------------------------------------------


def _by_iso(root: ET.Element) -> dict[str, tuple[ET.Element, ET.Element]]:
    """alpha-3 -> (shape, the group giving its fill)."""
    found: dict[str, tuple[ET.Element, ET.Element]] = {}
    for group in root.iter(f"{SVG}g"):
        for child in group.iter():
            if child.get("data-iso") and group.get("fill"):
                found.setdefault(child.get("data-iso", ""), (child, group))
    return found


def _tooltip(root: ET.Element, alpha3: str) -> str:
    for parent in root.iter():
        for child in parent:
            if child.get("data-iso") == alpha3:
                own = child.findtext(f"{SVG}title")
                return own if own is not None else parent.findtext(f"{SVG}title") or ""
    raise AssertionError(alpha3)


def test_world_map_colours_countries_by_class_and_greys_the_rest() -> None:
    values: dict[str, float | None] = {
        "MWI": 120.0, "BRA": 5_000_000.0, "IND": 40_000.0, "KEN": 900.0, "TUV": 3_000.0, "USA": 80.0,
        "NER": 0.0, "CHN": None, "PER": math.nan,
    }  # fmt: skip
    svg = charts.world_map(
        values,
        **NOTE,
        title="Pledged value",
        value_format=fmt,
        legend_title="USD",
        labels={"MWI": "Malawi (fr)"},
        no_data_label="Aucune donnée",
        zero_label="Aucun USD",
        up_to_label="jusqu’à %(value)s",
        classes=3,
    )
    root = parse(svg)
    shapes = _by_iso(root)
    assert {"MWI", "BRA", "FRA", "IND", "RUS", "FJI", "TUV"} <= set(shapes)
    colours = charts.palette(3)
    assert shapes["BRA"][1].get("fill") == colours[-1]  # highest class, darkest
    assert shapes["USA"][1].get("fill") == shapes["MWI"][1].get("fill") == colours[0]
    assert shapes["KEN"][1].get("fill") == colours[1]
    assert shapes["NER"][1].get("fill") == charts.ZERO_FILL  # zero has its own class, not the lowest one
    pattern = root.find(f".//{SVG}pattern")
    assert pattern is not None
    for alpha3 in ("FRA", "CHN", "PER"):  # absent, None, not a number: no data, hatched grey
        assert shapes[alpha3][1].get("fill") == f"url(#{pattern.get('id')})"
    assert _tooltip(root, "MWI") == "Malawi (fr): 120 USD"
    assert _tooltip(root, "BRA") == "Brazil: 5,000,000 USD"
    assert _tooltip(root, "FRA") == "France: Aucune donnée"
    assert _tooltip(root, "NER") == "Niger: Aucun USD"
    # Tuvalu has no 110m shape: drawn as a circle because it has a value; Kiribati, without one, is not drawn.
    assert shapes["TUV"][0].tag == f"{SVG}circle"
    assert "KIR" not in shapes
    legend = [t.text for t in root.findall(f".//{SVG}g[@class='legend']/{SVG}text")]
    assert legend == ["USD", "Aucun USD", "jusqu’à 120 USD", "120 USD – 3,000 USD", "3,000 USD – 5,000,000 USD",
                      "Aucune donnée"]  # fmt: skip
    swatches = [r.get("data-class") for r in root.findall(f".//{SVG}g[@class='legend']/{SVG}rect")]
    assert swatches == ["zero", "range", "range", "range", "no_data"]
    assert root.get("role") == "img" and root.get("aria-label") == "Pledged value"
    assert "No data" not in svg
    assert root.findtext(f"{SVG}desc") == "Unit: USD · Source: the registry"
    assert note_of(svg) == "Unit: USD · Source: the registry"


def test_world_map_legend_shows_zero_only_when_a_country_is_at_zero() -> None:
    root = parse(
        charts.world_map({"MWI": 3.0, "BRA": 1.0}, **NOTE, title="T", value_format=str, legend_title="L", counts=True)
    )
    swatches = [r.get("data-class") for r in root.findall(f".//{SVG}g[@class='legend']/{SVG}rect")]
    assert swatches == ["range", "range", "no_data"]
    texts = [t.text for t in root.findall(f".//{SVG}g[@class='legend']/{SVG}text")]
    assert texts[1:3] == ["1.0", "2.0 – 3.0"]  # counts: exact ranges


def test_world_map_links_and_stays_within_budget() -> None:
    reference = countries()
    values = {alpha3: 10.0 ** (i % 9) for i, alpha3 in enumerate(sorted(reference))}
    svg = charts.world_map(
        values,
        **NOTE,
        title="All",
        value_format=fmt,
        legend_title="USD",
        href=lambda a: f"/pledges?country={a}&view=list",
    )
    assert len(svg.encode()) < MAP_BUDGET
    root = parse(svg)
    assert root.get("role") == "group"
    links = {a.get("href") for a in root.iter(f"{SVG}a")}
    assert {"/pledges?country=MWI&view=list", "/pledges?country=BRA&view=list"} <= links
    shown = set(_by_iso(root))
    assert shown | charts.unmapped_countries() == set(reference)
    assert {"MWI", "BRA", "FRA", "SGP", "MDV", "TUV", "WSM"} <= shown
    # Every country is named by the <title> its link carries.
    mwi = next(a for a in root.iter(f"{SVG}a") if a.get("href") == "/pledges?country=MWI&view=list")
    assert mwi[0].tag == f"{SVG}title" and (mwi[0].text or "").startswith("Malawi: ")


def test_world_map_cuts_shapes_at_the_antimeridian() -> None:
    root = parse(charts.world_map({"RUS": 1.0, "FJI": 2.0}, **NOTE, title="T", value_format=fmt, legend_title="L"))
    shapes = _by_iso(root)
    for alpha3 in ("RUS", "FJI"):
        d = shapes[alpha3][0].get("d", "")
        steps = [abs(int(n)) for n in re.findall(r"-?\d+", " ".join(re.findall(r"l([-\d ]+)z", d)))[::2]]
        assert steps and max(steps) < 200, alpha3


def test_unmapped_countries_are_the_tiny_ones() -> None:
    missing = charts.unmapped_countries()
    assert {"TKL", "ATA"} <= missing and not {"MWI", "TUV", "KIR", "FRA"} & missing
    assert len(missing) < 20


def test_world_map_explains_the_set_up_when_geometry_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(charts.WORLD_ATLAS_ENV, str(tmp_path))
    with pytest.raises(charts.WorldAtlasMissingError, match=r"make setup.*npm install"):
        charts.world_map({"MWI": 1.0}, **NOTE, title="T", value_format=fmt, legend_title="L")
