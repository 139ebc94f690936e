"""The secretariat's organisation pages and API, on SQLite and PostgreSQL: correcting an organisation and
merging two through the forms and ``/api/v1/organisations``, with their bad input (an unknown type, a stale
edit, a name already taken, a merge into itself, a pledger, no CSRF token); the upload preview's new
organisations and the warning for a value without USD, there and on the review screen."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from observatory.accounts import service as accounts
from observatory.db import transaction
from observatory.pledges import service
from observatory.pledges.models import Organisation, Pledge
from observatory.pledges.schemas import OrganisationIn
from tests.conftest import AUTH
from tests.pledges.test_portal import make_pledge
from tests.web.conftest import csrf, sign_in

SECRETARIAT = "review@itu.example"


def make(engine: Engine, name: str, kind: str = "government", country: str | None = "SEN") -> int:
    with transaction(engine) as session:
        data = OrganisationIn(name=name, stakeholder_type=kind, country=country)
        return service.upsert_organisation(session, data, "tests").id


def current(engine: Engine, org: int) -> dict[str, Any]:
    with transaction(engine) as session:
        o = session.get(Organisation, org)
        return service.organisation_record(o) if o else {}


def edit_form(client: TestClient, org: int) -> dict[str, str]:
    """The edit form's fields as the page fills them."""
    page = client.get(f"/secretariat/organisations/{org}/edit?format=json")
    assert page.status_code == 200, page.text
    return {**page.json()["values"], "csrf_token": csrf(client, f"/secretariat/organisations/{org}/edit")}


def test_the_secretariat_corrects_an_organisation(client: TestClient, engine: Engine) -> None:
    org = make(engine, "ITU", "civil_society", None)
    sign_in(client, engine, SECRETARIAT, "secretariat")
    listed = client.get("/secretariat/organisations")
    assert f'href="/secretariat/organisations/{org}/edit"' in listed.text
    form = edit_form(client, org)
    form.update(name="International Telecommunication Union (ITU)", other_names="ITU\nUIT\n\n",
                stakeholder_type="un_entity", itu_membership="not_applicable")  # fmt: skip
    saved = client.post(f"/secretariat/organisations/{org}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=1")
    record = current(engine, org)
    assert (record["name"], record["other_names"], record["stakeholder_type"], record["itu_membership"]) == (
        "International Telecommunication Union (ITU)", ["ITU", "UIT"], "un_entity", "not_applicable"
    )  # fmt: skip
    assert "UIT" in client.get("/secretariat/organisations?q=uit").text  # found under an other name
    page = client.get(f"/secretariat/organisations/{org}/edit?saved=1")
    assert "Not applicable (ITU itself)" in page.text and "The organisation was saved." in page.text


def test_bad_edits_say_what_is_wrong_and_save_nothing(client: TestClient, engine: Engine) -> None:
    org = make(engine, "Agence du numérique")
    other = make(engine, "Autorité de régulation", country="CIV")
    sign_in(client, engine, SECRETARIAT, "secretariat")
    before = current(engine, org)
    path = f"/secretariat/organisations/{org}/edit"
    form = edit_form(client, org)

    bad = client.post(path, data={**form, "name": " ", "stakeholder_type": "alien", "country": "XXX"})
    assert bad.status_code == 422
    errors = client.post(
        f"{path}?format=json", data={**form, "name": " ", "stakeholder_type": "alien", "country": "XXX"}
    )
    assert set(errors.json()["errors"]) == {"name", "stakeholder_type", "country"}  # all at once
    assert "Type of stakeholder" in bad.text and "Nothing was saved" in bad.text

    taken = client.post(path, data={**form, "other_names": "autorité  de RÉGULATION"})
    assert taken.status_code == 409
    assert "is already a name of Autorité de régulation" in taken.text
    assert f'href="/secretariat/organisations/{other}/merge?merged={org}"' in taken.text  # the offer to merge

    assert client.post(path, data={**form, "country": "GMB"}, follow_redirects=False).status_code == 303
    stale = client.post(path, data={**form, "country": "MLI"})  # the form read before that change
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    assert current(engine, org) == {**before, "country": "GMB", "fingerprint": current(engine, org)["fingerprint"]}

    no_token = {k: v for k, v in form.items() if k != "csrf_token"}
    assert client.post(path, data={**no_token, "country": "MLI"}).status_code == 403
    assert current(engine, org)["country"] == "GMB"


