"""Activities as spreadsheets: the curated starting set loads, export → import changes nothing in CSV and XLSX,
and a bad file saves nothing and names the row and the column of each problem, in the reader's language."""

from __future__ import annotations

import csv
import io

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import Engine

from observatory.activities import files, service
from observatory.activities.models import ORGANISATIONS
from observatory.db import transaction

HEADER = "ref,organisation,title,topic,kind,starts,collaboration,source_url\n"


def test_the_curated_set_loads_once_and_every_row_has_its_source(engine: Engine) -> None:
    rows = list(csv.DictReader(files.seed_path().read_text(encoding="utf-8").splitlines()))
    assert 40 <= len(rows) <= 80
    assert all(r["source_url"].startswith("https://") for r in rows)
    assert all(r["checked"] == "false" and r["starts"] and r["topic"] for r in rows)
    with transaction(engine) as session:
        result = files.load_seed(session, "tests")
        assert result is not None and len(result.created) == len(rows)
    with transaction(engine) as session:
        assert files.load_seed(session, "tests") is None  # the registry is not empty any more
        records = service.list_activities(session)
        assert len(records) == len(rows) and service.count_unchecked(session) == len(rows)
        assert {r.organisation for r in records} >= {"itu_t", "itu_d", "itu_r", "ietf", "icann", "isoc", "w3c"}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(engine: Engine, kind: str) -> None:
    with transaction(engine) as session:
        files.load_seed(session, "tests")
        records = service.list_activities(session)
        content = files.csv_text(records).encode() if kind == "csv" else files.xlsx_bytes(records)
    with transaction(engine) as session:
        result = files.import_file(session, content, f"activities.{kind}", "tests")
        assert (result.created, result.updated, result.unchanged) == ([], [], len(records))
        assert service.list_activities(session) == records
        assert all(len(service.history(session, r.ref)) == 1 for r in records)


def test_the_xlsx_export_has_the_columns_of_the_csv(engine: Engine) -> None:
    with transaction(engine) as session:
        files.load_seed(session, "tests")
        records = service.list_activities(session)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(files.xlsx_bytes(records))).get_sheet_by_index(0).to_python()
    assert tuple(sheet[0]) == files.COLUMNS
    assert len(sheet) == len(records) + 1
    assert next(csv.reader(io.StringIO(files.csv_text(records)))) == list(files.COLUMNS)


def test_rows_without_a_reference_match_on_source_and_title(engine: Engine) -> None:
    row = "ietf,RFC 8200,ipv6,recommendation,2017-07,none,https://www.rfc-editor.org/rfc/rfc8200\n"
    content = (HEADER.removeprefix("ref,") + row).encode()
    with transaction(engine) as session:
        assert files.import_file(session, content, "a.csv", "tests").created == ["ACT-0001"]
    with transaction(engine) as session:
        again = files.import_file(session, content, "a.csv", "tests")
        assert (again.created, again.updated, again.unchanged) == ([], [], 1)
        changed = content.replace(b"2017-07", b"2017")
        assert files.import_file(session, changed, "a.csv", "tests").updated == ["ACT-0001"]
        assert service.get_activity(session, "ACT-0001").version == 2


def test_a_bad_file_saves_nothing_and_says_where(engine: Engine) -> None:
    good = "ACT-0001,ietf,RFC 8200,ipv6,recommendation,2017-07,none,https://www.rfc-editor.org/rfc/rfc8200\n"
    bad = "ACT-0002,ietf,RFC 4291,ipv6,recommendation,2006-02,none,\n"
    worse = "ACT-0003,nasa,RFC 1,ipv6,memo,1969,none,https://www.rfc-editor.org/rfc/rfc1\n"
    with transaction(engine) as session, pytest.raises(files.ImportRejected) as refused:
        files.import_file(session, (HEADER + good + bad + worse).encode(), "a.csv", "tests")
    where = [(e.row, e.column) for e in refused.value.errors]
    assert where == [(3, "source_url"), (4, "organisation"), (4, "kind")]
    assert refused.value.errors[0].reason == (
        "source_url is required: every activity needs its source document or web address."
    )
    with transaction(engine) as session:
        assert service.count(session) == 0


def test_a_bad_header_is_refused_naming_the_columns(engine: Engine) -> None:
    with transaction(engine) as session, pytest.raises(files.ImportRejected) as refused:
        files.import_file(session, b"ref,organisation,titel\n", "a.csv", "tests")
    columns = {e.column for e in refused.value.errors}
    assert "titel" in columns and {"title", "source_url", "topic"} <= columns
    assert all(e.row == 1 for e in refused.value.errors)
    with transaction(engine) as session, pytest.raises(files.ImportRejected):
        files.import_file(session, b"PK\x03\x04 not really a workbook", "a.xlsx", "tests")


def test_every_organisation_has_a_role() -> None:
    assert [o.code for o in service.organisations()] == list(ORGANISATIONS)
