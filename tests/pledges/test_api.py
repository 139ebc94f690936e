"""The JSON API on SQLite and PostgreSQL: reads, writes, versions, errors and who may do what."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from observatory.auth import PERMISSIONS, Action, Principal, Role, can
from tests.conftest import AUTH

NEW: dict[str, Any] = {
    "pledger": {"name": "Ministère du Numérique", "stakeholder_type": "government", "country": "SEN"},
    "title": "Former 10 000 jeunes aux métiers du numérique",
    "focus_areas": ["adoption"],
    "pillars": ["digital_skills"],
    "target_countries": ["SEN"],
    "value": 2_000_000,
    "currency": "USD",
    "announced_on": "2025-03-04",
    "review_state": "published",
}


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/pledges", json={**NEW, **overrides}, headers=AUTH)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_read_update_withdraw(client: TestClient) -> None:
    created = create(client)
    ref = created["reference"]
    assert ref == "P2C-2025-00001" and created["version"] == 1 and created["reporting_health"] == "red"
    got = client.get(f"/api/v1/pledges/{ref}").json()
    assert got["title"] == NEW["title"] and got["pledger"]["country"] == "SEN" and got["reports"] == []

    changed = client.patch(f"/api/v1/pledges/{ref}", json={"version": 1, "changes": {"value": 2_500_000}}, headers=AUTH)
    assert changed.status_code == 200 and changed.json()["version"] == 2 and changed.json()["value_usd"] == 2_500_000

    stale = client.patch(f"/api/v1/pledges/{ref}", json={"version": 1, "changes": {"value": 1}}, headers=AUTH)
    assert stale.status_code == 409 and "changed since version 1" in stale.json()["detail"]
    assert client.get(f"/api/v1/pledges/{ref}").json()["value"] == 2_500_000

    gone = client.post(f"/api/v1/pledges/{ref}/withdraw", json={"version": 2, "reason": "merged"}, headers=AUTH)
    assert gone.status_code == 200 and gone.json()["review_state"] == "withdrawn"
    assert client.get(f"/api/v1/pledges/{ref}").status_code == 404  # the public no longer sees it
    assert client.get(f"/api/v1/pledges/{ref}", headers=AUTH).json()["review_state"] == "withdrawn"
    history = client.get(f"/api/v1/pledges/{ref}/history", headers=AUTH).json()
    assert [h["action"] for h in history] == ["create", "update", "update"]
    assert history[1]["before"]["value"] == 2_000_000 and history[1]["after"]["value"] == 2_500_000


def test_validation_errors_are_422_with_reasons(client: TestClient) -> None:
    bad = client.post("/api/v1/pledges", json={**NEW, "target_countries": ["XXX"]}, headers=AUTH)
    assert bad.status_code == 422 and "unknown country code 'XXX'" in bad.text
    bad = client.post("/api/v1/pledges", json={**NEW, "start_year": 2030, "end_year": 2025}, headers=AUTH)
    assert bad.status_code == 422 and "End year (2025) is before the start year (2030)." in bad.text


def test_list_filters_search_pages_and_csv(client: TestClient) -> None:
    for n in range(5):
        create(client, title=f"Fibre link {n}", focus_areas=["access"], pillars=[], target_countries=["MWI"])
    create(client)
    page = client.get("/api/v1/pledges", params={"focus_area": "access", "per_page": 2, "page": 3, "sort": "title"})
    body = page.json()
    assert (body["total"], body["pages"], [i["title"] for i in body["items"]]) == (5, 3, ["Fibre link 4"])
    assert client.get("/api/v1/pledges", params={"q": "jeunes"}).json()["total"] == 1
    assert client.get("/api/v1/pledges", params={"country": ["MWI", "SEN"]}).json()["total"] == 6
    assert client.get("/api/v1/pledges", params={"sort": "bogus"}).status_code == 422
    exported = client.get("/api/v1/pledges", params={"format": "csv", "country": "MWI"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 5 and {r["target_countries"] for r in rows} == {"MWI"}


def test_summary_endpoint(client: TestClient) -> None:
    create(client, target_countries=["SEN", "MLI"])
    body = client.get("/api/v1/pledges/summary", params={"by": "country"}).json()
    assert body["by"] == "country"
    total = body["total"]
    assert (total["pledges"], total["organisations"], total["unconverted_pledges"]) == (1, 1, 0)
    assert total["value_usd"] == total["value_usd_attributed"] == 2_000_000
    assert total["reporting_pledges"] == 0 and total["committed_usd"] == total["disbursed_usd"] == 0
    assert {g["key"]: g["value_usd_attributed"] for g in body["groups"]} == {"SEN": 1_000_000, "MLI": 1_000_000}
    assert {g["value_usd"] for g in body["groups"]} == {2_000_000}  # the full value of the pledges in each group
    senegal = client.get("/api/v1/pledges/summary", params={"by": "country", "country": "SEN"}).json()
    assert senegal["total"]["value_usd_attributed"] == 1_000_000
    assert [g["key"] for g in senegal["groups"]] == ["SEN"]
    assert client.get("/api/v1/pledges/summary", params={"by": "colour"}).status_code == 422


def test_taxonomy(client: TestClient) -> None:
    assert [f["code"] for f in client.get("/api/v1/taxonomy").json()] == [
        "access",
        "adoption",
        "value_creation",
        "acceleration",
    ]
    schema = client.get("/api/openapi.json").json()
    assert "/api/v1/pledges/summary" in schema["paths"]


def test_organisations(client: TestClient) -> None:
    create(client)
    orgs = client.get("/api/v1/organisations").json()
    assert [(o["name"], o["pledges"]) for o in orgs] == [("Ministère du Numérique", 1)]
    same_name = {"name": "ministère du  numérique", "stakeholder_type": "government"}
    dup = client.post("/api/v1/organisations", json=same_name, headers=AUTH)
    assert dup.status_code == 409
    new = client.post(
        "/api/v1/organisations", json={"name": "用户组织", "stakeholder_type": "civil_society"}, headers=AUTH
    )
    assert new.status_code == 201
    assert client.get(f"/api/v1/organisations/{new.json()['id']}").json()["name"] == "用户组织"


# ------------------------------------------------------------------ permissions: roles × actions

EXPECTED = {
    Role.PUBLIC: {Action.READ_PUBLISHED},
    Role.PLEDGER: {
        Action.READ_PUBLISHED,
        Action.READ_UNPUBLISHED,
        Action.CREATE_PLEDGE,
        Action.UPDATE_PLEDGE,
        Action.WITHDRAW_PLEDGE,
        Action.FILE_REPORT,
        Action.MANAGE_DELIVERABLES,
        Action.SUBMIT_PRACTICE,
    },
    Role.SECRETARIAT: set(Action) - {Action.MANAGE_USERS},
    Role.ADMIN: set(Action),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_permission_matrix(role: Role, action: Action) -> None:
    assert can(Principal("x", role), action) is (action in EXPECTED[role])
    assert PERMISSIONS[role] == frozenset(EXPECTED[role])


@pytest.mark.parametrize(
    ("action", "organisation", "state", "allowed"),
    [
        (Action.UPDATE_PLEDGE, 1, "draft", True),
        (Action.UPDATE_PLEDGE, 1, "submitted", True),
        (Action.UPDATE_PLEDGE, 1, "published", False),  # published: the secretariat decides
        (Action.UPDATE_PLEDGE, 2, "draft", False),  # another organisation's pledge
        (Action.FILE_REPORT, 1, "published", True),
        (Action.FILE_REPORT, 2, "published", False),
        (Action.READ_UNPUBLISHED, 2, "draft", False),
        (Action.CREATE_PLEDGE, 2, None, False),
        (Action.REVIEW_PLEDGE, 1, "submitted", False),
        (Action.MANAGE_DELIVERABLES, 1, "published", True),
        (Action.MANAGE_DELIVERABLES, 2, "published", False),
        (Action.REVIEW_REPORT, 1, "published", False),  # a pledger does not publish its own reports
    ],
)
def test_pledgers_act_for_their_own_organisations(
    action: Action, organisation: int, state: str | None, allowed: bool
) -> None:
    pledger = Principal("p", Role.PLEDGER, 7, frozenset({1}))
    assert can(pledger, action, organisation, state) is allowed
    assert can(Principal("s", Role.SECRETARIAT), action, organisation, state)


WRITES = [
    ("post", "/api/v1/pledges", NEW),
    ("patch", "/api/v1/pledges/{ref}", {"version": 1, "changes": {"title": "x"}}),
    ("post", "/api/v1/pledges/{ref}/withdraw", {"version": 1}),
    ("post", "/api/v1/pledges/{ref}/reports", {"year": 2025, "status": "planned"}),
    ("post", "/api/v1/organisations", {"name": "New org", "stakeholder_type": "academia"}),
]


@pytest.mark.parametrize(("method", "path", "payload"), WRITES)
@pytest.mark.parametrize("credentials", ["none", "wrong", "token"])
def test_writes_need_the_token(
    client: TestClient, method: str, path: str, payload: dict[str, Any], credentials: str
) -> None:
    ref = create(client)["reference"]
    headers = {"none": {}, "wrong": {"authorization": "Bearer nope"}, "token": AUTH}[credentials]
    response = client.request(method, path.format(ref=ref), json=payload, headers=headers)
    if credentials == "token":
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == 401


def test_public_cannot_see_unpublished(client: TestClient) -> None:
    ref = create(client, review_state="draft")["reference"]
    assert client.get(f"/api/v1/pledges/{ref}").status_code == 404
    assert client.get("/api/v1/pledges").json()["total"] == 0
    assert client.get("/api/v1/pledges", params={"review_state": "draft"}).status_code == 401
    assert client.get("/api/v1/pledges", params={"review_state": "draft"}, headers=AUTH).json()["total"] == 1