def test_the_secretariat_merges_two_organisations_after_seeing_what_moves(client: TestClient, engine: Engine) -> None:
    kept = make(engine, "Vodafone Group", "private_sector", "GBR")
    merged = make(engine, "Vodafone", "civil_society", "GBR")
    make_pledge(engine, merged, review_state="published", title="Four LDCs")
    with transaction(engine) as session:
        accounts.create_user(session, "pledger@vodafone.example", "pledger", [merged])
    sign_in(client, engine, SECRETARIAT, "secretariat")
    path = f"/secretariat/organisations/{kept}/merge"

    search = client.get(f"{path}?q=vodafone")
    assert f'href="{path}?merged={merged}"' in search.text and f'?merged={kept}"' not in search.text
    confirm = client.get(f"{path}?merged={merged}&format=json").json()
    assert confirm["moves"] == {"pledges_moved": 1, "partnerships_moved": 0, "partnerships_dropped": 0,
                                "pledgers_moved": 1, "names_added": ["Vodafone"]}  # fmt: skip
    page = client.get(f"{path}?merged={merged}")
    assert f'href="/secretariat/organisations/{merged}/merge?merged={kept}"' in page.text  # keep the other one
    fingerprints = re.findall(r'name="(?:merged_)?fingerprint" value="([0-9a-f]+)"', page.text)
    token = csrf(client, f"{path}?merged={merged}")

    itself = client.post(path, data={"merged": str(kept), "csrf_token": token})
    assert itself.status_code == 422 and "cannot be merged into itself" in itself.text
    assert client.get(f"{path}?merged={kept}").status_code == 422
    data = {"merged": str(merged), "fingerprint": fingerprints[0], "merged_fingerprint": fingerprints[1]}
    assert client.post(path, data=data).status_code == 403  # no CSRF token
    done = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert current(engine, merged) == {} and current(engine, kept)["other_names"] == ["Vodafone"]
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Pledge).where(Pledge.pledger_id == kept)) == 1
    assert "“Vodafone” was merged" in client.get(done.headers["location"]).text


def test_a_pledger_may_neither_correct_nor_merge(client: TestClient, engine: Engine) -> None:
    org = make(engine, "Ministère du Numérique")
    spare = make(engine, "Ministère du numérique (doublon)")
    sign_in(client, engine, "pledger@numerique.example", "pledger", [org])
    token = csrf(client, "/portal")
    edit = {"name": "Renamed", "stakeholder_type": "government", "itu_membership": "none",
            "fingerprint": current(engine, org)["fingerprint"], "csrf_token": token}  # fmt: skip
    assert client.post(f"/secretariat/organisations/{org}/edit", data=edit).status_code == 403
    assert client.get(f"/secretariat/organisations/{org}/edit").status_code == 403
    assert (
        client.post(
            f"/secretariat/organisations/{org}/merge", data={"merged": str(spare), "csrf_token": token}
        ).status_code
        == 403
    )
    assert current(engine, org)["name"] == "Ministère du Numérique" and current(engine, spare)


def test_the_api_corrects_and_merges(client: TestClient, engine: Engine) -> None:
    org = make(engine, "GIZ", "civil_society", None)
    dup = make(engine, "Deutsche Gesellschaft für Internationale Zusammenarbeit", "civil_society", "DEU")
    got = client.get(f"/api/v1/organisations/{org}").json()
    assert got["other_names"] == [] and re.fullmatch(r"[0-9a-f]{16}", got["fingerprint"])
    url = f"/api/v1/organisations/{org}"
    changed = client.patch(url, json={"fingerprint": got["fingerprint"], "stakeholder_type": "government",
                                      "country": "DEU", "itu_membership": "sector_member"}, headers=AUTH)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert (changed.json()["stakeholder_type"], changed.json()["country"]) == ("government", "DEU")
    stale = client.patch(url, json={"fingerprint": got["fingerprint"], "country": None}, headers=AUTH)
    assert stale.status_code == 409
    fresh = changed.json()["fingerprint"]
    taken = client.patch(
        url,
        json={"fingerprint": fresh, "other_names": ["deutsche gesellschaft für internationale zusammenarbeit"]},
        headers=AUTH,
    )
    assert taken.status_code == 409 and "merge" in taken.json()["detail"]
    unknown = client.patch(url, json={"fingerprint": fresh, "stakeholder_type": "alien"}, headers=AUTH)
    assert unknown.status_code == 422
    assert client.patch(url, json={"fingerprint": fresh, "country": None}).status_code == 401
    assert client.post(f"{url}/merge", json={"merged": org}, headers=AUTH).status_code == 422  # into itself
    merged = client.post(
        f"{url}/merge", json={"merged": dup, "merged_fingerprint": current(engine, dup)["fingerprint"]}, headers=AUTH
    )
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["organisation"]["other_names"] == ["Deutsche Gesellschaft für Internationale Zusammenarbeit"]
    assert body["merged"]["id"] == dup and body["pledges_moved"] == 0
    assert client.get(f"/api/v1/organisations/{dup}").status_code == 404
    assert client.post(f"{url}/merge", json={"merged": dup}, headers=AUTH).status_code == 404


