"""Progress reports through the web pages, on SQLite and PostgreSQL: a pledger files two yearly reports with
commitments and disbursements, the secretariat publishes them, and the pledge page shows pledged, committed
and disbursed; the correction form edits that report (no year to change); bad input is refused with every
error at once, in the interface language; returned reports; deliverables; the review queue."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from observatory.db import transaction
from observatory.pledges import service
from tests.pledges.test_portal import PLEDGER, make_organisation, make_pledge, portal_json
from tests.web.conftest import csrf, sign_in

THIS_YEAR = dt.date.today().year
FIRST, SECOND = THIS_YEAR - 2, THIS_YEAR - 1
REVIEWER = "review@itu.example"


def report_form(**fields: str) -> dict[str, str]:
    return {"status": "in_progress", "percent_complete": "", "usd_committed": "", "usd_disbursed": "",
            "people_reached": "", "narrative": "", "completed_on": "", "status_reason": "", "finance_note": "",
            **fields}  # fmt: skip


def file(client: TestClient, ref: str, year: int, **fields: str) -> Any:
    token = csrf(client, f"/portal/pledges/{ref}/report?year={year}")
    return client.post(f"/portal/pledges/{ref}/report", data={**report_form(year=str(year), **fields),
                                                              "csrf_token": token}, follow_redirects=False)  # fmt: skip


def reviewer(client: TestClient, engine: Engine) -> TestClient:
    other = TestClient(client.app)
    sign_in(other, engine, REVIEWER, "secretariat")
    return other


def decide(client: TestClient, ref: str, year: int, what: str, version: int, note: str = "") -> Any:
    token = csrf(client, f"/secretariat/pledges/{ref}")
    data = {"version": str(version), "note": note, "csrf_token": token}
    return client.post(f"/secretariat/pledges/{ref}/reports/{year}/{what}", data=data, follow_redirects=False)


def setup(client: TestClient, engine: Engine, **fields: Any) -> str:
    org = make_organisation(engine)
    ref = make_pledge(engine, org, review_state="published", announced_on=f"{FIRST}-02-01", value=5_000_000,
                      currency="USD", **fields)  # fmt: skip
    sign_in(client, engine, PLEDGER, "pledger", [org])
    return ref


def test_two_yearly_reports_published_show_pledged_committed_disbursed(client: TestClient, engine: Engine) -> None:
    ref = setup(client, engine)
    assert portal_json(client)["pledges"][0]["report"] == "overdue"
    first = file(client, ref, FIRST, percent_complete="20", usd_committed="2,000,000", usd_disbursed="500,000",
                 people_reached="1,200", narrative="Twenty towers built.")  # fmt: skip
    assert first.status_code == 303, first.text
    second = file(client, ref, SECOND, percent_complete="45", usd_committed="1,000,000", usd_disbursed="1,500,000",
                  people_reached="3000", narrative="Backbone lit.")  # fmt: skip
    assert second.status_code == 303, second.text  # 2.0M disbursed of 3.0M committed to date
    assert portal_json(client)["pledges"][0]["report"] is None  # a submitted report counts as filed

    public = client.get(f"/pledges/{ref}?format=json").json()
    assert public["reports"] == [] and public["progress"]["usd_disbursed"] == 0  # not reviewed: not public
    assert "Twenty towers built." not in TestClient(client.app).get(f"/pledges/{ref}").text

    secretariat = reviewer(client, engine)
    queue = secretariat.get("/secretariat?format=json").json()["report_queue"]
    assert [(r["reference"], r["year"]) for r in queue] == [(ref, FIRST), (ref, SECOND)]
    assert "Progress reports waiting for review" in secretariat.get("/secretariat").text
    assert decide(secretariat, ref, FIRST, "publish", 1).status_code == 303
    assert decide(secretariat, ref, SECOND, "publish", 1).status_code == 303
    assert secretariat.get("/secretariat?format=json").json()["report_queue"] == []

    anonymous = TestClient(client.app)
    data = anonymous.get(f"/pledges/{ref}?format=json").json()
    assert [r["year"] for r in data["reports"]] == [FIRST, SECOND]
    progress = data["progress"]
    assert (progress["value_usd"], progress["usd_committed"], progress["usd_disbursed"]) == (5e6, 3e6, 2e6)
    assert progress["disbursed_share"] == 0.4
    assert [(y["year"], y["cumulative_committed"], y["cumulative_disbursed"]) for y in progress["years"]] == [
        (FIRST, 2e6, 5e5), (SECOND, 3e6, 2e6),
    ]  # fmt: skip
    page = anonymous.get(f"/pledges/{ref}").text
    figures = dict(re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]+)</dd></div>", page))
    assert figures["USD pledged"] == "USD 5M" and figures["USD committed"] == "USD 3M"
    assert figures["USD disbursed"] == "USD 2M" and figures["Share of the pledge disbursed"] == "40 %"
    assert "Committed and disbursed per year (USD)" in page and "Backbone lit." in page
    assert anonymous.get(f"/pledges/{ref}?lang=fr").status_code == 200


def test_the_correction_form_edits_that_report_and_its_year_is_fixed(client: TestClient, engine: Engine) -> None:
    ref = setup(client, engine)
    assert file(client, ref, SECOND, percent_complete="30", narrative="Started.").status_code == 303
    again = client.get(f"/portal/pledges/{ref}/report?year={SECOND}", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/portal/pledges/{ref}/reports/{SECOND}"
    form = client.get(f"/portal/pledges/{ref}/reports/{SECOND}").text
    assert 'name="year"' not in form.split('action="/portal/pledges/')[2]  # the correction form has no year
    assert "A report&#39;s year is fixed once filed." in form or "A report's year is fixed once filed." in form
    token = csrf(client, f"/portal/pledges/{ref}/reports/{SECOND}")
    fixed = report_form(percent_complete="35", narrative="Started well.", version="1", year=str(FIRST))
    answer = client.post(f"/portal/pledges/{ref}/reports/{SECOND}", data={**fixed, "csrf_token": token},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    stale = client.post(f"/portal/pledges/{ref}/reports/{SECOND}", data={**fixed, "csrf_token": token})
    assert stale.status_code == 409 and "Nothing was overwritten" in stale.text
    twice = file(client, ref, SECOND, percent_complete="99")
    assert twice.status_code == 409 and f"The {SECOND} report was filed already" in twice.text
    with transaction(engine) as session:
        reports = service.get_pledge(session, ref).reports
        assert [(r.year, r.percent_complete, r.narrative, r.version) for r in reports] == [
            (SECOND, 35, "Started well.", 2)
        ]


def test_bad_reports_show_every_error_at_once_and_save_nothing(client: TestClient, engine: Engine) -> None:
    ref = setup(client, engine)
    cases = [
        ({"year": str(THIS_YEAR + 1)}, "year", "cannot cover a year after"),
        ({"percent_complete": "140"}, "percent_complete", "140"),
        ({"status": "completed", "percent_complete": "40", "completed_on": f"{SECOND}-05-01"}, "percent_complete",
         "A completed pledge is 100 % complete"),
        ({"usd_disbursed": "-5"}, "usd_disbursed", ""),
        ({"usd_disbursed": "Infinity"}, "usd_disbursed", ""),
        ({"usd_committed": "100", "usd_disbursed": "500"}, "usd_disbursed", "explain it in the finance note"),
    ]  # fmt: skip
    for fields, field, words in cases:
        answer = file(client, ref, int(fields.pop("year", SECOND)), **fields)
        assert answer.status_code == 422, (fields, answer.text[:300])
        assert f'id="{field}-error"' in answer.text and words in answer.text, (field, words)
    everything = file(client, ref, SECOND, status="discontinued", percent_complete="100", usd_committed="10",
                      usd_disbursed="50", people_reached="-3")  # fmt: skip
    assert everything.status_code == 422
    for field in ("status", "status_reason", "usd_disbursed", "people_reached"):
        assert f'id="{field}-error"' in everything.text, field
    sign_in(client, engine, PLEDGER, "pledger")
    french = client.post(
        f"/portal/pledges/{ref}/report?lang=fr",
        data={**report_form(year=str(SECOND), status="completed", percent_complete="40", completed_on=""),
              "csrf_token": csrf(client, f"/portal/pledges/{ref}/report?lang=fr")},
    )  # fmt: skip
    assert french.status_code == 422 and 'lang="fr"' in french.text
    assert 'id="percent_complete-error"' in french.text and 'id="completed_on-error"' in french.text
    with transaction(engine) as session:
        assert service.get_pledge(session, ref).reports == []
    noted = file(client, ref, SECOND, usd_committed="100", usd_disbursed="500", finance_note="Co-financed by a bank.")
    assert noted.status_code == 303


def test_returned_report_is_corrected_and_resubmitted(client: TestClient, engine: Engine) -> None:
    ref = setup(client, engine)
    assert file(client, ref, SECOND, usd_committed="100000", usd_disbursed="10000").status_code == 303
    secretariat = reviewer(client, engine)
    empty = decide(secretariat, ref, SECOND, "return", 1, "")
    assert empty.status_code == 422 and "they will see your note" in empty.text
    assert decide(secretariat, ref, SECOND, "return", 1, "Say how many people were reached.").status_code == 303
    assert decide(secretariat, ref, SECOND, "publish", 2).status_code == 422  # a returned report waits
    assert portal_json(client)["pledges"][0]["returned_reports"] == [SECOND]
    assert f'href="/portal/pledges/{ref}/reports/{SECOND}"' in client.get("/portal").text
    form = client.get(f"/portal/pledges/{ref}/reports/{SECOND}").text
    assert "returned this report for correction" in form and "Say how many people were reached." in form
    token = csrf(client, f"/portal/pledges/{ref}/reports/{SECOND}")
    corrected = report_form(usd_committed="100000", usd_disbursed="10000", people_reached="800", version="2")
    assert client.post(f"/portal/pledges/{ref}/reports/{SECOND}", data={**corrected, "csrf_token": token},
                       follow_redirects=False).status_code == 303  # fmt: skip
    review = secretariat.get(f"/secretariat/pledges/{ref}")
    assert f"/secretariat/pledges/{ref}/reports/{SECOND}/publish" in review.text
    assert decide(secretariat, ref, SECOND, "publish", 3).status_code == 303
    history = [h["action"] for h in secretariat.get(f"/pledges/{ref}?format=json").json()["history"]]
    assert history[-5:] == ["report", "return", "update", "publish", "update"]  # the pledge takes its status


def test_deliverables_are_kept_in_the_portal_and_shown_on_the_pledge_page(client: TestClient, engine: Engine) -> None:
    ref = setup(client, engine)
    token = csrf(client, f"/portal/pledges/{ref}/report")
    added = client.post(f"/portal/pledges/{ref}/deliverables", data={"title": "Backbone lit", "due_on": "2020-06-30",
                        "status": "in_progress", "csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert added.status_code == 303
    empty = client.post(f"/portal/pledges/{ref}/deliverables", data={"title": " ", "csrf_token": token})
    assert empty.status_code == 422
    form = client.get(f"/portal/pledges/{ref}/report?format=json").json()
    (deliverable,) = form["deliverables"]
    assert deliverable["title"] == "Backbone lit" and deliverable["overdue"] is True
    answer = file(client, ref, SECOND, **{f"deliverable-{deliverable['id']}": "completed",
                                           f"deliverable-{deliverable['id']}-note": "Lit in May."})  # fmt: skip
    assert answer.status_code == 303
    page = TestClient(client.app).get(f"/pledges/{ref}").text
    assert "Backbone lit" in page and "Overdue" in page
    assert decide(reviewer(client, engine), ref, SECOND, "publish", 1).status_code == 303
    shown = TestClient(client.app).get(f"/pledges/{ref}?format=json").json()
    assert [(d["status"], d["overdue"]) for d in shown["deliverables"]] == [("completed", False)]
    assert shown["reports"][0]["deliverables"][0]["note"] == "Lit in May."
    removed = client.post(f"/portal/pledges/{ref}/deliverables/{deliverable['id']}/remove",
                          data={"version": "2", "csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert removed.status_code == 303
    assert TestClient(client.app).get(f"/pledges/{ref}?format=json").json()["deliverables"] == []


def test_numbers_are_read_as_the_interface_language_writes_them(client: TestClient, engine: Engine) -> None:
    ref = setup(client, engine)
    token = csrf(client, f"/portal/pledges/{ref}/report?lang=fr")
    form = report_form(year=str(SECOND), usd_committed="1 500 000", usd_disbursed="250 000,50", percent_complete="12,5")
    answer = client.post(f"/portal/pledges/{ref}/report?lang=fr", data={**form, "csrf_token": token},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text[:500]
    with transaction(engine) as session:
        (report,) = service.get_pledge(session, ref).reports
        assert (report.usd_committed, report.usd_disbursed, report.percent_complete) == (1_500_000, 250_000.5, 12.5)
