"""The public explore pages on SQLite and PostgreSQL: the pledge explorer, one pledge, countries, groups and
organisations, with their JSON twins and the explorer's CSV download."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from observatory.db import transaction
from observatory.pledges.csvio import COLUMNS, COMPUTED_COLUMNS, OPTIONAL_COLUMNS
from observatory.pledges.models import Organisation
from observatory.pledges.pages.explorer import changed_fields
from observatory.pledges.reports import file_report, publish_report
from observatory.pledges.schemas import PledgeIn, ProgressReportIn
from observatory.pledges.service import create_pledge, update_pledge
from tests.web.conftest import sign_in

MALAWI_MINISTRY = {"name": "Malawi Ministry of ICT", "stakeholder_type": "government", "country": "MWI"}
FIBRECO = {"name": "FibreCo", "stakeholder_type": "private_sector", "country": "KEN"}
XSS = "<script>alert(1)</script>"


def pledge(**fields: Any) -> PledgeIn:
    data: dict[str, Any] = {
        "pledger": MALAWI_MINISTRY,
        "focus_areas": ["access"],
        "review_state": "published",
        **fields,
    }
    return PledgeIn.model_validate(data)


def seed(engine: Engine) -> dict[str, str]:
    """Five pledges: three touching Malawi (one a draft), one global, one synthetic with a hostile title."""
    with transaction(engine) as s:
        refs = {
            "rural": create_pledge(s, pledge(
                title="Rural broadband for Malawi", target_countries=["MWI"], value=1_000_000, currency="USD",
                announced_on=dt.date(2023, 5, 1), event="WTDC", source_url="https://example.org/rural",
                sdgs=[9], beneficiary_groups=["rural_communities"],
            ), "test").reference,
            "fibre": create_pledge(s, pledge(
                pledger=FIBRECO, title="Fibre backbone for East Africa", focus_areas=["adoption"],
                target_countries=["MWI", "KEN"], value=2_000_000, currency="EUR", announced_on=dt.date(2024, 2, 1),
                partners=["Malawi Ministry of ICT"],
            ), "test").reference,
            "skills": create_pledge(s, pledge(
                pledger=FIBRECO, title="Digital skills everywhere", focus_areas=["adoption"], value=500_000,
                currency="EUR", announced_on=dt.date(2025, 3, 1),
            ), "test").reference,
            "draft": create_pledge(s, pledge(
                title="Secret draft for Malawi", target_countries=["MWI"], review_state="draft",
            ), "test").reference,
            "xss": create_pledge(s, pledge(
                pledger=FIBRECO, title=XSS, target_countries=["FJI"], synthetic=True, announced_on=dt.date(2022, 1, 1),
            ), "test").reference,
        }  # fmt: skip
        update_pledge(s, refs["rural"], 1, {"value": 1_500_000, "status": "in_progress"}, "secretariat@itu.example")
        file_report(s, refs["rural"], ProgressReportIn(
            year=2025, status="in_progress", percent_complete=40, usd_committed=1_000_000, usd_disbursed=600_000,
            people_reached=12_000, narrative="Forty towers built.", filed_on=dt.date.today() - dt.timedelta(days=30),
        ), "test")  # fmt: skip
        publish_report(s, refs["rural"], 2025, 1, "secretariat@itu.example")
    return refs


def refs_in(page: str) -> list[str]:
    return re.findall(r'href="/pledges/(P2C-\d{4}-\d+)"', page)


def test_explorer_lists_filters_and_totals(client: TestClient, engine: Engine) -> None:
    refs = seed(engine)
    page = client.get("/pledges")
    assert page.status_code == 200 and '<html lang="en"' in page.text
    assert set(refs_in(page.text)) == {refs["rural"], refs["fibre"], refs["skills"], refs["xss"]}  # no draft
    assert "Global" in page.text and "no USD value" in page.text and "EUR 500,000" in page.text
    assert '<span class="synthetic">Synthetic</span>' in page.text
    assert 'class="badge health-green"' in page.text
    for control in ("q", "focus_area", "pillar", "country", "region", "country_group", "stakeholder_type",
                    "pledge_type", "status", "year", "health", "sort", "per_page"):  # fmt: skip
        assert f'<label for="f-{control}">' in page.text and f'id="f-{control}"' in page.text

    def found(query: str) -> set[str]:
        response = client.get("/pledges?" + query)
        assert response.status_code == 200, response.text
        return set(refs_in(response.text))

    assert found("focus_area=access") == {refs["rural"], refs["xss"]}
    assert found("country=MWI") == {refs["rural"], refs["fibre"]}
    assert found("country=mw") == {refs["rural"], refs["fibre"]}  # alpha-2
    assert found("country=global") == {refs["skills"]}
    assert found("country_group=LDC") == {refs["rural"], refs["fibre"]}
    assert found("country_group=SIDS") == {refs["xss"]}
    assert found("region=africa&focus_area=adoption") == {refs["fibre"]}
    assert found("q=backbone") == {refs["fibre"]}
    assert found("health=green") == {refs["rural"]}
    assert found("year=2024&year=2025") == {refs["fibre"], refs["skills"]}
    assert found("stakeholder_type=government") == {refs["rural"]}
    assert found("q=&focus_area=&country=MWI&status=") == {refs["rural"], refs["fibre"]}  # empty form fields
    assert found("q=nothingmatchesthis") == set()

    data = client.get("/pledges?country=MWI&format=json").json()
    assert data["total"] == 2 and {p["reference"] for p in data["items"]} == {refs["rural"], refs["fibre"]}
    assert data["filter"] == {"country": ["MWI"]} and data["page"] == 1 and data["pages"] == 1
    assert data["totals"]["pledges"] == 2 and data["totals"]["value_usd"] == pytest.approx(1_500_000 + 2_164_800)
    assert data["items"][0]["reporting_health"] in ("green", "amber", "red", "not_due")
    assert client.get("/pledges?year=abc").status_code == 422
    assert client.get("/pledges?sort=colour").status_code == 422


def test_explorer_pages_sort_and_round_trip(client: TestClient, engine: Engine) -> None:
    with transaction(engine) as s:
        for n in range(27):
            create_pledge(s, pledge(
                title=f"Pledge number {n:02d}", target_countries=["MWI"], value=1000 * (n + 1), currency="USD",
                announced_on=dt.date(2020, 1, 1) + dt.timedelta(days=n),
            ), "test")  # fmt: skip
    first = client.get("/pledges?country=MWI&sort=value_usd")
    assert len(refs_in(first.text)) == 25 and "Page 1 of 2" in first.text
    assert first.text.index("Pledge number 00") < first.text.index("Pledge number 01")
    # Links keep the whole query: the next page, the downloads; the form shows the choices made.
    nxt = re.search(r'<a href="([^"]+)" rel="next"', first.text)
    assert nxt is not None
    link = html.unescape(nxt.group(1))
    assert "country=MWI" in link and "sort=value_usd" in link and "page=2" in link
    assert '<option value="MWI" selected>' in first.text and '<option value="value_usd" selected>' in first.text
    assert html.escape("/pledges?country=MWI&sort=value_usd&format=csv") in first.text
    second = client.get(link)
    assert refs_in(second.text) and "Pledge number 26" in second.text and "Pledge number 00" not in second.text
    assert len(refs_in(second.text)) == 2

    descending = client.get("/pledges?sort=-title&per_page=50")
    titles = re.findall(r"Pledge number (\d\d)", descending.text)
    assert titles == sorted(titles, reverse=True) and len(titles) == 27
    assert client.get("/pledges?per_page=7").status_code == 422

    two = client.get("/pledges?country=MWI&country=KEN&format=json").json()
    assert two["filter"]["country"] == ["MWI", "KEN"] and two["total"] == 27
    many = client.get("/pledges?country=MWI&country=KEN")
    assert re.search(r'<select id="f-country" name="country" multiple>', many.text)  # several values stay chosen


def test_csv_download_of_the_selection(client: TestClient, engine: Engine) -> None:
    refs = seed(engine)
    response = client.get("/pledges?country_group=LDC&format=csv&page=1")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(csv.reader(io.StringIO(response.text)).__next__()) == COLUMNS + OPTIONAL_COLUMNS + COMPUTED_COLUMNS
    assert {r["reference"] for r in rows} == {refs["rural"], refs["fibre"]}
    everything = list(csv.DictReader(io.StringIO(client.get("/pledges?format=csv").text)))
    assert len(everything) == 4 and {r["synthetic"] for r in everything} == {"", "true"}


def test_pledge_page_reports_history_and_drafts(client: TestClient, engine: Engine) -> None:
    refs = seed(engine)
    page = client.get(f"/pledges/{refs['rural']}")
    assert page.status_code == 200
    text = page.text
    assert "Rural broadband for Malawi" in text and "Malawi Ministry of ICT" in text
    assert 'href="/countries/MWI"' in text and "Forty towers built." in text and "40" in text
    assert "stated by the pledger" in text and "USD 1,500,000" in text and "WTDC" in text
    assert 'href="https://example.org/rural"' in text
    assert "A progress report was filed in the last 12 months" in text
    assert "<del>1,000,000</del> → <ins>1,500,000</ins>" in text
    assert "secretariat@itu.example" not in text  # the public sees what changed, not who changed it
    assert "Progress report for 2025 published" in text and "Progress report for 2025 filed" not in text

    fibre = client.get(f"/pledges/{refs['fibre']}").text
    assert "converted at 1 EUR = 1.0824 USD (2024 average)" in fibre and 'href="/countries/KEN"' in fibre
    skills = client.get(f"/pledges/{refs['skills']}").text
    assert "no USD value" in skills and "Global" in skills

    data = client.get(f"/pledges/{refs['rural']}?format=json").json()
    assert data["reference"] == refs["rural"] and data["value"] == 1_500_000
    assert [r["year"] for r in data["reports"]] == [2025] and data["reporting_health"] == "green"
    assert [h["action"] for h in data["history"]] == ["create", "update", "publish"]  # not the unpublished filing
    assert data["history"][1]["changed"] == ["value", "value_usd", "status"]

    assert client.get(f"/pledges/{refs['draft']}").status_code == 404
    assert client.get(f"/pledges/{refs['draft']}?format=json").status_code == 404
    assert client.get("/pledges/P2C-1999-00001").status_code == 404
    sign_in(client, engine, "reviewer@itu.example", "secretariat")
    draft = client.get(f"/pledges/{refs['draft']}")
    assert draft.status_code == 200 and "Secret draft for Malawi" in draft.text and "not published" in draft.text
    assert "secretariat@itu.example" in client.get(f"/pledges/{refs['rural']}").text


def test_a_pledger_sees_its_own_drafts_only(client: TestClient, engine: Engine) -> None:
    refs = seed(engine)
    with transaction(engine) as s:
        ids = {o.name: o.id for o in s.scalars(select(Organisation))}
    sign_in(client, engine, "fibre@example.org", "pledger", [ids["FibreCo"]])
    assert client.get(f"/pledges/{refs['draft']}").status_code == 404
    org = client.get(f"/organisations/{ids['Malawi Ministry of ICT']}").text
    assert "Secret draft" not in org
    sign_in(client, engine, "ministry@example.mw", "pledger", [ids["Malawi Ministry of ICT"]])
    assert client.get(f"/pledges/{refs['draft']}").status_code == 200
    assert "Secret draft" in client.get(f"/organisations/{ids['Malawi Ministry of ICT']}").text


def test_country_pages(client: TestClient, engine: Engine) -> None:
    refs = seed(engine)
    page = client.get("/countries/MWI")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Malawi</h1>" in text and 'href="/groups/africa"' in text and 'href="/groups/LDC"' in text
    assert set(refs_in(text)) == {refs["rural"], refs["fibre"]}
    assert '<section id="connectivity" aria-labelledby="connectivity-title"' in text
    assert '<section id="infrastructure" aria-labelledby="infrastructure-title"' in text
    assert 'href="/pledges?country=MWI"' in text and "<details" in text
    data = client.get("/countries/MWI?format=json").json()
    assert data["country"]["alpha3"] == "MWI" and data["country"]["groups"] == ["LDC", "LLDC"]
    assert data["totals"]["pledges"] == 2
    # All of the first pledge falls on Malawi; half of the second (two target countries).
    assert data["totals"]["value_usd_attributed"] == pytest.approx(1_500_000 + 2_164_800 / 2)
    assert {g["key"] for g in data["by_focus_area"]} == {"access", "adoption"}
    assert [g["key"] for g in data["by_year"]] == ["2023", "2024"]
    assert client.get("/countries/mw").status_code == 200 and "<h1>Malawi</h1>" in client.get("/countries/mw").text
    assert client.get("/countries/XX").status_code == 404
    assert client.get("/countries/XYZ?format=json").status_code == 404
    empty = client.get("/countries/FRA")
    assert empty.status_code == 200 and 'id="connectivity"' in empty.text and "No published pledge" in empty.text


def test_groups(client: TestClient, engine: Engine) -> None:
    refs = seed(engine)
    groups = client.get("/groups")
    assert groups.status_code == 200
    for code in ("LDC", "LLDC", "SIDS", "africa", "americas", "arab_states", "asia_pacific", "cis", "europe"):
        assert f'href="/groups/{code}"' in groups.text
    assert 'href="/countries/MWI"' in groups.text and 'href="/countries/FRA"' in groups.text
    listed = client.get("/groups?format=json").json()
    assert {g["code"]: g["members"] for g in listed["groups"]}["africa"] > 40
    assert len(listed["countries"]) > 200

    ldc = client.get("/groups/LDC")
    assert ldc.status_code == 200 and "Least developed countries" in ldc.text
    assert set(refs_in(ldc.text)) == {refs["rural"], refs["fibre"]}
    assert 'id="connectivity"' in ldc.text and 'id="infrastructure"' in ldc.text
    assert 'href="/pledges?country_group=LDC"' in ldc.text and 'href="/countries/MWI"' in ldc.text
    data = client.get("/groups/LDC?format=json").json()
    assert data["group"]["kind"] == "un_group" and "MWI" in [m["alpha3"] for m in data["group"]["members"]]
    assert data["totals"]["pledges"] == 2

    africa = client.get("/groups/africa?format=json").json()
    assert africa["group"]["name"] == "Africa" and africa["totals"]["pledges"] == 2
    assert africa["totals"]["value_usd_attributed"] == pytest.approx(1_500_000 + 2_164_800)  # both targets in Africa
    assert 'href="/pledges?region=africa"' in client.get("/groups/africa").text
    assert client.get("/groups/ldc", follow_redirects=False).headers["location"] == "/groups/LDC"
    assert client.get("/groups/nowhere").status_code == 404


def test_organisation_page(client: TestClient, engine: Engine) -> None:
    refs = seed(engine)
    with transaction(engine) as s:
        ministry = s.scalars(select(Organisation).where(Organisation.name == "Malawi Ministry of ICT")).one().id
    page = client.get(f"/organisations/{ministry}")
    assert page.status_code == 200
    assert "Malawi Ministry of ICT" in page.text and "Government" in page.text and 'href="/countries/MWI"' in page.text
    assert refs["rural"] in page.text and refs["fibre"] in page.text  # as pledger, as partner
    assert refs["draft"] not in page.text
    data = client.get(f"/organisations/{ministry}?format=json").json()
    assert data["pledges_as_pledger"] == 1 and data["pledges_as_partner"] == 1
    assert data["reporting_record"] == {"green": 1, "amber": 0, "red": 0, "not_due": 0}
    assert client.get("/organisations/999999").status_code == 404
    sign_in(client, engine, "reviewer@itu.example", "secretariat")
    assert refs["draft"] in client.get(f"/organisations/{ministry}").text


def test_french(client: TestClient, engine: Engine) -> None:
    refs = seed(engine)
    for path in ("/pledges", f"/pledges/{refs['rural']}", "/countries/MWI", "/groups", "/groups/SIDS"):
        response = client.get(path + "?lang=fr")
        assert response.status_code == 200 and '<html lang="fr"' in response.text, path
    assert "Afrique" in client.get("/groups").text  # the choice is remembered; names from the reference data


def test_user_text_is_escaped(client: TestClient, engine: Engine) -> None:
    refs = seed(engine)
    for path in ("/pledges", f"/pledges/{refs['xss']}", "/countries/FJI", "/groups/SIDS", "/organisations/2"):
        text = client.get(path).text
        assert XSS not in text and html.escape(XSS) in text, path


def test_changed_fields() -> None:
    assert changed_fields(None, {"a": 1}) == []
    assert changed_fields({"a": 1, "b": 2, "version": 1}, {"a": 1, "b": 3, "c": 4, "version": 2}) == ["b", "c"]
