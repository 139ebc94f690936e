"""The public pages of activities and their JSON twins, the API, and the secretariat's workspace (new, edit with
a stale version, check, withdraw, upload and download), on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from observatory.activities import files, service
from observatory.db import transaction
from tests.activities.helpers import activity_form, make_activity
from tests.web.conftest import csrf, sign_in


def _seed(engine: Engine) -> None:
    with transaction(engine) as session:
        files.load_seed(session, "tests")


def test_the_public_page_filters_and_has_its_json_twin_and_csv(client: TestClient, engine: Engine) -> None:
    _seed(engine)
    page = client.get("/activities?organisation=ietf&topic=ipv6")
    assert page.status_code == 200
    assert "RFC 8200" in page.text and "Recommendation ITU-T Y.3001" not in page.text
    assert "To be checked by the secretariat" in page.text
    twin = client.get("/activities?organisation=ietf&topic=ipv6&format=json").json()
    assert twin["total"] == len(twin["items"]) > 0
    assert {i["organisation"] for i in twin["items"]} == {"ietf"}
    assert twin["items"][0]["topic_name"] == "IPv6"
    year = client.get("/activities?format=json&kind=recommendation&year=2012").json()
    assert year["total"] > 0 and all(i["first_year"] == 2012 for i in year["items"])
    fr = client.get("/activities?lang=fr&collaboration=joint")
    assert '<html lang="fr"' in fr.text and "Broadband" in fr.text
    download = client.get("/activities?format=csv&organisation=ietf")
    assert download.headers["content-type"].startswith("text/csv")
    assert download.text.splitlines()[0] == ",".join(files.COLUMNS)
    assert all(",ietf," in line for line in download.text.splitlines()[1:] if line.startswith("ACT-"))


def test_one_activity_page_and_the_api(client: TestClient, engine: Engine) -> None:
    ref = make_activity(engine)
    page = client.get(f"/activities/{ref}")
    assert page.status_code == 200 and "ITU Telecommunication Standardization Sector" in page.text
    assert client.get(f"/activities/{ref}?format=json").json()["organisation_role"].startswith("Develops")
    assert client.get("/activities/ACT-9999").status_code == 404
    listed = client.get("/api/v1/activities?organisation=itu_t&lang=fr").json()
    assert listed["total"] == 1 and listed["items"][0]["kind_name"] != "recommendation"
    assert client.get("/api/v1/activities?topic=bogus").status_code == 422
    one = client.get(f"/api/v1/activities/{ref}").json()
    assert one["source_url"] == "https://www.itu.int/rec/T-REC-Y.3001"
    summary = client.get("/api/v1/activities/summary?year=2011").json()
    assert summary["total"] == 1 and summary["by_sector_kind"]["itu_t"]["recommendation"] == 1
    assert client.get("/api/v1/activities/summary?year=2012").json()["total"] == 0


def test_the_secretariat_registers_edits_checks_and_withdraws(client: TestClient, engine: Engine) -> None:
    sign_in(client, engine, "review@itu.example", "secretariat")
    token = csrf(client, "/secretariat/activities/new")
    refused = client.post("/secretariat/activities/new", data={**activity_form(source_url=""), "csrf_token": token})
    assert refused.status_code == 422
    assert "Source (web address) is required" in refused.text
    assert 'value="RFC 8200: IPv6 Specification"' in refused.text  # the entries are kept
    with transaction(engine) as session:
        assert service.count(session) == 0
    made = client.post("/secretariat/activities/new", data={**activity_form(), "csrf_token": token},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    ref = made.headers["location"].rsplit("/", 1)[-1]
    edit = {**activity_form(title="RFC 8200"), "version": "1", "csrf_token": token}
    assert client.post(f"/secretariat/activities/{ref}", data=edit, follow_redirects=False).status_code == 303
    stale = client.post(f"/secretariat/activities/{ref}", data={**edit, "title": "Stale"})
    assert stale.status_code == 409 and "version 2" in stale.text
    mark = {"version": "2", "checked": "1", "csrf_token": token}
    checked = client.post(f"/secretariat/activities/{ref}/check", data=mark, follow_redirects=False)
    assert checked.status_code == 303
    no_reason = client.post(f"/secretariat/activities/{ref}/withdraw", data={"version": "3", "csrf_token": token})
    assert no_reason.status_code == 422 and "Say why" in no_reason.text
    page = client.get(f"/secretariat/activities/{ref}")
    assert "Marked as checked" in page.text and "RFC 8200: IPv6 Specification" in page.text  # the history
    reason = {"version": "3", "reason": "Duplicate.", "csrf_token": token}
    gone = client.post(f"/secretariat/activities/{ref}/withdraw", data=reason, follow_redirects=False)
    assert gone.status_code == 303
    assert client.get(f"/activities/{ref}").status_code == 404
    assert client.get("/secretariat/activities?withdrawn=1&format=json").json()["total"] == 1


def test_upload_and_download_in_the_workspace(client: TestClient, engine: Engine) -> None:
    _seed(engine)
    sign_in(client, engine, "review@itu.example", "secretariat")
    token = csrf(client, "/secretariat/activities")
    xlsx = client.get("/secretariat/activities/export.xlsx")
    assert xlsx.content[:2] == b"PK"
    again = client.post("/secretariat/activities/import", data={"csrf_token": token},
                        files={"file": ("activities.xlsx", xlsx.content)})  # fmt: skip
    assert again.status_code == 200 and re.search(r"0 new, 0 changed, \d+ unchanged", again.text)
    bad = b"organisation,title,topic,kind,starts,collaboration,source_url\nietf,RFC,ipv6,recommendation,2017,none,\n"
    refused = client.post("/secretariat/activities/import?lang=fr", data={"csrf_token": token},
                          files={"file": ("a.csv", bad)})  # fmt: skip
    assert refused.status_code == 422
    assert "<td>2</td><td>source_url</td>" in refused.text


def test_pledgers_and_the_public_cannot_enter_the_workspace(client: TestClient, engine: Engine) -> None:
    assert client.get("/secretariat/activities", follow_redirects=False).headers["location"].startswith("/account")
    sign_in(client, engine, "pledger@example.org", "pledger")
    assert client.get("/secretariat/activities").status_code == 403
    assert client.get("/secretariat/activities/export.csv").status_code == 403
