"""The synthetic pledge generator: deterministic, valid in the import format, and realistic."""

from __future__ import annotations

import csv
import datetime as dt
import io
from functools import cache

from observatory import reference
from observatory.pledges.csvio import COLUMNS, OPTIONAL_COLUMNS, SEP, row_to_pledge
from observatory.pledges.demo import generate


@cache
def _text(pledges: int, seed: int) -> str:
    out = io.StringIO()
    generate(out, pledges, seed)
    return out.getvalue()


def _rows(pledges: int, seed: int) -> tuple[list[str], list[dict[str, str]]]:
    header, *body = list(csv.reader(io.StringIO(_text(pledges, seed))))
    return header, [dict(zip(header, cells, strict=True)) for cells in body]


def _targets(row: dict[str, str]) -> list[str]:
    return [c for c in row["target_countries"].split(SEP) if c]


def test_same_seed_same_output() -> None:
    first = io.StringIO()
    generate(first, 300, 7)
    second = io.StringIO()
    generate(second, 300, 7)
    assert first.getvalue() == second.getvalue()


def test_different_seeds_differ() -> None:
    assert _text(300, 7) != _text(300, 8)


def test_header_and_row_count() -> None:
    header, rows = _rows(2000, 1)
    assert tuple(header) == COLUMNS + OPTIONAL_COLUMNS
    assert tuple(header) == (*COLUMNS, "language", "synthetic")
    assert len(rows) == 2000


def test_every_row_validates_and_is_synthetic() -> None:
    _, rows = _rows(2000, 1)
    for row in rows:
        pledge = row_to_pledge(row, "published")
        assert pledge.synthetic
        assert row["synthetic"] == "true"
        assert row["reference"] == ""
        assert row["source_url"] == ""
        assert pledge.pledger.name.startswith("Synthetic ")
        assert all(p.startswith("Synthetic ") for p in pledge.partners)
        assert "Synthetic pledge generated for testing (seed 1)." in pledge.description


def test_target_countries_are_about_three_per_pledge() -> None:
    _, rows = _rows(5000, 3)
    links = sum(len(_targets(r)) for r in rows)
    assert 2.5 <= links / len(rows) <= 3.5
    assert max(len(_targets(r)) for r in rows) <= 12


def test_targets_lean_toward_ldcs() -> None:
    _, rows = _rows(5000, 3)
    ldc = set(reference.group_members("LDC", dt.date(2024, 7, 1)))
    targets = [c for r in rows for c in _targets(r)]
    assert sum(c in ldc for c in targets) / len(targets) > 0.3


def test_some_pledges_are_global() -> None:
    _, rows = _rows(5000, 3)
    share = sum(not r["target_countries"] for r in rows) / len(rows)
    assert 0.08 < share < 0.25


def test_some_values_lack_a_usd_figure() -> None:
    _, rows = _rows(5000, 3)
    foreign = [r for r in rows if r["currency"] not in ("", "USD")]
    assert any(not r["value_usd"] for r in foreign)
    assert any(r["value_usd"] for r in foreign)
    rated = {r.currency for r in reference.exchange_rates()}
    assert any(r["currency"] not in rated for r in foreign)
    assert all(r["value"] for r in rows if r["currency"])
    assert not any(r["value"] for r in rows if r["pledge_type"] in ("policy", "advocacy"))