def test_a_pledger_token_may_not_use_the_organisation_api(client: TestClient, engine: Engine) -> None:
    org = make(engine, "Ministère du Numérique")
    spare = make(engine, "Doublon")
    with transaction(engine) as session:
        user = accounts.create_user(session, "pledger@numerique.example", "pledger", [org])
        token = accounts.create_api_token(session, user, "script")
    headers = {"authorization": f"Bearer {token}"}
    fingerprint = current(engine, org)["fingerprint"]
    assert (
        client.patch(
            f"/api/v1/organisations/{org}", json={"fingerprint": fingerprint, "name": "X"}, headers=headers
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/organisations/{org}/merge", json={"merged": spare}, headers=headers).status_code == 403
    assert current(engine, spare) and current(engine, org)["name"] == "Ministère du Numérique"


def test_the_preview_lists_new_organisations_and_values_without_usd(client: TestClient, engine: Engine) -> None:
    make(engine, "Ministère du Numérique")
    sign_in(client, engine, SECRETARIAT, "secretariat")
    content = (
        "pledger,pledger_type,pledger_country,title,focus_areas,partners,value,currency,announced_on\n"
        "Ministere du Numerique,government,SEN,Connect schools,access,GIZ,100,USD,2024-02-01\n"
        "Acme Telecom,private_sector,KEN,Rural towers,access,,5000,EUR,2031-03-01\n"
    )
    files = {"file": ("pledges.csv", content.encode(), "text/csv")}
    preview = client.post("/secretariat/import", data={"csrf_token": csrf(client, "/secretariat/import")}, files=files)
    assert preview.status_code == 200, preview.text
    assert "Organisations this file would register" in preview.text
    assert "Typo? Ministère du Numérique" in preview.text and "Acme Telecom" in preview.text
    assert "Values with no USD value" in preview.text and "Rural towers" in preview.text
    upload = re.search(r'name="upload" value="([0-9a-f]+)"', preview.text)
    assert upload
    twin = client.get(f"/secretariat/import/{upload.group(1)}?format=json").json()
    assert [o["name"] for o in twin["new_organisations"]] == ["Ministere du Numerique", "GIZ", "Acme Telecom"]
    assert twin["without_usd"][0]["line"] == 3 and twin["without_usd_count"] == 1
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Organisation)) == 1  # nothing created yet


def test_the_review_screen_warns_of_a_value_without_usd(client: TestClient, engine: Engine) -> None:
    org = make(engine, "Ministère du Numérique")
    ref = make_pledge(engine, org, review_state="submitted", value=5000, currency="EUR", announced_on="2031-03-01")
    dollars = make_pledge(engine, org, review_state="submitted", title="In dollars", value=5000, currency="USD")
    sign_in(client, engine, SECRETARIAT, "secretariat")
    page = client.get(f"/secretariat/pledges/{ref}")
    assert "This pledge has no value in USD." in page.text and "no exchange rate for EUR in 2031" in page.text
    assert client.get(f"/secretariat/pledges/{ref}?format=json").json()["without_usd"] == {
        "currency": "EUR",
        "year": 2031,
    }
    assert "no value in USD" not in client.get(f"/secretariat/pledges/{dollars}").text
