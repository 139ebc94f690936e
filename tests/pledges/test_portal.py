"""The pledger portal, on SQLite and PostgreSQL: the guided pledge form (drafts, submission, validation,
stale versions) and personal API tokens (progress reports: tests/web/test_report_pages.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from observatory import reference
from observatory.db import transaction
from observatory.pledges import service
from observatory.pledges.models import Organisation, Pledge
from observatory.pledges.schemas import OrganisationIn, PledgeIn
from tests.web.conftest import csrf, sign_in

PLEDGER = "amina@numerique.example"


def make_organisation(engine: Engine, name: str = "Ministère du Numérique", country: str = "SEN") -> int:
    with transaction(engine) as session:
        data = OrganisationIn(name=name, stakeholder_type="government", country=country)
        return service.upsert_organisation(session, data, "tests").id


def make_pledge(engine: Engine, organisation: int, review_state: str = "draft", **fields: Any) -> str:
    """A pledge registered directly through the service (the state a test starts from)."""
    with transaction(engine) as session:
        org = service.organisation_dict(session.get_one(Organisation, organisation))
        data = PledgeIn.model_validate(
            {
                "pledger": {k: v for k, v in org.items() if k != "id"},
                "title": "Connect 200 rural schools",
                "focus_areas": ["access"],
                "announced_on": "2023-05-02",
                "review_state": review_state,
                **fields,
            }
        )
        return service.create_pledge(session, data, "tests").reference


def pledge_state(engine: Engine, ref: str) -> Pledge:
    with transaction(engine) as session:
        pledge = session.scalars(select(Pledge).where(Pledge.reference == ref)).one()
        session.expunge(pledge)
        return pledge


def form_token(client: TestClient) -> str:
    """The CSRF token the browser's forms carry now (the session's own once signed in)."""
    return csrf(client)


def pledge_form(organisation: int, **overrides: Any) -> dict[str, Any]:
    return {
        "organisation": str(organisation),
        "title": "Former 10 000 jeunes aux métiers du numérique",
        "description": "Des centres de formation à Dakar, Thiès et Saint-Louis.",
        "pledge_type": "programmatic",
        "focus_areas": ["adoption"],
        "pillars": ["digital_skills"],
        "target_countries": ["SEN"],
        "value": "2000000",
        "currency": "USD",
        "start_year": "2025",
        "end_year": "2027",
        "announced_on": "2025-03-04",
        "event": "WTDC-25",
        "beneficiary_groups": "youth\nwomen",
        "sdgs": ["4", "9"],
        "partners": "Sonatel\nUniversité Cheikh Anta Diop",
        "source_url": "https://example.org/pledge",
        **overrides,
    }


def portal_json(client: TestClient) -> dict[str, Any]:
    response = client.get("/portal?format=json")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_pledger_drafts_saves_and_submits_through_the_form(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    page = client.get("/portal/pledges/new")
    assert page.status_code == 200
    assert "Save draft" in page.text and "Submit for review" in page.text and "Time-bound" in page.text
    assert 'value="Ministère du Numérique"' not in page.text and "Ministère du Numérique" in page.text

    data = {**pledge_form(org), "action": "draft", "csrf_token": form_token(client)}
    created = client.post("/portal/pledges/new", data=data, follow_redirects=False)
    assert created.status_code == 303, created.text
    ref = created.headers["location"].split("saved=")[1]
    listed = portal_json(client)["pledges"]
    assert [(p["reference"], p["review_state"]) for p in listed] == [(ref, "draft")]
    pledge = pledge_state(engine, ref)
    assert pledge.title == data["title"] and pledge.value_usd == 2_000_000 and pledge.sdgs == [4, 9]
    assert sorted(pledge.beneficiary_groups) == ["women", "youth"]

    edit = client.get(f"/portal/pledges/{ref}/edit")
    assert edit.status_code == 200 and 'name="version" value="1"' in edit.text and data["title"] in edit.text
    lldc = reference.group_members("LLDC", dt.date.today())
    changed = {
        **data,
        "title": "Former 12 000 jeunes",
        "add_countries": ["group:LLDC"],
        "version": "1",
        "action": "submit",
    }
    saved = client.post(f"/portal/pledges/{ref}/edit", data=changed, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    pledge = pledge_state(engine, ref)
    assert pledge.review_state == "submitted" and pledge.title == "Former 12 000 jeunes" and pledge.version == 2
    assert {c.country for c in pledge.countries} == {"SEN", *lldc}
    assert portal_json(client)["pledges"][0]["review_state"] == "submitted"


def test_validation_errors_are_shown_by_field_with_the_values_kept(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    bad = pledge_form(
        org, title="", focus_areas=[], value="deux millions", end_year="2020", description="Kept description"
    )
    response = client.post("/portal/pledges/new", data={**bad, "action": "submit", "csrf_token": form_token(client)})
    assert response.status_code == 422
    page = response.text
    assert "The pledge was not saved" in page
    assert 'id="title-error"' in page and 'id="focus_areas-error"' in page and 'id="value-error"' in page
    assert "Enter a number in digits for “Value”" in page and "Title is required." in page
    assert 'value="deux millions"' in page and "Kept description" in page and 'value="WTDC-25"' in page
    assert re.search(r'name="target_countries" value="SEN"[^>]* checked', page)
    assert 'value="digital_skills" checked' in page
    twin = client.post(
        "/portal/pledges/new?format=json", data={**bad, "action": "submit", "csrf_token": form_token(client)}
    )
    assert twin.status_code == 422 and set(twin.json()["errors"]) >= {"title", "focus_areas", "value"}

    wrong_years = pledge_form(org, start_year="2027", end_year="2025")
    response = client.post("/portal/pledges/new", data={**wrong_years, "csrf_token": form_token(client)})
    assert response.status_code == 422 and "End year (2025) is before the start year (2027)." in response.text
    with transaction(engine) as session:
        assert session.scalars(select(Pledge)).first() is None


def test_a_stale_version_is_refused_and_nothing_is_overwritten(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    ref = make_pledge(engine, org)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    opened = client.get(f"/portal/pledges/{ref}/edit")
    assert 'name="version" value="1"' in opened.text
    with transaction(engine) as session:  # someone else saves meanwhile
        service.update_pledge(session, ref, 1, {"title": "Connect 300 rural schools"}, "colleague@example.org")

    mine = {
        **pledge_form(org, title="My own title"),
        "version": "1",
        "action": "draft",
        "csrf_token": form_token(client),
    }
    response = client.post(f"/portal/pledges/{ref}/edit", data=mine)
    assert response.status_code == 409
    assert "This pledge changed since you opened it" in response.text and "Nothing was overwritten" in response.text
    assert 'value="Connect 300 rural schools"' in response.text and 'name="version" value="2"' in response.text
    assert "My own title" in response.text  # listed as not saved, to apply again
    pledge = pledge_state(engine, ref)
    assert pledge.title == "Connect 300 rural schools" and pledge.version == 2


def test_personal_api_token_is_shown_once(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    ref = make_pledge(engine, org)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    created = client.post("/portal/tokens", data={"name": "Our CRM", "csrf_token": form_token(client)})
    assert created.status_code == 200 and "it will not be shown again" in created.text
    found = re.search(r"obs_[\w-]+", created.text)
    assert found
    token = found.group(0)

    later = client.get("/portal")
    assert "Our CRM" in later.text and token not in later.text
    tokens = portal_json(client)["tokens"]
    assert [t["name"] for t in tokens] == ["Our CRM"] and "token" not in tokens[0]

    api = TestClient(client.app)
    auth = {"authorization": f"Bearer {token}"}
    assert api.get(f"/api/v1/pledges/{ref}", headers=auth).status_code == 200  # its draft, with the owner's rights
    revoked = client.post(
        f"/portal/tokens/{tokens[0]['id']}/revoke", data={"csrf_token": form_token(client)}, follow_redirects=False
    )
    assert revoked.status_code == 303 and portal_json(client)["tokens"] == []
    assert api.get(f"/api/v1/pledges/{ref}", headers=auth).status_code == 401
