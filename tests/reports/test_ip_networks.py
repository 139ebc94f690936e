"""The report on IP-based networks: its figures come from the platform's services, equal their API addresses,
say what is not covered, and the report builds in English and French with or without activities and proposals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from observatory.activities import service as activities
from observatory.activities.schemas import ActivityIn
from observatory.db import transaction
from observatory.network.models import DATA_TABLES
from observatory.network.sources.caida_ixp import CaidaIxps
from observatory.network.sources.peeringdb import PeeringDb
from observatory.network.sources.rir import RirDelegated
from observatory.reports import ip_networks
from observatory.reports.document import Edition, Figure, Missing, Paragraph, Proposal, Report, Section
from observatory.sources import SourceLoad
from tests.conftest import shared_data
from tests.network.conftest import FIXTURES

AS_OF = dt.date.today()


def _clear(engine: Engine) -> None:
    """PostgreSQL is shared by the run: the network data of other tests are removed first."""
    with transaction(engine) as session:
        for table in DATA_TABLES:
            session.execute(delete(table))
        session.execute(delete(SourceLoad))


def _load(engine: Engine) -> None:
    _clear(engine)
    RirDelegated().run(FIXTURES / "delegated-afrinic-extended-20240301", engine)
    PeeringDb().run(FIXTURES / "peeringdb_dump_20240301.json", engine)
    CaidaIxps().run(shared_data("network/caida-ixps/ixs_202401.jsonl"), engine)


def _build(engine: Engine, language: str = "en", edition: Edition | None = None, year: int = 2025) -> Report:
    with Session(engine) as session:
        return ip_networks.build(session, year, language, AS_OF, edition or Edition("ip-networks", year))


def _section(report: Report, key: str) -> Section:
    return next(s for s in report.walk() if s.key == key)


def _text(section: Section) -> str:
    return " ".join(
        "".join(p if isinstance(p, str) else "" for p in b.parts)
        if isinstance(b, Paragraph)
        else getattr(b, "text", "")
        for b in section.blocks
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_figure_is_traceable_and_the_uncovered_say_why(engine: Engine, language: str) -> None:
    _load(engine)
    report = _build(engine, language)
    assert report.kind == "ip-networks" and report.language == language and report.cover is not None
    figures = report.figures()
    assert len(figures) > 50
    assert [f.note for f in figures] == list(range(1, len(figures) + 1))  # numbered in reading order
    for f in figures:
        assert f.api.startswith("/api/v1/"), f
        assert f.query.strip(), f
        assert f.covered or f.missing.strip(), f
    by_key = {f.key: f for f in figures}
    assert len(by_key) == len(figures)  # the text and the tables share each figure (one note each)
    # No population loaded: IPv4 per person is not covered, and the report still builds.
    assert by_key["ipv4_per_capita.LDC"].value is None and by_key["ipv4_per_capita.LDC"].missing
    # No AS relationships loaded: the transit figures say so.
    transit = by_key["transit.foreign_transit_share.LDC"]
    assert transit.value is None and "CAIDA" in transit.missing
    assert by_key["ixp_count.LDC"].covered and by_key["ixp_count.LDC"].value
    assert report.cover.action and report.cover.references[0].startswith(("Resolution 101", "Résolution 101"))
    assert any(s.name for s in report.sources)
    month = "janvier" if language == "fr" else "January"
    assert month in ip_networks._Text(language).date(dt.date(2024, 1, 1))
    assert [s.number for s in report.sections] == ["1", "2", "3", "4", "5", "6"]


def test_group_figures_equal_the_api(engine: Engine, client: TestClient) -> None:
    _load(engine)
    report = _build(engine)
    checked = 0
    answers: dict[str, Any] = {}
    for f in report.figures():
        if f.api not in answers:
            answer = client.get(f.api)
            assert answer.status_code == 200, (f.api, answer.text)
            answers[f.api] = answer.json()
        body = answers[f.api]
        code = f.key.rpartition(".")[0]
        if f.key.startswith("no_ixp."):
            entry = body["indicators"]["ixp_count"]
            assert f.value == entry["members"] - entry["countries"]
        elif f.key.startswith("transit."):
            name = f.key.split(".")[1]
            assert f.value == (body["summary"][name] if body["summary"]["published"] else None)
        elif f.key.startswith("cost."):
            name = f.key.split(".")[1]
            assert f.value == float(body[name]) if name == "countries" else f.value == body[name]
        elif "/infrastructure" in f.api and code in body["indicators"]:
            assert f.value == body["indicators"][code]["value"], f.key
            checked += 1
        else:
            continue
    assert checked >= 10


def test_without_proposals_or_activities_the_report_says_so(engine: Engine) -> None:
    _clear(engine)
    report = _build(engine, "en")  # no network data either: every figure not covered, the report built
    assert isinstance(_section(report, "proposals").blocks[0], Missing)
    assert "No proposals written yet" in _text(_section(report, "proposals"))
    for sector in ip_networks.SECTORS:
        blocks = _section(report, f"itu.{sector}").blocks
        assert len(blocks) == 1 and isinstance(blocks[0], Missing) and "no activity" in blocks[0].text
    assert all(
        not f.covered and f.missing
        for f in report.figures()
        if not f.key.startswith(("activities.", "cost.countries."))
    )
    assert report.tables()[0].rows == [] and report.tables()[0].empty
    # A group's sentence whose figures are all uncovered says so once, with why.
    assert "none of these figures is covered" in _text(_section(report, "connectivity.ipv6"))
    assert not next(c for c in report.charts() if c.key == "ixp_history").drawable
    assert next(c for c in report.charts() if c.key == "ixp_history").empty


def test_activities_and_proposals_appear(engine: Engine, client: TestClient) -> None:
    with transaction(engine) as session:
        activities.create_activity(
            session,
            ActivityIn(
                organisation="itu_t",
                title="Recommendation Y.3001 approved",
                topic="standards",
                kind="recommendation",
                starts="2025-03",
                collaboration="itu",
                source_url="https://www.itu.int/rec/T-REC-Y.3001",
                checked=True,
            ),
            "tests",
        )
        activities.create_activity(
            session,
            ActivityIn(
                organisation="icann",
                title="IDN workshop",
                topic="universal_acceptance",
                kind="event",
                starts="2025-06",
                collaboration="joint",
                evidence="Co-organised with ITU",
                source_url="https://www.icann.org/idn",
            ),
            "tests",
        )
    edition = Edition(
        "ip-networks",
        2025,
        proposals=[Proposal("More IXPs", "Support IXPs in LDCs.", "Within existing resources")],
        council_date=dt.date(2026, 3, 31),
        council_symbol="C26/33",
        references=["C25/33"],
    )
    report = _build(engine, "en", edition)
    itu_t = _section(report, "itu.itu_t")
    assert not any(isinstance(b, Missing) for b in itu_t.blocks)
    counts = {f.key: f.value for f in report.figures()}
    assert counts["activities.itu_t.recommendation"] == 1
    assert counts["collaboration.icann.joint"] == 1 and counts["collaboration.icann.none"] == 0
    assert counts["activities.itu"] == 1 and counts["activities.other"] == 1
    summary = client.get(next(f.api for f in report.figures() if f.key == "activities.itu_t.recommendation")).json()
    assert summary["by_sector_kind"]["itu_t"]["recommendation"] == counts["activities.itu_t.recommendation"]
    assert summary["by_collaboration"]["joint"] == counts["collaboration.icann.joint"]
    ua = _section(report, "others.universal_acceptance")
    item = ua.blocks[0].items[0].parts[0]  # type: ignore[union-attr]
    assert "IDN workshop" in str(item) and "to be checked by the secretariat" in str(item)
    assert "https://www.icann.org/idn" in str(item) and "Joint activity" in str(item)
    proposals = _section(report, "proposals")
    assert proposals.children[0].title == "More IXPs"
    assert "Within existing resources" in _text(proposals.children[0])
    assert report.cover is not None and report.cover.symbol == "C26/33"
    assert "February 28, 2026" in report.cover.date  # one month before 31 March, the month's last day
    assert report.cover.references[-1] == "C25/33"
    # An activity of another year is not in this year's report.
    assert "activities.itu_t.recommendation" not in {f.key for f in _build(engine, "en", year=2023).figures()}


def test_due_date_is_one_month_before_council() -> None:
    assert ip_networks.due_date(dt.date(2026, 6, 10)) == dt.date(2026, 5, 10)
    assert ip_networks.due_date(dt.date(2026, 1, 15)) == dt.date(2025, 12, 15)
    assert ip_networks.due_date(dt.date(2026, 3, 31)) == dt.date(2026, 2, 28)


def test_a_figure_is_a_figure() -> None:
    assert not Figure("x", None, "count", "q", "/api/v1/x", missing="m").covered
