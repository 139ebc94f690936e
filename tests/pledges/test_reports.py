"""Progress reports on SQLite and PostgreSQL: one report per pledge and year, the rules a report keeps (every
error at once, each naming its field, nothing saved), yearly and cumulative commitments and disbursements, the
secretariat's review (published, or returned with a note), versions, the audit log, deliverables, and what the
public sees through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine

from observatory.db import transaction
from observatory.errors import Conflict, Invalid, NotFound
from observatory.pledges import reports, service
from observatory.pledges.schemas import DeliverableIn, ProgressReportIn, ReportContext
from tests.conftest import AUTH
from tests.pledges.test_api import create
from tests.pledges.test_registry import pledge_in

THIS_YEAR = dt.date.today().year
LAST_YEAR = THIS_YEAR - 1


def report(**fields: Any) -> ProgressReportIn:
    return ProgressReportIn.model_validate({"year": LAST_YEAR, "status": "in_progress", **fields})


def errors_of(data: dict[str, Any], context: ReportContext | None = None) -> dict[str, str]:
    """Each field in error and the rule (or pydantic type) it breaks."""
    with pytest.raises(ValidationError) as caught:
        ProgressReportIn.model_validate({"status": "in_progress", "year": LAST_YEAR, **data}, context=context)
    return {str(e["loc"][0]): e["type"] for e in caught.value.errors()}


def published_pledge(engine: Engine, **fields: Any) -> str:
    with transaction(engine) as s:
        return service.create_pledge(s, pledge_in(announced_on=f"{LAST_YEAR - 1}-03-01", **fields), "alice").reference


# ------------------------------------------------------------------ the rules, each naming its field


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        ({"year": THIS_YEAR + 1}, "year", "report_future_year"),
        ({"percent_complete": 140}, "percent_complete", "less_than_equal"),
        ({"status": "completed", "percent_complete": 40, "completed_on": f"{LAST_YEAR}-12-01"},
         "percent_complete", "report_completed_percent"),
        ({"percent_complete": 100}, "status", "report_percent_not_completed"),
        ({"status": "completed"}, "completed_on", "report_completed_on_missing"),
        ({"status": "completed", "completed_on": f"{THIS_YEAR + 1}-01-01"}, "completed_on",
         "report_completed_on_future"),
        ({"status": "discontinued", "status_reason": "  "}, "status_reason", "report_reason_missing"),
        ({"usd_disbursed": -5}, "usd_disbursed", "greater_than_equal"),
        ({"usd_disbursed": float("inf")}, "usd_disbursed", "finite_number"),
        ({"usd_disbursed": float("nan")}, "usd_disbursed", "finite_number"),
        ({"usd_committed": 100, "usd_disbursed": 150}, "usd_disbursed", "report_disbursed_over_committed"),
    ],
)  # fmt: skip
def test_each_bad_report_names_its_field(data: dict[str, Any], field: str, rule: str) -> None:
    found = errors_of(data, ReportContext())
    assert list(found) == [field]
    assert found[field] == rule or rule == "finite_number"  # Infinity and NaN fail the bounds first


def test_every_error_is_reported_at_once_cross_field_rules_included() -> None:
    found = errors_of(
        {"year": THIS_YEAR + 3, "status": "discontinued", "percent_complete": 100, "usd_committed": 10,
         "usd_disbursed": 50, "people_reached": -1}, ReportContext(),
    )  # fmt: skip
    assert found == {
        "year": "report_future_year",
        "status": "report_percent_not_completed",
        "status_reason": "report_reason_missing",
        "usd_disbursed": "report_disbursed_over_committed",
        "people_reached": "greater_than_equal",
    }


def test_completed_means_100_percent_and_a_date() -> None:
    done = report(status="completed", completed_on=f"{LAST_YEAR}-11-30")
    assert done.percent_complete == 100
    assert report(status="discontinued", status_reason="The operator left the market.").status == "discontinued"


def test_more_disbursed_than_committed_is_cumulative_and_a_note_explains_it() -> None:
    earlier = ReportContext(others=((LAST_YEAR - 1, 1000.0, 400.0, False),))
    # 400 + 500 disbursed against 1000 + 0 committed: within what was committed so far
    ProgressReportIn.model_validate({"year": LAST_YEAR, "status": "in_progress", "usd_disbursed": 500}, context=earlier)
    assert errors_of({"usd_disbursed": 700}, earlier) == {"usd_disbursed": "report_disbursed_over_committed"}
    noted = {"year": LAST_YEAR, "status": "in_progress", "usd_disbursed": 700, "finance_note": "Co-financing."}
    assert ProgressReportIn.model_validate(noted, context=earlier).finance_note == "Co-financing."
    # correcting an earlier year down breaks a later year's cumulative figures: refused too
    later = ReportContext(others=((LAST_YEAR, 0.0, 900.0, False),))
    assert errors_of({"year": LAST_YEAR - 1, "usd_committed": 500, "usd_disbursed": 0}, later) == {
        "usd_disbursed": "report_disbursed_over_committed"
    }


def test_a_year_before_the_pledge_is_refused(engine: Engine) -> None:
    ref = published_pledge(engine, start_year=LAST_YEAR)
    with pytest.raises(Invalid, match="year: The pledge began in"), transaction(engine) as s:
        reports.file_report(s, ref, report(year=LAST_YEAR - 2), "alice")
    with transaction(engine) as s:
        assert service.get_pledge(s, ref).reports == []


# ------------------------------------------------------------------ one report per year, versions


def test_one_report_per_year_corrected_in_place_with_versions(engine: Engine) -> None:
    ref = published_pledge(engine)
    first = report(percent_complete=40, usd_committed=500_000, usd_disbursed=400_000)
    with transaction(engine) as s:
        assert reports.file_report(s, ref, first, "alice").review_state == "submitted"
    with pytest.raises(Conflict, match="correct it instead"), transaction(engine) as s:
        reports.file_report(s, ref, first, "alice")
    fix = first.model_copy(update={"percent_complete": 45, "version": 1})
    with transaction(engine) as s:
        assert reports.correct_report(s, ref, LAST_YEAR, fix, "alice").version == 2
    with pytest.raises(Conflict), transaction(engine) as s:
        reports.correct_report(s, ref, LAST_YEAR, fix, "bob")  # version 1 is stale now
    moved = fix.model_copy(update={"year": LAST_YEAR - 1, "version": 2})
    with pytest.raises(Invalid, match="year: a report's year is fixed"), transaction(engine) as s:
        reports.correct_report(s, ref, LAST_YEAR, moved, "alice")
    with pytest.raises(NotFound), transaction(engine) as s:
        reports.correct_report(s, ref, LAST_YEAR - 1, moved, "alice")
    with transaction(engine) as s:
        p = service.get_pledge(s, ref)
        assert [(r.year, r.percent_complete, r.version) for r in p.reports] == [(LAST_YEAR, 45, 2)]
        assert [e.action for e in service.history(s, ref)] == ["create", "report", "update"]


def test_reports_only_on_published_pledges(engine: Engine) -> None:
    with transaction(engine) as s:
        ref = service.create_pledge(s, pledge_in(review_state="draft"), "alice").reference
    with pytest.raises(Invalid, match="draft"), transaction(engine) as s:
        reports.file_report(s, ref, ProgressReportIn(year=2024, status="planned"), "alice")


# ------------------------------------------------------------------ review, deliverables, figures


def test_review_publish_return_and_correct(engine: Engine) -> None:
    ref = published_pledge(engine, value=1_000_000, currency="USD")
    with transaction(engine) as s:
        milestone = reports.add_deliverable(s, ref, DeliverableIn(title="Backbone lit", due_on="2020-01-01"), "alice")
        milestone_id = milestone.id
        assert reports.deliverable_dict(milestone)["overdue"] is True
        update = {"deliverable_id": milestone_id, "status": "completed", "note": "Lit in May."}
        reports.file_report(
            s, ref, report(usd_committed=600_000, usd_disbursed=250_000, deliverables=[update]), "alice"
        )
    with transaction(engine) as s:
        p = service.get_pledge(s, ref)
        assert reports.progress(p)["usd_disbursed"] == 0  # not published: not counted
        assert p.deliverables[0].status == "planned"  # a report's deliverable status applies once published
        assert [r.pledge.reference for r in reports.review_queue(s, 10)] == [ref]
        with pytest.raises(Invalid, match="say what the pledger should correct"):
            reports.return_report(s, ref, LAST_YEAR, 1, " ", "secretariat")
    with transaction(engine) as s:
        reports.return_report(s, ref, LAST_YEAR, 1, "Disbursed seems high: check it.", "secretariat")
    with pytest.raises(Invalid, match="only a submitted report is published"), transaction(engine) as s:
        reports.publish_report(s, ref, LAST_YEAR, 2, "secretariat")
    corrected = report(usd_committed=600_000, usd_disbursed=200_000, deliverables=[update], version=2)
    with transaction(engine) as s:
        again = reports.correct_report(s, ref, LAST_YEAR, corrected, "alice")
        assert (again.review_state, again.review_note) == ("submitted", "Disbursed seems high: check it.")
    with pytest.raises(Conflict), transaction(engine) as s:
        reports.publish_report(s, ref, LAST_YEAR, 2, "secretariat")  # it changed since version 2
    with transaction(engine) as s:
        reports.publish_report(s, ref, LAST_YEAR, 3, "secretariat")
    with transaction(engine) as s:
        p = service.get_pledge(s, ref)
        assert (p.reports[0].review_state, p.reports[0].review_note) == ("published", "")
        assert p.deliverables[0].status == "completed"
        assert reports.deliverable_dict(p.deliverables[0])["overdue"] is False
        figures = reports.progress(p)
        assert (figures["usd_committed"], figures["usd_disbursed"], figures["disbursed_share"]) == (
            600_000, 200_000, 0.2,
        )  # fmt: skip
        actions = [(e.entity, e.action) for e in service.history(s, ref)]
        assert actions == [
            ("pledge", "create"), ("deliverable", "create"), ("progress_report", "report"),
            ("progress_report", "return"), ("progress_report", "update"), ("deliverable", "update"),
            ("progress_report", "publish"), ("pledge", "update"),  # the pledge takes the report's status
        ]  # fmt: skip
        assert p.status == "in_progress"
        public = [(e.entity, e.action) for e in reports.public_history(service.history(s, ref))]
        assert ("progress_report", "report") not in public and ("progress_report", "publish") in public


def test_deliverables_change_with_versions_and_go(engine: Engine) -> None:
    ref = published_pledge(engine)
    with transaction(engine) as s:
        d = reports.add_deliverable(s, ref, DeliverableIn(title="50 schools connected", due_on="2030-06-30"), "a")
        key = d.id
    with transaction(engine) as s:
        changed = DeliverableIn(title="60 schools connected", due_on="2030-06-30", status="delayed", version=1)
        assert reports.update_deliverable(s, ref, key, changed, "a").version == 2
    with pytest.raises(Conflict), transaction(engine) as s:
        reports.update_deliverable(s, ref, key, changed, "a")
    with pytest.raises(ValidationError):
        DeliverableIn(title="   ")
    with transaction(engine) as s:
        reports.remove_deliverable(s, ref, key, 2, "a")
    with transaction(engine) as s:
        assert service.get_pledge(s, ref).deliverables == []


def test_figures_per_year_and_cumulative(engine: Engine) -> None:
    ref = published_pledge(engine, value=2_000_000, currency="USD")
    with transaction(engine) as s:
        reports.file_report(s, ref, report(year=LAST_YEAR - 1, usd_committed=800_000, usd_disbursed=300_000,
                                           people_reached=1000), "a")  # fmt: skip
        # 600,000 disbursed against 400,000 committed in the year, but 900,000 against 1,200,000 to date: accepted
        reports.file_report(s, ref, report(usd_committed=400_000, usd_disbursed=600_000, people_reached=2500), "a")
        reports.publish_report(s, ref, LAST_YEAR - 1, 1, "s")
        reports.publish_report(s, ref, LAST_YEAR, 1, "s")
    with transaction(engine) as s:
        years = reports.progress(service.get_pledge(s, ref))
        assert [(y["year"], y["cumulative_committed"], y["cumulative_disbursed"]) for y in years["years"]] == [
            (LAST_YEAR - 1, 800_000, 300_000), (LAST_YEAR, 1_200_000, 900_000),
        ]  # fmt: skip
        assert years["disbursed_share"] == 0.45
    with transaction(engine) as s:
        no_value = service.create_pledge(s, pledge_in(value=None, currency=None, title="No value"), "a")
        assert reports.progress(no_value)["disbursed_share"] is None


# ------------------------------------------------------------------ through the API


def test_api_files_corrects_and_shows_only_published_reports(client: TestClient) -> None:
    ref = create(client)["reference"]
    body = {"year": LAST_YEAR, "status": "in_progress", "percent_complete": 30, "usd_committed": 100_000,
            "usd_disbursed": 20_000, "people_reached": 3000}  # fmt: skip
    first = client.post(f"/api/v1/pledges/{ref}/reports", json=body, headers=AUTH)
    assert first.status_code == 201 and first.json()["version"] == 1 and first.json()["review_state"] == "submitted"
    again = client.post(f"/api/v1/pledges/{ref}/reports", json=body, headers=AUTH)
    assert again.status_code == 409 and "correct it instead" in again.text
    assert client.get(f"/api/v1/pledges/{ref}/reports").json() == []  # the public: published reports only
    assert client.get(f"/api/v1/pledges/{ref}").json()["reports"] == []
    assert [r["year"] for r in client.get(f"/api/v1/pledges/{ref}/reports", headers=AUTH).json()] == [LAST_YEAR]
    public_history = client.get(f"/api/v1/pledges/{ref}/history").json()
    assert [h["entity"] for h in public_history] == ["pledge"]

    fixed = client.put(f"/api/v1/pledges/{ref}/reports/{LAST_YEAR}", json={**body, "people_reached": 3500,
                                                                             "version": 1}, headers=AUTH)  # fmt: skip
    assert fixed.status_code == 200 and fixed.json()["people_reached"] == 3500
    moved = client.put(f"/api/v1/pledges/{ref}/reports/{LAST_YEAR}", json={**body, "year": LAST_YEAR - 1,
                                                                             "version": 2}, headers=AUTH)  # fmt: skip
    assert moved.status_code == 422 and "year is fixed" in moved.text
    for bad, field in (
        ({"year": THIS_YEAR + 1}, "year"),
        ({"year": LAST_YEAR - 1}, "year"),  # before the pledge's announcement
        ({"percent_complete": 101}, "percent_complete"),
        ({"status": "completed", "percent_complete": 40, "completed_on": f"{LAST_YEAR}-06-01"}, "percent_complete"),
        ({"usd_disbursed": -1}, "usd_disbursed"),
        ({"usd_disbursed": 200_000}, "usd_disbursed"),  # more than the 100,000 committed, with no note
    ):
        refused = client.post(f"/api/v1/pledges/{ref}/reports", json={**body, "year": THIS_YEAR, **bad}, headers=AUTH)
        assert refused.status_code == 422 and field in refused.text, refused.text
    years = [r["year"] for r in client.get(f"/api/v1/pledges/{ref}/reports", headers=AUTH).json()]
    assert years == [LAST_YEAR]  # nothing saved

    published = client.post(f"/api/v1/pledges/{ref}/reports/{LAST_YEAR}/publish", json={"version": 2}, headers=AUTH)
    assert published.status_code == 200 and published.json()["review_state"] == "published"
    shown = client.get(f"/api/v1/pledges/{ref}").json()
    assert [r["people_reached"] for r in shown["reports"]] == [3500]
    assert shown["progress"]["usd_disbursed"] == 20_000 and shown["progress"]["disbursed_share"] == 0.01
    assert shown["reporting_health"] == "green" and shown["deliverables"] == []
    returned = client.post(f"/api/v1/pledges/{ref}/reports/{LAST_YEAR}/return", json={"version": 3, "note": "Why?"},
                           headers=AUTH)  # fmt: skip
    assert returned.status_code == 200 and client.get(f"/api/v1/pledges/{ref}/reports").json() == []
    with_state = client.get(f"/api/v1/pledges/{ref}/reports", headers=AUTH).json()
    assert [(r["review_state"], r["review_note"]) for r in with_state] == [("returned", "Why?")]


def test_a_year_still_to_correct_does_not_hide_the_other_errors() -> None:
    found = errors_of({"year": "next year", "usd_committed": 10, "usd_disbursed": 50}, ReportContext())
    assert found == {"year": "int_parsing", "usd_disbursed": "report_disbursed_over_committed"}


def test_the_finance_rule_writes_its_amounts_as_the_reader_does() -> None:
    data = {"year": LAST_YEAR, "status": "in_progress", "usd_committed": 1_000_000, "usd_disbursed": 5_000_000}
    for language, written in (("en", "5,000,000"), ("fr", "5\u202f000\u202f000")):
        with pytest.raises(ValidationError) as caught:
            ProgressReportIn.model_validate(data, context={"numbers": language, "report": ReportContext()})
        assert written in str(caught.value), language
