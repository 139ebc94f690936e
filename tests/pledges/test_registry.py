"""The registry's services, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, select

from observatory.audit import AuditEntry
from observatory.db import transaction
from observatory.errors import Conflict, Invalid
from observatory.pledges import reports as reports_service
from observatory.pledges import service
from observatory.pledges.models import Pledge
from observatory.pledges.query import PledgeFilter, list_pledges
from observatory.pledges.schemas import PledgeIn, ProgressReportIn


def pledge_in(**overrides: Any) -> PledgeIn:
    data: dict[str, Any] = {
        "pledger": {"name": "Ministry of ICT of Testland", "stakeholder_type": "government", "country": "MWI"},
        "title": "Connect 500 rural schools",
        "focus_areas": ["access"],
        "pillars": ["infrastructure"],
        "target_countries": ["MWI"],
        "value": 1_000_000,
        "currency": "USD",
        "announced_on": "2024-02-26",
        "review_state": "published",
    }
    data.update(overrides)
    return PledgeIn.model_validate(data)


def test_create_generates_reference_and_audits(engine: Engine) -> None:
    with transaction(engine) as s:
        first = service.create_pledge(s, pledge_in(), "alice")
        second = service.create_pledge(s, pledge_in(title="Second"), "alice")
    assert first.reference == "P2C-2024-00001"
    assert second.reference == "P2C-2024-00002"
    assert first.value_usd == 1_000_000 and first.usd_origin == "stated"
    with transaction(engine) as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "pledge")).all()
    assert [(e.actor, e.action, e.entity_key) for e in entries] == [
        ("alice", "create", "P2C-2024-00001"),
        ("alice", "create", "P2C-2024-00002"),
    ]
    assert entries[0].before is None and entries[0].after is not None
    assert entries[0].after["title"] == "Connect 500 rural schools"


def test_given_reference_is_kept_and_duplicates_refused(engine: Engine) -> None:
    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(reference="P2C-2022-00042"), "alice")
    with pytest.raises(Conflict), transaction(engine) as s:
        service.create_pledge(s, pledge_in(reference="P2C-2022-00042"), "bob")


def test_update_bumps_version_and_records_before_and_after(engine: Engine) -> None:
    with transaction(engine) as s:
        ref = service.create_pledge(s, pledge_in(), "alice").reference
    with transaction(engine) as s:
        p = service.update_pledge(
            s, ref, 1, {"title": "Connect 800 rural schools", "target_countries": ["MWI", "ZMB"]}, "bob"
        )
        assert p.version == 2
    with transaction(engine) as s:
        entry = service.history(s, ref)[-1]
        p = service.get_pledge(s, ref)
        assert [c.country for c in p.countries] == ["MWI", "ZMB"]
    assert entry.actor == "bob" and entry.action == "update"
    assert entry.before is not None and entry.after is not None
    assert entry.before["title"] == "Connect 500 rural schools"
    assert entry.after["title"] == "Connect 800 rural schools"
    assert entry.after["version"] == 2


def test_stale_version_is_refused_and_nothing_changes(engine: Engine) -> None:
    with transaction(engine) as s:
        ref = service.create_pledge(s, pledge_in(), "alice").reference
    with transaction(engine) as s:
        service.update_pledge(s, ref, 1, {"title": "Alice's edit"}, "alice")
    with pytest.raises(Conflict, match="changed since version 1"), transaction(engine) as s:
        service.update_pledge(s, ref, 1, {"title": "Bob's edit over Alice's"}, "bob")
    with transaction(engine) as s:
        p = service.get_pledge(s, ref)
        assert (p.title, p.version) == ("Alice's edit", 2)


def test_unchanged_update_is_not_a_new_version(engine: Engine) -> None:
    with transaction(engine) as s:
        ref = service.create_pledge(s, pledge_in(), "alice").reference
    with transaction(engine) as s:
        assert service.update_pledge(s, ref, 1, {"title": "Connect 500 rural schools"}, "bob").version == 1
    with transaction(engine) as s:
        assert len(service.history(s, ref)) == 1


def test_invalid_update_is_refused(engine: Engine) -> None:
    with transaction(engine) as s:
        ref = service.create_pledge(s, pledge_in(), "alice").reference
    with pytest.raises(Invalid, match="end_year"), transaction(engine) as s:
        service.update_pledge(s, ref, 1, {"start_year": 2026, "end_year": 2024}, "bob")
    with pytest.raises(Invalid, match="cannot change"), transaction(engine) as s:
        service.update_pledge(s, ref, 1, {"reference": "P2C-2020-00001"}, "bob")


def test_review_transitions(engine: Engine) -> None:
    with transaction(engine) as s:
        ref = service.create_pledge(s, pledge_in(review_state="draft"), "alice").reference
    with pytest.raises(Invalid, match="draft pledge cannot become published"), transaction(engine) as s:
        service.update_pledge(s, ref, 1, {"review_state": "published"}, "sec")
    with transaction(engine) as s:
        service.update_pledge(s, ref, 1, {"review_state": "submitted"}, "alice")
        service.update_pledge(s, ref, 2, {"review_state": "published"}, "sec")
        p = service.withdraw_pledge(s, ref, 3, "project cancelled", "alice")
        assert (p.review_state, p.review_note) == ("withdrawn", "project cancelled")
    with transaction(engine) as s:
        assert list_pledges(s, PledgeFilter()).total == 0  # withdrawn pledges are out of the public lists


def test_non_usd_converted_with_rate_of_announcement_year(engine: Engine) -> None:
    with transaction(engine) as s:
        p = service.create_pledge(s, pledge_in(value=155_000_000, currency="EUR", announced_on="2022-06-01"), "a")
        assert p.usd_origin == "converted"
        assert p.usd_rate is not None and 1.0 < p.usd_rate < 1.1  # EUR annual average for 2022
        assert p.value_usd == round(155_000_000 * p.usd_rate, 2)
        assert p.usd_rate_date == dt.date(2022, 12, 31)


def test_non_usd_without_rate_stays_unconverted(engine: Engine) -> None:
    with transaction(engine) as s:
        p = service.create_pledge(s, pledge_in(value=5_000_000_000, currency="XOF"), "a")
        assert p.value_usd is None and p.usd_origin is None
        assert p.value_amount == 5_000_000_000 and p.currency == "XOF"


def test_stated_usd_value_is_kept_with_its_rate(engine: Engine) -> None:
    with transaction(engine) as s:
        p = service.create_pledge(s, pledge_in(value=100, currency="GBP", value_usd=127), "a")
        assert (p.value_usd, p.usd_origin, p.usd_rate) == (127, "stated", 1.27)


@pytest.mark.parametrize(
    ("announced", "reports", "expected"),
    [
        ("2026-06-01", [], "not_due"),
        ("2024-01-01", [], "red"),
        ("2022-01-01", ["2026-01-15"], "green"),
        ("2022-01-01", ["2025-06-01"], "amber"),
        ("2022-01-01", ["2024-06-01"], "red"),
        (None, [], "red"),  # no announcement date: its start year (2023) tells its age
    ],
)
def test_reporting_health(sqlite_engine: Engine, announced: str | None, reports: list[str], expected: str) -> None:
    today = dt.date(2026, 11, 22)
    with transaction(sqlite_engine) as s:
        p = service.create_pledge(s, pledge_in(announced_on=announced, start_year=2023), "a")
        for n, filed in enumerate(reports):
            reports_service.file_report(
                s, p.reference, ProgressReportIn(year=2023 + n, status="in_progress", filed_on=filed), "a"
            )
        s.refresh(p)
        assert service.reporting_health(p, today) == expected


def test_full_text_search_and_filters(engine: Engine) -> None:
    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(title="Fibre backbone for Malawi", target_countries=["MWI"]), "a")
        service.create_pledge(
            s,
            pledge_in(
                title="Compétences numériques pour les jeunes",
                focus_areas=["adoption"],
                pillars=["digital_skills"],
                target_countries=[],
                pledger={"name": "Académie Numérique", "stakeholder_type": "academia"},
            ),
            "a",
        )
    with transaction(engine) as s:

        def titles(**kw: Any) -> list[str]:
            return sorted(p.title for p in list_pledges(s, PledgeFilter(**kw)).items)

        assert titles(q="fibre") == ["Fibre backbone for Malawi"]
        assert titles(q="backb") == ["Fibre backbone for Malawi"]  # prefix of the last word
        assert titles(q="numériques") == ["Compétences numériques pour les jeunes"]
        assert titles(q="académie") == ["Compétences numériques pour les jeunes"]  # pledger name
        assert titles(q="'; DROP TABLE pledge; --") == []
        assert titles(country=["global"]) == ["Compétences numériques pour les jeunes"]
        assert titles(country=["MW"]) == ["Fibre backbone for Malawi"]  # alpha-2 accepted
        assert titles(region=["africa"]) == ["Fibre backbone for Malawi"]
        assert titles(country_group=["LDC"]) == ["Fibre backbone for Malawi"]
        assert titles(stakeholder_type=["academia"]) == ["Compétences numériques pour les jeunes"]
        assert titles(focus_area=["access", "adoption"], year=[2024]) == [
            "Compétences numériques pour les jeunes",
            "Fibre backbone for Malawi",
        ]
        assert titles(year=[2023]) == []
        assert s.scalar(select(Pledge.id).limit(1)) is not None


def test_list_sort_and_pages(engine: Engine) -> None:
    with transaction(engine) as s:
        for n in range(7):
            service.create_pledge(s, pledge_in(title=f"Pledge {n}", value=n * 10), "a")
    with transaction(engine) as s:
        page = list_pledges(s, PledgeFilter(), sort="-value_usd", page=2, per_page=3)
        assert page.total == 7
        assert [p.title for p in page.items] == ["Pledge 3", "Pledge 2", "Pledge 1"]
        with pytest.raises(ValueError, match="unknown sort"):
            list_pledges(s, PledgeFilter(), sort="drop table")


def test_index_health_follows_the_per_pledge_rule(sqlite_engine: Engine) -> None:
    from observatory.pledges.index import pledge_index

    cases = [("2026-06-01", []), ("2024-01-01", []), ("2022-01-01", ["2026-01-15"]), ("2022-01-01", ["2025-06-01"]),
             ("2022-01-01", ["2024-06-01"]), (None, [])]  # fmt: skip
    today = dt.date(2026, 11, 22)
    with transaction(sqlite_engine) as s:
        for announced, reports in cases:
            p = service.create_pledge(s, pledge_in(announced_on=announced, start_year=2023, title=str(announced)), "a")
            for n, filed in enumerate(reports):
                report = ProgressReportIn(year=2023 + n, status="in_progress", filed_on=filed)
                reports_service.file_report(s, p.reference, report, "a")
    with transaction(sqlite_engine) as s:
        index = pledge_index(s)
        health = index.health(today)
        by_index = {int(i): health.keys[c] for i, c in zip(index.ids, health.code, strict=True)}
        by_rule = {p.id: service.reporting_health(p, today) for p in s.scalars(select(Pledge))}
    assert by_index == by_rule
    assert sorted(by_rule.values()) == ["amber", "green", "not_due", "red", "red", "red"]
