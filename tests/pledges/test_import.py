"""The pledge CSV import: the real sample, idempotence, and every kind of bad input."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from observatory.audit import AuditEntry
from observatory.db import transaction
from observatory.pledges.csvio import (
    COLUMNS,
    ImportRejected,
    ImportResult,
    import_pledges,
    sample_path,
    write_csv,
    write_rejected,
)
from observatory.pledges.models import Organisation, Pledge, PledgeCountry
from observatory.pledges.query import PledgeFilter, iter_pledges

HEADER = ",".join(COLUMNS)
GOOD = (
    ",Ministry of Testland,government,MWI,Connect schools,,financial,access;adoption,infrastructure;digital_skills,"
    "MWI;ZMB,1000000,USD,,2024,2026,2024-02-26,MWC 2024,planned,4;9,youth,Partner Org,https://example.org/p"
)


def csv_bytes(*rows: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode("utf-8"))


def counts(engine: Engine) -> tuple[int, int, int]:
    with transaction(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Pledge)) or 0,
            s.scalar(select(func.count()).select_from(PledgeCountry)) or 0,
            s.scalar(select(func.count()).select_from(Organisation)) or 0,
        )


def run_import(engine: Engine, source: io.BytesIO | Path) -> ImportResult:
    with transaction(engine) as s:
        return import_pledges(s, source, "test")


def test_sample_imports_and_second_import_changes_nothing(engine: Engine) -> None:
    with transaction(engine) as s:
        first = import_pledges(s, sample_path(), "test")
    assert first.created >= 17 and not first.rejected
    before = counts(engine)
    with transaction(engine) as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry))
        second = import_pledges(s, sample_path(), "test")
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)
    assert counts(engine) == before
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
        refs = s.scalars(select(Pledge.reference)).all()
        assert all(r.startswith("P2C-") for r in refs) and len(set(refs)) == len(refs)
        assert all(p.review_state == "published" for p in s.scalars(select(Pledge)))


def test_export_then_import_round_trips(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as s:
        import_pledges(s, sample_path(), "test")
    out = tmp_path / "export.csv"
    with transaction(engine) as s, out.open("w", encoding="utf-8", newline="") as fh:
        n = write_csv(iter_pledges(s, PledgeFilter()), fh)
    with transaction(engine) as s:
        result = import_pledges(s, out, "test")
    assert (result.created, result.updated, result.unchanged) == (0, 0, n)


def test_a_good_row_is_stored_with_its_links(engine: Engine) -> None:
    run_import(engine, csv_bytes(GOOD))
    with transaction(engine) as s:
        p = s.scalars(select(Pledge)).one()
        assert p.reference == "P2C-2024-00001"
        assert [c.country for c in p.countries] == ["MWI", "ZMB"]
        assert sorted(f.focus_area for f in p.focus_areas) == ["access", "adoption"]
        assert [x.organisation.name for x in p.partners] == ["Partner Org"]
        assert (p.value_usd, p.sdgs, p.beneficiary_groups) == (1_000_000, [4, 9], ["youth"])


def test_changed_row_with_reference_updates_the_pledge(engine: Engine) -> None:
    run_import(engine, csv_bytes("P2C-2024-00077" + GOOD))
    changed = "P2C-2024-00077" + GOOD.replace("Connect schools", "Connect all schools")
    with transaction(engine) as s:
        result = import_pledges(s, csv_bytes(changed), "test")
    assert (result.created, result.updated) == (0, 1)
    with transaction(engine) as s:
        p = s.scalars(select(Pledge)).one()
        assert (p.title, p.version) == ("Connect all schools", 2)


def rejected(engine: Engine, data: io.BytesIO) -> list[str]:
    """Import that must fail: the errors as text, after checking the registry was left as it was."""
    run_import(engine, csv_bytes("P2C-2023-00001" + GOOD))
    before = counts(engine)
    with pytest.raises(ImportRejected) as info:
        run_import(engine, data)
    assert counts(engine) == before
    return [str(e) for e in info.value.errors]


def bad(column: str, value: str) -> str:
    cells = next(csv.reader([GOOD]))
    cells[COLUMNS.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("target_countries", "MWI;XYZ", "column target_countries: unknown country code 'XYZ'"),
        ("currency", "EURO", "column currency: unknown currency code 'EURO'"),
        ("focus_areas", "access;connectivity", "column focus_areas: focus_areas: “connectivity” is not a focus area"),
        ("value", "-5", "column value: value cannot be negative."),
        ("value", "lots", "column value: value must be a number in digits, with a point before the decimals"),
        ("end_year", "2020", "column end_year: end_year (2020) is before the start year (2024)."),
        ("pledger_type", "company", "column pledger_type: pledger_type must be one of: 'government'"),
        ("pillars", "skills_x", "column pillars: pillars: “skills_x” is not a pillar. Write one of: Connectivity"),
        ("pillars", "innovative_financing", "“Innovative financing” belongs to the focus area “Acceleration of"),
        ("announced_on", "26/02/2024", "column announced_on: announced_on must be a date written as YYYY-MM-DD"),
        ("pledger", "", "column pledger: pledger is required."),
        ("title", "   ", "column title: title is required."),
        ("sdgs", "9;18", "column sdgs"),
        ("reference", "P2C-24-1", "column reference: 'P2C-24-1' is not a reference of the form P2C-YYYY-NNNNN"),
    ],
)
def test_each_bad_value_is_reported_with_line_and_column(engine: Engine, column: str, value: str, message: str) -> None:
    errors = rejected(engine, csv_bytes(GOOD, bad(column, value)))
    assert len(errors) == 1
    assert errors[0].startswith("line 3")
    assert message in errors[0]


def test_every_bad_row_is_reported_not_just_the_first(engine: Engine) -> None:
    errors = rejected(engine, csv_bytes(bad("currency", "XXX1"), GOOD, bad("target_countries", "QQQ")))
    assert [e.split(",")[0] for e in errors] == ["line 2", "line 4"]


def test_duplicate_references_in_a_file(engine: Engine) -> None:
    errors = rejected(engine, csv_bytes("P2C-2024-00009" + GOOD, "P2C-2024-00009" + GOOD))
    assert errors == ["line 3, column reference: P2C-2024-00009 repeats line 2"]


def test_missing_required_column(engine: Engine) -> None:
    header = HEADER.replace("focus_areas,", "")
    row = GOOD.replace("access;adoption,", "", 1)
    errors = rejected(engine, csv_bytes(row, header=header))
    assert errors == ["line 1, column focus_areas: required column is missing"]


def test_unknown_column_is_refused(engine: Engine) -> None:
    errors = rejected(engine, csv_bytes(GOOD + ",x", header=HEADER + ",colour"))
    assert errors == ["line 1, column colour: unknown column"]


def test_wrong_encoding(engine: Engine) -> None:
    latin1 = io.BytesIO((HEADER + "\n" + GOOD.replace("Connect schools", "Écoles connectées") + "\n").encode("latin-1"))
    errors = rejected(engine, latin1)
    assert len(errors) == 1 and "not UTF-8" in errors[0] and errors[0].startswith("line 2")


def test_truncated_file(engine: Engine) -> None:
    whole = csv_bytes(GOOD, GOOD.replace("Connect schools", "Second")).getvalue()
    cut = whole[: len(whole) - 40]  # cut inside the last row
    errors = rejected(engine, io.BytesIO(cut))
    assert errors and errors[0].startswith("line 3") and "cells where the header has 22" in errors[0]


def test_unterminated_quote(engine: Engine) -> None:
    errors = rejected(engine, csv_bytes(GOOD.replace("Connect schools", '"Connect schools')))
    assert errors and ("malformed CSV" in errors[0] or "cells where the header has" in errors[0])


def test_empty_file(engine: Engine) -> None:
    assert rejected(engine, io.BytesIO(b"")) == ["line 1: the file is empty (a header row is required)"]


def test_bom_is_accepted(engine: Engine) -> None:
    run_import(engine, io.BytesIO(b"\xef\xbb\xbf" + csv_bytes(GOOD).getvalue()))
    assert counts(engine)[0] == 1


def test_skip_invalid_loads_the_good_rows_and_reports_the_rest(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as s:
        result = import_pledges(
            s, csv_bytes(GOOD, bad("currency", "ZZZ"), GOOD.replace("Connect", "Link")), "t", skip_invalid=True
        )
    assert result.created == 2 and len(result.rejected) == 1
    out = tmp_path / "rejected.csv"
    write_rejected(result.rejected, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["line"], r["column"], r["currency"]) for r in rows] == [("3", "currency", "ZZZ")]
    assert "unknown currency code" in rows[0]["reason"]


def test_language_of_the_text(engine: Engine) -> None:
    header = HEADER + ",language"
    run_import(engine, csv_bytes(GOOD + ",fr", header=header))
    with transaction(engine) as s:
        assert s.scalars(select(Pledge.language)).one() == "fr"
    errors = rejected(engine, csv_bytes(GOOD.replace("Connect schools", "Other") + ",xx", header=header))
    assert errors == ["line 2, column language: unknown language code 'xx' (ISO 639-1, such as en, fr, es, ar, zh, ru)"]
