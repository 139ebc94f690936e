"""The secretariat's workspace, on SQLite and PostgreSQL: review (queue, asking for changes, publishing,
differences between versions), spreadsheet import with a preview, and inviting pledgers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from observatory.config import Settings
from observatory.db import transaction
from observatory.pledges.models import Organisation, Pledge
from tests.conftest import outbox
from tests.pledges.test_portal import form_token, make_organisation, make_pledge, pledge_form, portal_json
from tests.web.conftest import sign_in

SECRETARIAT = "review@itu.example"

HEADER = "pledger,pledger_type,pledger_country,title,focus_areas,target_countries,value,currency,announced_on"
GOOD = 'Ministère du Numérique,government,SEN,"Connect 50 health centres",access,SEN;GMB,100000,USD,2024-02-01'
BAD = "Acme Telecom,private_sector,KEN,Rural towers,access,XXX,5000,EUR,2024-03-01"


def two_people(client: TestClient, engine: Engine, org: int) -> tuple[TestClient, TestClient]:
    """A pledger of ``org`` and a secretariat member, each in their own browser."""
    pledger, secretariat = client, TestClient(client.app)
    sign_in(pledger, engine, "amina@numerique.example", "pledger", [org])
    sign_in(secretariat, engine, SECRETARIAT, "secretariat")
    return pledger, secretariat


def review_json(client: TestClient, ref: str, query: str = "") -> dict[str, Any]:
    response = client.get(f"/secretariat/pledges/{ref}?format=json{query}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_review_ask_for_changes_resubmit_publish(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    pledger, secretariat = two_people(client, engine, org)
    sent = {**pledge_form(org), "action": "submit", "csrf_token": form_token(pledger)}
    created = pledger.post("/portal/pledges/new", data=sent, follow_redirects=False)
    ref = created.headers["location"].split("saved=")[1]
    older = make_pledge(engine, org, review_state="submitted", title="Submitted later")

    queue = secretariat.get("/secretariat")
    assert queue.status_code == 200 and ref in queue.text
    twin = secretariat.get("/secretariat?format=json").json()
    assert [p["reference"] for p in twin["queue"]] == [ref, older] and twin["counts"]["submitted"] == 2

    token = form_token(secretariat)
    no_note = secretariat.post(f"/secretariat/pledges/{ref}/changes", data={"version": "1", "csrf_token": token})
    assert no_note.status_code == 422 and "Say which changes" in no_note.text
    note = "Say how many young people in each city."
    asked = secretariat.post(
        f"/secretariat/pledges/{ref}/changes",
        data={"version": "1", "note": note, "csrf_token": token},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    mine = {p["reference"]: p for p in portal_json(pledger)["pledges"]}[ref]
    assert mine["review_state"] == "draft" and mine["review_note"] == note
    assert note in pledger.get("/portal").text and note in pledger.get(f"/portal/pledges/{ref}/edit").text

    fixed = {**sent, "title": "Former 10 000 jeunes : 6 000 à Dakar, 4 000 à Thiès", "version": "2"}
    assert pledger.post(f"/portal/pledges/{ref}/edit", data=fixed, follow_redirects=False).status_code == 303
    assert ref in secretariat.get("/secretariat").text

    review = review_json(secretariat, ref)
    assert review["pledge"]["version"] == 3 and [v["version"] for v in review["versions"]] == [1, 2, 3]
    assert review["diff"]["from"] == 2 and review["diff"]["to"] == 3
    changed = {d["field"]: d for d in review["diff"]["fields"]}
    assert set(changed) == {"title", "review_state"}
    assert changed["title"]["before"] == sent["title"] and changed["title"]["after"] == fixed["title"]
    first_to_last = review_json(secretariat, ref, "&from=1&to=3")["diff"]
    assert {d["field"] for d in first_to_last["fields"]} == {"title", "review_note"}  # submitted both times
    page = secretariat.get(f"/secretariat/pledges/{ref}?from=1&to=2").text
    assert "<del>Former 10 000 jeunes aux métiers du numérique</del>" not in page  # word by word
    assert "<ins>Say how many young people in each city.</ins>" in page and "<del>" in page
    assert "amina@numerique.example" in page and "review@itu.example" in page  # the history's actors

    stale = secretariat.post(f"/secretariat/pledges/{ref}/publish", data={"version": "2", "csrf_token": token})
    assert stale.status_code == 409 and "changed since you opened it" in stale.text
    published = secretariat.post(
        f"/secretariat/pledges/{ref}/publish", data={"version": "3", "csrf_token": token}, follow_redirects=False
    )
    assert published.status_code == 303
    mine = {p["reference"]: p for p in portal_json(pledger)["pledges"]}[ref]
    assert mine["review_state"] == "published" and mine["review_note"] == "" and not mine["can_edit"]
    assert pledger.get(f"/portal/pledges/{ref}/edit").status_code == 403  # only the secretariat edits it now
    again = secretariat.post(
        f"/secretariat/pledges/{ref}/reject", data={"version": "4", "note": "x", "csrf_token": token}
    )
    assert again.status_code == 422 and "does not apply" in again.text
    assert ref not in [p["reference"] for p in secretariat.get("/secretariat?format=json").json()["queue"]]


def upload(client: TestClient, content: str, **fields: str) -> Any:
    files = {"file": ("pledges.csv", content.encode(), "text/csv")}
    return client.post("/secretariat/import", data={"csrf_token": form_token(client), **fields}, files=files)


def count_pledges(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(Pledge)) or 0


def test_csv_preview_lists_bad_rows_and_commits_nothing(client: TestClient, engine: Engine, settings: Settings) -> None:
    sign_in(client, engine, SECRETARIAT, "secretariat")
    assert client.get("/secretariat/import").status_code == 200
    preview = upload(client, f"{HEADER}\n{GOOD}\n{BAD}\n")
    assert preview.status_code == 200 and "Nothing has been imported yet." in preview.text
    data = client.post(
        "/secretariat/import?format=json",
        data={"csrf_token": form_token(client)},
        files={"file": ("pledges.csv", f"{HEADER}\n{GOOD}\n{BAD}\n".encode(), "text/csv")},
    ).json()
    assert data["created"] == 1 and data["updated"] == 0
    assert data["rejected"] == [
        {"line": 3, "column": "target_countries", "reason": "unknown country code 'XXX' (ISO 3166-1 alpha-3 expected)"}
    ]
    assert "<td>3</td><td>target_countries</td>" in preview.text and "unknown country code" in preview.text
    assert count_pledges(engine) == 0
    with transaction(engine) as session:
        assert session.scalar(select(Organisation.id).where(Organisation.name == "Acme Telecom")) is None
    upload_id = re.search(r'name="upload" value="([0-9a-f]{32})"', preview.text)
    assert upload_id and (settings.home / "uploads" / f"{upload_id.group(1)}.csv").is_file()

    commit = {"upload": upload_id.group(1), "review_state": "published", "csrf_token": form_token(client)}
    refused = client.post("/secretariat/import/commit", data=commit)
    assert refused.status_code == 422 and "Nothing was imported" in refused.text and count_pledges(engine) == 0
    done = client.post("/secretariat/import/commit", data={**commit, "skip_invalid": "1"})
    assert done.status_code == 200 and "1 created" in done.text and count_pledges(engine) == 1
    assert not (settings.home / "uploads" / f"{upload_id.group(1)}.csv").exists()
    gone = client.post("/secretariat/import/commit", data={**commit, "skip_invalid": "1"})
    assert gone.status_code == 404 and count_pledges(engine) == 1


def test_import_now_commits_a_valid_file(client: TestClient, engine: Engine) -> None:
    sign_in(client, engine, SECRETARIAT, "secretariat")
    preview = upload(client, f"{HEADER}\n{GOOD}\n", review_state="submitted")
    found = re.search(r'name="upload" value="([0-9a-f]{32})"', preview.text)
    assert found and "Skip the rejected rows" not in preview.text
    commit = {"upload": found.group(1), "review_state": "submitted", "csrf_token": form_token(client)}
    done = client.post("/secretariat/import/commit?format=json", data=commit)
    assert done.status_code == 200 and done.json()["created"] == 1
    queue = client.get("/secretariat?format=json").json()["queue"]
    assert [p["title"] for p in queue] == ["Connect 50 health centres"]
    history = client.get(f"/secretariat/pledges/{queue[0]['reference']}?format=json").json()["history"]
    assert [(h["action"], h["actor"]) for h in history] == [("import", SECRETARIAT)]
    export = client.get("/secretariat/export.csv")
    assert export.status_code == 200 and "Connect 50 health centres" in export.text
    assert export.text.startswith("reference,pledger,") and client.get("/secretariat/export").status_code == 200
    exported = client.get("/secretariat/export.json?review_state=submitted").json()
    assert [p["title"] for p in exported] == ["Connect 50 health centres"]
    assert client.get("/secretariat/export.json?review_state=published").json() == []


def test_register_an_organisation(client: TestClient, engine: Engine) -> None:
    sign_in(client, engine, SECRETARIAT, "secretariat")
    form = {
        "name": "Office des Postes",
        "stakeholder_type": "government",
        "country": "BEN",
        "itu_membership": "none",
        "csrf_token": form_token(client),
    }
    assert client.post("/secretariat/organisations", data=form, follow_redirects=False).status_code == 303
    listed = client.get("/secretariat/organisations?format=json").json()["organisations"]
    assert [(o["name"], o["country"]) for o in listed] == [("Office des Postes", "BEN")]
    twice = client.post("/secretariat/organisations", data={**form, "name": "office des  postes"})
    assert twice.status_code == 409 and "already registered" in twice.text
    invalid = client.post("/secretariat/organisations", data={**form, "name": "X", "stakeholder_type": "club"})
    assert invalid.status_code == 422 and "Choose one of the options." in invalid.text


@pytest.mark.parametrize("email", ["josé@exemple.fr", "用户@例子.广告"])
def test_invite_a_pledger_who_sets_a_password_and_signs_in(
    client: TestClient, engine: Engine, settings: Settings, email: str
) -> None:
    org = make_organisation(engine)
    sign_in(client, engine, SECRETARIAT, "secretariat")
    invited = client.post(
        "/secretariat/organisations/invite",
        data={"organisation": str(org), "email": email, "csrf_token": form_token(client)},
        follow_redirects=False,
    )
    assert invited.status_code == 303, invited.text
    assert email in client.get(invited.headers["location"]).text
    again = client.post(
        "/secretariat/organisations/invite",
        data={"organisation": str(org), "email": email, "csrf_token": form_token(client)},
    )
    assert again.status_code == 409 and "already has an account" in again.text
    messages = outbox(Path(settings.home))
    assert [to for to, _body in messages] == [email]
    link = re.search(r"https?://[^/\s]+(/account/accept/[\w-]+)", messages[0][1])
    assert link

    newcomer = TestClient(client.app)
    page = newcomer.get(link.group(1))
    assert page.status_code == 200
    password = "une phrase de passe assez longue"
    accepted = newcomer.post(
        link.group(1), data={"password": password, "csrf_token": form_token(newcomer)}, follow_redirects=False
    )
    assert accepted.status_code == 303 and accepted.headers["location"] == "/portal"
    orgs = portal_json(newcomer)["organisations"]
    assert orgs == [{"id": org, "name": "Ministère du Numérique"}]

    later = TestClient(client.app)
    later.get("/account/login")
    signed_in = later.post(
        "/account/login",
        data={"email": email, "password": password, "csrf_token": form_token(later), "next": ""},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portal"
