"""Server-side SVG charts: structure, escaping, links, round ticks, map classes and colours, size, accessibility."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from observatory.reference import countries
from observatory.web import charts

SVG = "{http://www.w3.org/2000/svg}"
MAP_BUDGET = 60_000  # bytes of SVG, uncompressed, with every country valued and linked


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314  (our own output)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") and root.get("width") == "100%" and root.get("font-family") == "inherit"
    return root


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
    root = parse(charts.bar_chart(items, title="Top", value_format=fmt, max_items=12))
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
    svg = charts.bar_chart(items, title="T", value_format=fmt, href=lambda i: None if i == 1 else f"/p?i={i}&x=1")
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
    root = parse(charts.bar_chart([(long, 0.0), ("Short", 0.0)], title="T", value_format=fmt))
    label = root.findall(f".//{SVG}text")[0].text or ""
    assert label.endswith("…") and len(label) < len(long)
    assert [float(r.get("width", "nan")) for r in root.iter(f"{SVG}rect")] == [0.0, 0.0]
    assert parse(charts.bar_chart([], title="Empty", value_format=fmt)).findall(f".//{SVG}rect") == []


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
    svg = charts.line_chart(series, title="Over time", x_format=lambda x: f"{x:g}", y_format=lambda y: f"{y:g}")
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


def test_small_counts_get_whole_number_ticks() -> None:
    svg = charts.line_chart([("IXPs", [(2018, 2.0), (2019, 1.0), (2024, 1.0)])], title="IXPs", x_format=str,
                            y_format=lambda y: f"{y:.0f}")  # fmt: skip
    labels = [t.text for t in parse(svg).findall(f".//{SVG}g[@class='ticks-y']/{SVG}text")]
    assert labels == ["0", "1", "2"]


def test_line_chart_takes_given_x_ticks_and_survives_no_data() -> None:
    root = parse(
        charts.line_chart(
            [("A", [(0, 1), (365, 3)])], title="T", x_format=lambda x: f"d{x:g}", y_format=str, x_ticks=[0, 100, 500]
        )
    )
    assert [t.text for t in root.findall(f".//{SVG}g[@class='ticks-x']/{SVG}text")] == ["d0", "d100"]
    parse(charts.line_chart([], title="T", x_format=str, y_format=str))
    parse(charts.line_chart([("A", [])], title="T", x_format=str, y_format=str))


def test_series_colours_have_three_to_one_contrast() -> None:
    assert all(contrast_on_white(c) >= 3 for c in (*charts.SERIES_COLOURS, charts.BAR_COLOUR))
    assert len(set(charts.SERIES_COLOURS)) == len(charts.SERIES_COLOURS)


# --- palette and classes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(1, 8))
def test_palette_is_distinct_ordered_and_contrasted(n: int) -> None:
    colours = charts.palette(n)
    assert len(colours) == n and len(set(colours)) == n
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert all(contrast_on_white(c) >= 3 for c in colours)
    lightness = [luminance(c) for c in colours]
    assert lightness == sorted(lightness, reverse=True)  # light (low values) to dark (high values)
    assert luminance(charts.NO_DATA_FILL) > 2 * lightness[0]  # no data is clearly lighter than every class


def test_class_breaks_follow_quantiles_across_orders_of_magnitude() -> None:
    values = [1.7**k for k in range(40)]  # 1 to 10^9
    limits = charts.class_breaks(values, 5)
    assert limits[0] == 1 and limits[-1] == values[-1]
    assert len(limits) == 6 and limits == sorted(set(limits))
    assert all(len(f"{b:.0f}".rstrip("0")) <= 2 for b in limits[1:-1])  # inner limits: two significant figures
    counts = [0] * 5
    for v in values:
        counts[min(max(i for i, b in enumerate(limits[:-1]) if v >= b), 4)] += 1
    assert all(6 <= c <= 10 for c in counts), counts
    assert charts.class_breaks([]) == []
    assert charts.class_breaks([4.0, 4.0]) == [4.0, 4.0]
    assert charts.class_breaks([1.0, 2.0]) == [1.0, 2.0]
    assert charts.class_breaks([1234.0, 5678.0, 91011.0, 1e6], 3) == [1234.0, 5700.0, 91000.0, 1e6]


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
    values = {"MWI": 120.0, "BRA": 5_000_000.0, "IND": 40_000.0, "KEN": 900.0, "TUV": 3_000.0, "USA": 80.0}
    svg = charts.world_map(
        values,
        title="Pledged value",
        value_format=fmt,
        legend_title="USD",
        labels={"MWI": "Malawi (fr)"},
        no_data_label="Aucune donnée",
    )
    root = parse(svg)
    shapes = _by_iso(root)
    assert {"MWI", "BRA", "FRA", "IND", "RUS", "FJI", "TUV"} <= set(shapes)
    colours = charts.palette(len(charts.class_breaks(values.values())) - 1)
    assert shapes["BRA"][1].get("fill") == colours[-1]  # highest class, darkest
    assert shapes["USA"][1].get("fill") == colours[0]
    assert shapes["MWI"][1].get("fill") in colours
    assert shapes["FRA"][1].get("fill", "").startswith("url(#")  # hatched no-data grey
    pattern = root.find(f".//{SVG}pattern")
    assert pattern is not None and shapes["FRA"][1].get("fill") == f"url(#{pattern.get('id')})"
    assert _tooltip(root, "MWI") == "Malawi (fr): 120 USD"
    assert _tooltip(root, "BRA") == "Brazil: 5,000,000 USD"
    assert _tooltip(root, "FRA") == "France: Aucune donnée"
    # Tuvalu has no 110m shape: drawn as a circle because it has a value; Kiribati, without one, is not drawn.
    assert shapes["TUV"][0].tag == f"{SVG}circle"
    assert "KIR" not in shapes
    legend = [t.text for t in root.findall(f".//{SVG}g[@class='legend']/{SVG}text")]
    assert legend[0] == "USD" and legend[-1] == "Aucune donnée" and legend[1] == "80 USD – 120 USD"
    assert root.get("role") == "img" and root.get("aria-label") == "Pledged value"
    assert "No data" not in svg


def test_world_map_links_and_stays_within_budget() -> None:
    reference = countries()
    values = {alpha3: 10.0 ** (i % 9) for i, alpha3 in enumerate(sorted(reference))}
    svg = charts.world_map(
        values, title="All", value_format=fmt, legend_title="USD", href=lambda a: f"/pledges?country={a}&view=list"
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
    root = parse(charts.world_map({"RUS": 1.0, "FJI": 2.0}, title="T", value_format=fmt, legend_title="L"))
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
        charts.world_map({"MWI": 1.0}, title="T", value_format=fmt, legend_title="L")
