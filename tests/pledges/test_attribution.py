"""One attributed value everywhere: the part of each pledge's value that falls on a selection, the same on
every page, JSON twin, CSV and API answer, and equal to an independent computation from the pledges."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from observatory import reference
from observatory.db import transaction
from observatory.pledges import service
from observatory.pledges.breakdowns import BY_VALUES, summary
from observatory.pledges.csvio import import_file
from observatory.pledges.demo import generate
from observatory.pledges.models import Pledge, ProgressReport
from observatory.pledges.query import PledgeFilter
from observatory.pledges.schemas import PledgeIn
from observatory.web.app import create_app
from tests.conftest import _sqlite_engine, settings_for

PARTITIONS = ("focus_area", "pillar", "country", "region", "stakeholder_type", "pledge_type", "status", "year")


def add(engine: Engine, org: str, **data: Any) -> str:
    payload: dict[str, Any] = {
        "pledger": {"name": org, "stakeholder_type": "government"},
        "title": f"Pledge of {org}",
        "review_state": "published",
        "currency": "USD",
        **data,
    }
    with transaction(engine) as s:
        return service.create_pledge(s, PledgeIn.model_validate(payload), "t").reference


@pytest.fixture
def small(engine: Engine) -> Engine:
    # Malawi: LDC and LLDC; Fiji: SIDS; Senegal: LDC in Africa; France: neither.
    add(engine, "A", value=900, focus_areas=["access", "adoption"], pillars=["infrastructure", "digital_skills"],
        target_countries=["MWI", "FJI"], announced_on="2023-05-01")  # fmt: skip
    add(engine, "B", value=300, focus_areas=["access"], announced_on="2024-01-10")  # global
    add(engine, "C", value=600, focus_areas=["access", "acceleration", "value_creation"],
        target_countries=["SEN", "FRA", "MWI"], announced_on="2024-06-01")  # fmt: skip
    return engine


def total(engine: Engine, by: str = "focus_area", **f: Any) -> dict[str, Any]:
    with transaction(engine) as s:
        return summary(s, by, PledgeFilter(**f))


def test_ldc_and_access_is_one_figure_whichever_way_it_is_asked(small: Engine) -> None:
    # A: 900 x (1 of 2 targets in LDCs) x (1 of 2 focus areas) = 225; C: 600 x 2/3 x 1/3 = 133.33; B is global.
    asked = total(small, country_group=["LDC"], focus_area=["access"])["total"]
    assert asked["pledges"] == 2
    assert asked["value_usd"] == 1500
    assert asked["value_usd_attributed"] == pytest.approx(225 + 133.33)
    # The LDC page's "Access" bar and the summary by country group filtered to access say the same.
    ldc_by_focus = {g["key"]: g for g in total(small, country_group=["LDC"])["groups"]}
    assert ldc_by_focus["access"]["value_usd_attributed"] == asked["value_usd_attributed"]
    access_by_group = {g["key"]: g for g in total(small, "country_group", focus_area=["access"])["groups"]}
    assert access_by_group["LDC"]["value_usd_attributed"] == asked["value_usd_attributed"]


def test_an_area_s_breakdowns_add_up_to_its_attributed_value(small: Engine) -> None:
    chosen: list[dict[str, Any]] = [
        {"country_group": ["LDC"]}, {"country": ["MWI"]}, {"region": ["africa"]}, {"focus_area": ["access"]}
    ]  # fmt: skip
    for f in chosen:
        headline = total(small, **f)["total"]["value_usd_attributed"]
        for by in PARTITIONS:
            rows = total(small, by, **f)["groups"]
            added = sum(g["value_usd_attributed"] for g in rows)
            assert added == pytest.approx(headline, abs=0.01 * len(rows)), (f, by)


def test_a_chosen_pillar_counts_its_share_and_its_focus_area(small: Engine) -> None:
    body = total(small, pillar=["infrastructure"])
    assert body["total"]["value_usd_attributed"] == 450  # one of A's two pillars
    assert {g["key"]: g["value_usd_attributed"] for g in body["groups"]} == {"access": 450}
    by_pillar = {g["key"]: g["value_usd_attributed"] for g in total(small, "pillar", focus_area=["access"])["groups"]}
    # Access is half of A (450), shared by its access pillar; B and C have no pillar.
    assert by_pillar == {"infrastructure": 450, "unspecified": pytest.approx(300 + 200)}


def test_criteria_on_one_target_must_hold_together(small: Engine) -> None:
    # C targets France and Malawi: no single target is both French and an LDC, so nothing is attributed.
    body = total(small, "country", country=["FRA"], country_group=["LDC"])
    assert body["total"]["pledges"] == 1 and body["total"]["value_usd_attributed"] == 0
    assert body["groups"] == []


def test_global_pledges_count_whole_and_are_said_to_be_left_off_the_map(small: Engine) -> None:
    by_country = total(small, "country")
    assert by_country["total"]["global_pledges"] == 1
    assert {g["key"]: g["pledges"] for g in by_country["groups"]}["global"] == 1
    assert total(small, country=["global"])["total"]["value_usd_attributed"] == 300


# ---------------------------------------------------------------- properties on a generated registry

PLEDGES = 240


@pytest.fixture(scope="module")
def generated(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, TestClient]]:
    """A generated registry with published progress reports, and a client of its web platform."""
    home = tmp_path_factory.mktemp("attribution")
    engine = _sqlite_engine(sqlite_template, home)
    data = home / "pledges.csv"
    with data.open("w", encoding="utf-8", newline="") as out:
        generate(out, PLEDGES, seed=12)
    import_file(engine, data, "test")
    with transaction(engine) as s:
        ids = s.scalars(select(Pledge.id).order_by(Pledge.id)).all()
        for n, pledge_id in enumerate(ids[::3]):
            for year in (2024, 2025):
                s.add(ProgressReport(
                    pledge_id=pledge_id, year=year, status="in_progress", percent_complete=30,
                    usd_committed=1000.0 * (n + 1), usd_disbursed=250.5 * (n % 4), filed_on=dt.date(year, 12, 1),
                    review_state="published" if n % 5 else "submitted",
                ))  # fmt: skip
        service.bump_revision(s)
    settings_ = settings_for(engine, home)
    with TestClient(create_app(settings_)) as client:
        yield engine, client
    engine.dispose()


COUNTRIES = sorted(c for c, v in reference.countries().items() if v.itu_member_state)
FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "focus_area": st.lists(st.sampled_from(sorted(reference.focus_areas())), min_size=1, max_size=2, unique=True),
        "pillar": st.lists(st.sampled_from(sorted(reference.pillars())), min_size=1, max_size=3, unique=True),
        "country": st.lists(st.sampled_from([*COUNTRIES, "global"]), min_size=1, max_size=6, unique=True),
        "region": st.lists(st.sampled_from(sorted(reference.ITU_REGIONS)), min_size=1, max_size=2, unique=True),
        "country_group": st.lists(st.sampled_from(sorted(reference.COUNTRY_GROUPS)), min_size=1, max_size=2,
                                  unique=True),
        "stakeholder_type": st.lists(st.sampled_from(["government", "private_sector", "financial_institution"]),
                                     min_size=1, max_size=2, unique=True),
        "year": st.lists(st.integers(2021, 2026), min_size=1, max_size=3, unique=True),
    },
)  # fmt: skip


def expected_part(p: Pledge, f: dict[str, Any]) -> float | None:
    """The part of ``p``'s value the counting rules attribute to ``f``, worked out from the pledge itself;
    None when ``f`` does not select it."""
    targets = [c.country for c in p.countries]
    focus = [x.focus_area for x in p.focus_areas]
    pillars = [x.pillar for x in p.pillars]
    day = p.announced_on or dt.date.today()
    regions = {t: reference.countries()[t].itu_region for t in targets}
    in_groups = {t: {g for g in f.get("country_group", []) if reference.in_group(g, t, day)} for t in targets}
    checks = [
        not f.get("focus_area") or bool(set(focus) & set(f["focus_area"])),
        not f.get("pillar") or bool(set(pillars) & set(f["pillar"])),
        not f.get("country") or bool(set(targets) & set(f["country"])) or ("global" in f["country"] and not targets),
        not f.get("region") or bool({regions[t] for t in targets} & set(f["region"])),
        not f.get("country_group") or any(in_groups.values()),
        not f.get("stakeholder_type") or p.pledger.stakeholder_type in f["stakeholder_type"],
        not f.get("year") or (p.announced_on is not None and p.announced_on.year in f["year"]),
    ]
    if not all(checks):
        return None

    def on_target(t: str) -> bool:
        return (
            (not f.get("country") or t in f["country"])
            and (not f.get("region") or regions[t] in f["region"])
            and (not f.get("country_group") or bool(in_groups[t]))
        )

    geo = sum(map(on_target, targets)) / len(targets) if targets else 1.0
    if f.get("pillar"):
        focus_of = {x.code: x.focus_area for x in reference.pillars().values()}
        chosen = [
            x for x in pillars if x in f["pillar"] and (not f.get("focus_area") or focus_of[x] in f["focus_area"])
        ]
        theme = len(chosen) / len(pillars)
    elif f.get("focus_area"):
        theme = len([x for x in focus if x in f["focus_area"]]) / len(focus)
    else:
        theme = 1.0
    return geo * theme


def _csv_values(client: TestClient, query: str) -> dict[str, Decimal | None]:
    response = client.get("/pledges?" + query + ("&" if query else "") + "format=csv")
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.text))
    return {r["reference"]: Decimal(r["value_usd_attributed"]) if r["value_usd_attributed"] else None for r in rows}


AREA_PAGES = {"country": "/countries/", "country_group": "/groups/", "region": "/groups/"}


def _single_area(f: dict[str, Any]) -> str | None:
    """The area page that shows exactly this selection, if there is one."""
    if len(f) != 1:
        return None
    ((name, values),) = f.items()
    if name not in AREA_PAGES or len(values) != 1 or values == ["global"]:
        return None
    return AREA_PAGES[name] + str(values[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=FILTERS, by=st.sampled_from(BY_VALUES))
def test_every_view_of_a_selection_gives_the_same_figures(
    generated: tuple[Engine, TestClient], f: dict[str, Any], by: str
) -> None:
    engine, client = generated
    query = urlencode(f, doseq=True)
    explorer = client.get("/pledges?" + query + "&format=json").json()
    api = client.get(f"/api/v1/pledges/summary?by={by}&" + query).json()
    values = _csv_values(client, query)
    totals = explorer["totals"]
    # The explorer's page, its JSON twin and the summary API: the same totals, to the cent.
    assert api["total"] == totals
    assert totals["pledges"] == explorer["total"] == len(values)
    # The page's pledges carry the CSV's values.
    for item in explorer["items"]:
        value = values[item["reference"]]
        assert item["value_usd_attributed"] == (None if value is None else float(value))
    # The CSV's column adds up to the page's figure exactly.
    assert sum(v for v in values.values() if v is not None) == Decimal(str(totals["value_usd_attributed"]))
    # Each pledge's attributed value is what the counting rules give, worked out from the pledge itself.
    with transaction(engine) as s:
        pledges = {p.reference: p for p in s.scalars(select(Pledge).where(Pledge.review_state == "published"))}
        selected = {ref for ref, p in pledges.items() if expected_part(p, f) is not None}
        assert set(values) == selected
        for ref, value in values.items():
            p = pledges[ref]
            part = expected_part(p, f)
            assert part is not None
            if p.value_usd is None:
                assert value is None
            else:
                assert value is not None and abs(float(value) - p.value_usd * part) <= 0.0051, ref
    assert 0 <= totals["value_usd_attributed"] <= totals["value_usd"] + 0.01
    assert totals["disbursed_usd_attributed"] <= totals["disbursed_usd"] + 0.01
    # A breakdown of the selection splits its attributed value: a partition adds up to it, within a cent a row.
    if by in PARTITIONS:
        rows = api["groups"]
        assert sum(g["value_usd_attributed"] for g in rows) == pytest.approx(
            totals["value_usd_attributed"], abs=0.01 + 0.005 * sum(g["pledges"] for g in rows)
        )
    # A selection that is one area: its page, the page's JSON twin and the areas API say the same.
    area = _single_area(f)
    if area is not None:
        page = client.get(area + "?format=json").json()
        assert page["totals"] == totals
        code = area.rsplit("/", 1)[1]
        assert client.get(f"/api/v1/areas/{code}/pledges").json()["totals"] == totals


def test_committed_and_disbursed_count_published_reports_only(generated: tuple[Engine, TestClient]) -> None:
    engine, client = generated
    with transaction(engine) as s:
        published = s.execute(
            select(ProgressReport.usd_committed, ProgressReport.usd_disbursed).where(
                ProgressReport.review_state == "published"
            )
        ).all()
    body = client.get("/api/v1/pledges/summary?by=year").json()["total"]
    assert body["committed_usd"] == pytest.approx(sum(c or 0 for c, _ in published))
    assert body["disbursed_usd"] == pytest.approx(sum(d or 0 for _, d in published))
    assert body["committed_usd_attributed"] == body["committed_usd"]  # nothing chosen
    assert 0 < body["reporting_pledges"] < body["pledges"]


def test_itu_statistics_regions_count_palestine_hong_kong_and_macao(engine: Engine, client: TestClient) -> None:
    add(engine, "P", value=800, focus_areas=["access"], target_countries=["PSE", "HKG", "MAC", "EGY"],
        announced_on="2025-01-01")  # fmt: skip
    regions = {g["key"]: g["value_usd_attributed"] for g in total(engine, "region")["groups"]}
    assert regions == {"arab_states": 400, "asia_pacific": 400}  # no "other": every target has its ITU region
    page = client.get("/groups/arab_states?format=json").json()
    assert page["totals"]["value_usd_attributed"] == 400
    members = {m["alpha3"]: m for m in page["group"]["members"]}
    assert members["PSE"]["itu_member_state"] is False and members["EGY"]["itu_member_state"] is True
    assert members["PSE"]["value_usd_attributed"] == 200
    html = client.get("/groups/arab_states").text
    assert "not an ITU Member State" in html


def test_the_dashboard_and_group_pages_agree_with_the_summary_api(small: Engine, client: TestClient) -> None:
    dashboard = client.get("/?format=json").json()
    for by, rows in dashboard["breakdowns"].items():
        assert rows == client.get(f"/api/v1/pledges/summary?by={by}").json()["groups"], by
    api_countries = client.get("/api/v1/pledges/summary?by=country").json()["groups"]
    assert dashboard["countries"] == [g for g in api_countries if g["key"] != "global"]
    assert dashboard["not_on_map"] == next(g for g in api_countries if g["key"] == "global")
    ldc = client.get("/groups/LDC?format=json").json()
    by_country = {
        g["key"]: g for g in client.get("/api/v1/pledges/summary?by=country&country_group=LDC").json()["groups"]
    }
    for m in ldc["group"]["members"]:
        assert m["value_usd_attributed"] == by_country.get(m["alpha3"], {}).get("value_usd_attributed", 0.0)
    assert sum(m["value_usd_attributed"] for m in ldc["group"]["members"]) == pytest.approx(
        ldc["totals"]["value_usd_attributed"], abs=0.01 * len(by_country)
    )
