"""Cases in and out of files, on SQLite and PostgreSQL: import all or nothing with the line and column of each
problem, export and import back unchanged (CSV and XLSX), and the curated starting set."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine

from observatory.auth import CLI
from observatory.db import transaction
from observatory.practices import files, service
from tests.pledges.test_portal import make_organisation, make_pledge
from tests.practices.helpers import make_case

HEADER = "title,country,focus_areas,pillars,what_was_done,result_figures,pledges,organisation,licence,source_urls\n"


def test_an_import_is_all_or_nothing_and_names_line_and_column(engine: Engine, tmp_path: Path) -> None:
    make_organisation(engine)
    path = tmp_path / "cases.csv"
    path.write_text(
        HEADER
        + 'Fibre to schools,SEN,access,infrastructure,Schools connected by fibre.,"Schools | 40 | schools | 2024",,'
        "Ministère du Numérique,CC BY 4.0,https://www.itu.int/\n"
        "Bad one,XXX,access,skills,,Schools | many,P2C-2020-99999,,GPL,ftp://x\n"
        "No org,SEN,access,,Done.,,,Office inconnu,CC0,\n",
        encoding="utf-8",
    )
    with transaction(engine) as session, pytest.raises(files.ImportRejected) as caught:
        files.import_file(session, path, CLI)
    where = {(e.line, e.column) for e in caught.value.errors}
    assert {(3, "country"), (3, "what_was_done"), (3, "result_figures"), (3, "licence"), (3, "source_urls")} <= where
    assert (4, "organisation") in where
    assert any("line 3, column country" in str(e) for e in caught.value.errors)
    with transaction(engine) as session:
        assert service.count_practices(session) == 0  # nothing saved


def test_unknown_pledges_and_columns_are_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("title,focus_areas,what_was_done,pledges,colour\nA,access,Done.,P2C-2020-99999,blue\n", "utf-8")
    with transaction(engine) as session, pytest.raises(files.ImportRejected) as caught:
        files.import_file(session, path, CLI)
    assert {(e.line, e.column) for e in caught.value.errors} == {(1, "colour"), (2, "pledges")}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_imports_back_unchanged(engine: Engine, tmp_path: Path, suffix: str) -> None:
    org = make_organisation(engine)
    pledge = make_pledge(engine, org, review_state="published")
    published = make_case(engine, org, "published", pledges=[pledge], title="=HYPERLINK(1)")
    make_case(engine, org, other_countries=["GMB", "MLI"], result_figures=[])
    with transaction(engine) as session:
        p = service.get_practice(session, published)
        service.set_spotlight(session, published, p.version, 2025, True, CLI)
    out = tmp_path / f"cases{suffix}"
    with transaction(engine) as session:
        assert files.export_file(session, out) == 2
        before = {p.reference: service.practice_dict(p) for p in service.practices_of(session, [org])}
    with transaction(engine) as session:
        result = files.import_file(session, out, CLI)
        after = {p.reference: service.practice_dict(p) for p in service.practices_of(session, [org])}
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert after == before
    assert after[published]["title"] == "=HYPERLINK(1)" and after[published]["spotlight_years"] == [2025]
    if suffix == ".csv":
        rows = list(csv.DictReader(out.open(encoding="utf-8")))
        assert {r["contact_email"] for r in rows} == {"awa.diop@numerique.example"}  # the secretariat's export
        assert any(r["title"] == "'=HYPERLINK(1)" for r in rows)  # never a formula in a spreadsheet


def test_the_curated_set_loads_into_an_empty_library_with_a_source_on_every_case(engine: Engine) -> None:
    rows = list(csv.DictReader(files.SEED.open(encoding="utf-8")))
    assert len(rows) >= 10
    assert all(r["source_urls"].startswith("https://") for r in rows)
    assert all(r["needs_check"] == "yes" and r["licence"] == "CC BY 4.0" for r in rows)
    with transaction(engine) as session:
        assert files.load_seed(session, CLI) == len(rows)
    with transaction(engine) as session:
        assert files.load_seed(session, CLI) == 0  # once only
        cases = service.published_practices(session)
        assert len(cases) == len(rows)
        assert all(c.source_urls and c.needs_check and c.organisation_id is None for c in cases)
        kenya = service.list_practices(session, service.PracticeFilter(country="KEN"))
        assert any("KIXP" in c["title"] for c in kenya)
