"""Honest estimates (issue 13, point 6): one year for every headline figure, breaks in a series found and never
projected across, values beyond the last observation drawn apart, aggregates resting on them labelled, and
sources named as their publishers name them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import polars as pl
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from observatory.indicators import breaks, projections
from observatory.indicators.pages import drawn_apart
from observatory.web import charts

SVG = "{http://www.w3.org/2000/svg}"
NAMES = ("Observed", "Interpolated", "Estimated")


def frame(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["area", "year", "value"], orient="row")


def test_a_fall_and_a_jump_are_breaks_and_steady_or_covid_growth_is_not() -> None:
    malawi = [0.8, 0.2, 0.3, 0.7, 1.0, 6.6, 7.6, 4.7, 0.7]  # yearly changes 2014-2022, then 27.7 -> 18.0
    values = [5.0]
    for step in malawi:
        values.append(values[-1] + step)
    rows = [("MWI", 2013 + k, v) for k, v in enumerate(values)] + [("MWI", 2023, values[-1] - 9.7)]
    rows += [("STD", 2010 + k, 10.0 + 4.0 * k) for k in range(14)]  # steady fast adopter: +4 a year
    rows += [("CVD", 2015 + k, 20.0 + 3.0 * k + (13.0 if k >= 5 else 0.0)) for k in range(9)]  # +16 in 2020
    rows += [("JMP", 2012 + k, 10.0 + 2.0 * k + (25.0 if k >= 6 else 0.0)) for k in range(12)]  # +27 in 2018
    found = {(r["area"], r["year"]): r for r in breaks.find(frame(rows)).iter_rows(named=True)}
    assert set(found) == {("MWI", 2023), ("JMP", 2018), ("CVD", 2020)}
    assert found[("MWI", 2023)]["kind"] == "fall" and found[("MWI", 2023)]["previous_year"] == 2022
    assert found[("JMP", 2018)]["kind"] == "jump" and found[("JMP", 2018)]["typical"] == 2.0
    # +13 points in one year (India in 2020) is fast growth, not a break.
    india = frame([("IND", 2014 + k, 14.0 + 3.0 * k + (10.9 if k >= 6 else 0.0)) for k in range(10)])  # +13.9
    assert breaks.find(india).height == 0


def test_the_projection_uses_the_part_after_the_break_or_says_it_is_too_short() -> None:
    before = [("AAA", y, 10.0 + 3.0 * (y - 2010)) for y in range(2010, 2018)]  # 2010-2017, 10 -> 31
    after = [("AAA", y, 15.0 + 5.0 * (y - 2018)) for y in range(2018, 2024)]  # fall to 15, then +5 a year
    short = [("BBB", y, 20.0 + 2.0 * (y - 2014)) for y in range(2014, 2023)] + [("BBB", 2023, 10.0)]
    series = frame(before + after + short)
    result = {r["area"]: r for r in projections.project(series, breaks.find(series)).iter_rows(named=True)}
    assert result["AAA"]["break_year"] == 2018 and result["AAA"]["first_year"] == 2018
    assert result["AAA"]["points"] == 6 and result["AAA"]["method"] == "linear"
    assert result["AAA"]["year_95"] == 2034  # 15 + 5 × 16 = 95: the pace after the break, not across it
    assert result["BBB"]["status"] == "too_short_after_break" and result["BBB"]["year_95"] is None
    assert result["BBB"]["points"] == 1 and result["BBB"]["method"] is None and not result["BBB"]["before_2030"]
    # Without breaks, the same series is fitted whole, as before.
    assert projections.project(series)["break_year"].null_count() == 2


steps = st.lists(st.floats(min_value=-12, max_value=25, allow_nan=False), min_size=5, max_size=20)


@settings(max_examples=150, deadline=None)
@given(steps, st.integers(min_value=2000, max_value=2010))
def test_no_projection_spans_a_break(changes: list[float], start: int) -> None:
    values = [30.0]
    for change in changes:
        values.append(min(100.0, max(0.0, values[-1] + change)))
    series = frame([("XXX", start + k, v) for k, v in enumerate(values)])
    found = breaks.find(series)
    result = projections.project(series, found)
    for row in result.iter_rows(named=True):
        inside = found.filter(pl.col("previous_year") >= row["first_year"])
        # The fitted years hold no break: every break is before the first fitted year.
        assert inside.filter(pl.col("year") > row["first_year"]).height == 0
        if row["break_year"] is not None:
            assert row["first_year"] == row["break_year"]
            assert row["method"] is not None or row["status"] in ("too_short_after_break", "reached")


kinds = st.sampled_from(["observed", "observed", "interpolated", "carried_forward", "group_mean"])


@settings(max_examples=150, deadline=None)
@given(st.lists(kinds, min_size=1, max_size=25), st.lists(st.integers(2001, 2025), max_size=3))
def test_no_line_joins_an_observed_and_an_estimated_point(methods: list[str], cuts: list[int]) -> None:
    rows = [{"year": 2000 + k, "v": float(k), "method": m} for k, m in enumerate(methods)]
    lines, apart = drawn_apart(rows, "v", NAMES, cuts)
    by_year = {r["year"]: r["method"] for r in rows}
    for (name, points), hollow in zip(lines, apart, strict=True):
        kinds_in = {by_year[int(x)] for x, _, _ in points}
        if hollow:  # the estimates beyond the observations: nothing else, and drawn without a line
            assert name == NAMES[2] and kinds_in <= {"carried_forward", "group_mean"}
        else:
            assert kinds_in <= {"observed", "interpolated"}
    chart = charts.line_chart(
        lines, title="t", x_format=str, y_format=str, unit="u", source="s", max_gap=1.0, apart=apart
    )
    root = ET.fromstring(str(chart).partition("</svg>")[0] + "</svg>")  # noqa: S314  (our own output)
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "series":
            continue
        index = int(group.get("data-series", "0"))
        lines_drawn = [p for p in group.iter(f"{SVG}path") if "L" in (p.get("d") or "") and p.get("fill") == "none"]
        if apart[index]:
            assert lines_drawn == []
    for (_, points), hollow in zip(lines, apart, strict=True):
        for run in charts.segments(points, 1.0):  # each run drawn as one line stays on one side of every break
            years = [int(x) for x, _, _ in run]
            assert not any(min(years) < cut <= max(years) for cut in cuts) or hollow


def _figures(section: str) -> list[str]:
    block = section[section.index('<dl class="figures">') : section.index("</dl>")]
    return re.findall(r"<dt>(.*?)</dt>", block)


def _figures_dd(page: str) -> str:
    section = page[page.index('id="connectivity"') :]
    return section[section.index('<dl class="figures">') : section.index("</dl>")]


def _years(texts: list[str]) -> set[str]:
    return {y for t in texts for y in re.findall(r"\((\d{4})", t)}


def test_malawi_headline_one_year_break_said_and_sources_by_name(loaded: Engine, client: TestClient) -> None:
    page = client.get("/countries/MWI").text
    section = page[page.index('id="connectivity"') : page.index("</section>", page.index('id="connectivity"'))]
    headline = _figures(section)
    dated = [t for t in headline if "(" in t]
    assert len(dated) == 3 and _years(dated) == {"2023"}, headline
    assert "2023, observed" in headline[0]
    assert "The series breaks in 2023" in section and "too few to fit a trend" in section
    assert "In 2023, " in section and "In 2022, " not in section  # the need sentence: the headline's year
    assert "World Bank, World Development Indicators" in section
    for internal in ("worldbank_api", "worldbank_wdi", "API CSV download", "data package, one CSV"):
        assert internal not in section, internal
    twin: dict[str, Any] = client.get("/countries/MWI", params={"format": "json"}).json()["connectivity"]
    assert twin["year"] == twin["headline"]["year"] == twin["pledges"]["year"] == 2023
    assert twin["headline"]["status"] == "observed"
    assert twin["breaks"] == [{**twin["breaks"][0], "year": 2023, "previous_year": 2022, "kind": "fall"}]
    assert twin["projection"]["status"] == "too_short_after_break" and twin["projection"]["break_year"] == 2023
    assert [r["year"] for r in twin["series"] if r["estimated"]] == [2024, 2025]
    french = client.get("/countries/MWI", params={"lang": "fr"}).text
    assert "18,0 %" in _figures_dd(french)  # the lead merges the French msgids into the catalog


def test_world_and_ldc_label_the_years_resting_on_carried_values(loaded: Engine, client: TestClient) -> None:
    world = client.get("/", params={"format": "json"}).json()["connectivity"]
    assert world["year"] == 2022 and not world["world"]["estimated"]
    late = {r["year"]: r for r in world["over_time"] if r["year"] >= 2023}
    assert late and all(r["estimated"] for r in late.values())
    assert late[2024]["carried_forward_share"] > 0.5 and late[2024]["observed_population_share"] < 0.5
    assert world["estimated_from"] == 2023
    page = client.get("/connectivity").text
    assert "From 2023, less than half of the population has an observed value" in page
    assert _years(_figures(page)) == {"2022"}
    ldc = client.get("/groups/LDC", params={"format": "json"}).json()["connectivity"]
    assert ldc["year"] == ldc["headline"]["year"] == ldc["pledges"]["year"] == 2022
    assert ldc["headline"]["status"] == "observed"
    assert next(r["year"] for r in ldc["series"] if r["estimated"]) == 2023
    group_page = client.get("/groups/LDC").text
    assert _years(_figures(group_page[group_page.index('id="connectivity"') :])) == {"2022"}
    assert "hollow markers" in group_page


def test_every_area_gives_its_headline_figures_for_one_year(loaded: Engine, client: TestClient) -> None:
    from observatory.db import transaction
    from observatory.indicators import report
    from observatory.reference import countries
    from observatory.reference.areas import AGGREGATES

    with transaction(loaded) as session:
        for code in [*sorted(countries())[::7], *AGGREGATES]:
            data = report.area_section(session, code)
            assert data is not None
            if data["headline"] is None:
                assert data["year"] is None and not data["series"], code
                continue
            assert data["headline"]["year"] == data["year"], code
            assert data["pledges"] is None or data["pledges"]["year"] == data["year"], code
            assert data["headline"]["status"] in ("observed", "estimated")
            observed = [r["year"] for r in data["series"] if not r["estimated"]]
            assert data["headline"]["status"] == "estimated" or data["year"] == max(observed), code
    # On the page: every dated headline figure states the same year (an estimated one says so).
    for code in ("IND", "DEU", "USA", "YEM", "GHA", "ASM"):
        page = client.get(f"/countries/{code}").text
        figures = _figures(page[page.index('id="connectivity"') :])
        assert len(_years(figures)) == 1, (code, figures)
        assert all("observed" in t or "estimated" in t for t in figures[:2]), (code, figures)
