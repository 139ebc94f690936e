"""The library's pages, on SQLite and PostgreSQL: submitting in the portal, the secretariat's review, the
public pages with their filters, JSON twins, CSV and API — and the contact never shown publicly."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from observatory.db import transaction
from observatory.practices import service
from tests.conftest import AUTH
from tests.pledges.test_portal import make_organisation, make_pledge
from tests.practices.helpers import make_case
from tests.web.conftest import csrf, sign_in

PLEDGER = "pledger@numerique.example"
CONTACT = "awa.diop@numerique.example"


def case_form(org: int, **overrides: str | list[str]) -> dict[str, str | list[str]]:
    return {
        "organisation": str(org),
        "title": "Réseaux communautaires en Casamance",
        "language": "fr",
        "country": "SEN",
        "focus_areas": ["access"],
        "pillars": ["infrastructure"],
        "year": "2021",
        "what_was_done": "Des villages ont construit leurs propres réseaux Wi-Fi.",
        "results": "Douze villages connectés.",
        "result_figures": "Villages connectés | 12 | villages | 2023",
        "lessons": "La gestion locale fait durer les réseaux.",
        "pledges": "",
        "contact_name": "Awa Diop",
        "contact_email": CONTACT,
        "licence": "cc_by_sa_4",
        "source_urls": "https://www.itu.int/",
        **overrides,
    }


def test_submit_in_the_portal_review_publish_and_read(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    pledge = make_pledge(engine, org, review_state="published")
    sign_in(client, engine, PLEDGER, "pledger", [org])
    assert client.get("/portal/practices/new").status_code == 200
    token = csrf(client, "/portal/practices/new")
    form = {**case_form(org, pledges=pledge), "action": "submit", "csrf_token": token}
    response = client.post("/portal/practices/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    with transaction(engine) as session:
        (p,) = service.practices_of(session, [org])
        ref, state = p.reference, p.review_state
    assert state == "submitted"
    assert client.get(f"/practices/{ref}").status_code == 200  # its submitter sees it
    assert "/portal/practices/" + ref in client.get("/portal/practices").text

    client.post("/account/logout", data={"csrf_token": token})
    assert client.get(f"/practices/{ref}").status_code == 404  # not published: nobody else sees it
    sign_in(client, engine, "review@itu.example", "secretariat")
    page = client.get("/secretariat/practices")
    assert ref in page.text
    review = client.get(f"/secretariat/practices/{ref}")
    assert CONTACT in review.text  # the secretariat sees the contact
    token = csrf(client, f"/secretariat/practices/{ref}")
    assert client.post(f"/secretariat/practices/{ref}/publish", data={"version": "1", "csrf_token": token},
                       follow_redirects=False).status_code == 303  # fmt: skip
    spot = {"version": "2", "year": "2025", "spotlight": "add", "csrf_token": token}
    assert client.post(f"/secretariat/practices/{ref}/spotlight", data=spot, follow_redirects=False).status_code == 303
    client.post("/account/logout", data={"csrf_token": token})

    public = client.get(f"/practices/{ref}")
    assert public.status_code == 200
    assert "Réseaux communautaires en Casamance" in public.text and f'href="/pledges/{pledge}"' in public.text
    assert "CC BY-SA 4.0" in public.text and "Spotlight" in public.text
    assert f'href="/practices/{ref}"' in client.get(f"/pledges/{pledge}").text  # the pledge's page links back
    twin = client.get(f"/practices/{ref}?format=json").json()
    assert (
        twin["reference"] == ref
        and twin["spotlight_years"] == [2025]
        and twin["linked_pledges"][0]["reference"] == pledge
    )
    api = client.get(f"/api/v1/practices/{ref}").json()
    assert api["result_figures"] == [{"label": "Villages connectés", "value": 12.0, "unit": "villages", "year": 2023}]
    for body in (public.text, str(twin), str(api), client.get("/practices?format=csv").text,
                 client.get("/api/v1/practices?format=csv").text, client.get("/practices?format=json").text,
                 str(client.get("/api/v1/practices").json())):  # fmt: skip
        assert CONTACT not in body and "Awa Diop" not in body


def test_bad_input_is_refused_in_the_readers_language(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    token = csrf(client, "/portal/practices/new")
    form = {**case_form(org, title="", focus_areas=[], contact_email="awa", pledges="P2C-2020-99999",
                        result_figures="Villages | douze"), "action": "submit", "csrf_token": token}  # fmt: skip
    response = client.post("/portal/practices/new?lang=fr", data=form, cookies={"obs_lang": "fr"})
    assert response.status_code == 422
    text = response.text
    assert "Rien n’a été enregistré" in text and "choisissez-en au moins un." in text  # in French
    for field in ("title", "focus_areas", "contact_email", "result_figures"):
        assert f'id="{field}-error"' in text
    english = client.post("/portal/practices/new", data={**form, "title": "Fine"}, cookies={"obs_lang": "en"})
    assert "no pledge has the reference “P2C-2020-99999”" in english.text
    assert "Contact e-mail address: “awa” is not an e-mail address." in english.text
    with transaction(engine) as session:
        assert service.practices_of(session, [org]) == []


def test_a_pledger_cannot_edit_another_organisations_case_nor_publish(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    other = make_organisation(engine, "Autorité de régulation", "CIV")
    ref = make_case(engine, other)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    token = csrf(client, "/portal/practices/new")
    assert client.get(f"/portal/practices/{ref}/edit").status_code == 403
    assert client.get(f"/secretariat/practices/{ref}").status_code == 403
    refused = client.post(f"/secretariat/practices/{ref}/publish", data={"version": "1", "csrf_token": token})
    assert refused.status_code == 403
    form = {**case_form(other), "action": "submit", "csrf_token": token}
    assert client.post("/portal/practices/new", data=form).status_code == 403  # not one of its organisations
    with transaction(engine) as session:
        assert service.get_practice(session, ref).review_state == "submitted"
        assert service.practices_of(session, [other])[0].reference == ref


def test_filters_json_twin_and_api(client: TestClient, engine: Engine) -> None:
    make_case(engine, None, "published")
    make_case(engine, None, "published", title="Giga in Kenya", country="KEN", focus_areas=["adoption"], pillars=[])
    make_case(engine, None)  # a draft: in no list
    page = client.get("/practices?region=africa&focus_area=adoption")
    assert page.status_code == 200 and "Giga in Kenya" in page.text and "Casamance" not in page.text
    assert "Kenya" in page.text and ">KEN<" not in page.text  # countries by name, not by code
    twin = client.get("/practices?country=SEN&format=json").json()
    assert [i["title"] for i in twin["items"]] == ["Community networks in the Casamance"] and twin["total"] == 1
    assert twin["filter"] == {"country": "SEN"}
    api = client.get("/api/v1/practices", params={"q": "giga"}, headers=AUTH).json()
    assert [i["title"] for i in api["items"]] == ["Giga in Kenya"]
    assert client.get("/api/v1/practices", params={"country": "XXX"}).status_code == 422
    rows = list(csv.DictReader(io.StringIO(client.get("/practices?format=csv").text)))
    assert {r["title"] for r in rows} == {"Community networks in the Casamance", "Giga in Kenya"}
    assert "contact_email" not in rows[0] and rows[0]["licence"] == "cc_by_4"
    assert "Afrique" in client.get("/practices?lang=fr").text  # the filters' names in the reader's language


def test_the_secretariat_corrects_a_curated_case_and_a_stale_form_overwrites_nothing(
    client: TestClient, engine: Engine
) -> None:
    ref = make_case(engine, None, "published")  # on behalf of the country: drafted, submitted, published (version 3)
    sign_in(client, engine, "review@itu.example", "secretariat")
    form = client.get(f"/portal/practices/{ref}/edit")
    assert form.status_code == 200 and "Save the correction" in form.text
    token = csrf(client, f"/portal/practices/{ref}/edit")
    values = {**case_form(0, organisation="", title="Corrected title"), "csrf_token": token, "action": "save"}
    assert client.post(f"/portal/practices/{ref}/edit", data={**values, "version": "3"},
                       follow_redirects=False).status_code == 303  # fmt: skip
    stale = client.post(f"/portal/practices/{ref}/edit", data={**values, "title": "Older", "version": "3"})
    assert stale.status_code == 409 and "Nothing was overwritten" in stale.text
    with transaction(engine) as session:
        p = service.get_practice(session, ref)
        assert (p.title, p.review_state, p.organisation_id, p.version) == ("Corrected title", "published", None, 4)
