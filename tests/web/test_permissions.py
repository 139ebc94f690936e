"""Who may do what on the signed-in pages, on SQLite and PostgreSQL: every state-changing route of the
portal, the secretariat's workspace and user administration (and signing out), for each kind of visitor,
with the expected answer written out; CSRF; other organisations' drafts stay out of sight."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from observatory.accounts import service as accounts
from observatory.accounts.models import ApiToken, User
from observatory.config import Settings
from observatory.db import transaction
from observatory.pledges import reports, service
from observatory.pledges.models import Organisation
from observatory.pledges.schemas import DeliverableIn, OrganisationIn, ProgressReportIn
from tests.activities.helpers import activity_form, make_activity
from tests.pledges.test_portal import make_organisation, make_pledge, pledge_form, portal_json
from tests.practices.helpers import make_case, unchecked_case
from tests.practices.test_pages import case_form
from tests.web.conftest import csrf, sign_in

ROLES = ["anonymous", "pledger", "other pledger", "secretariat", "admin"]
SIGN_IN = "sign in"  # a redirection to the sign-in page
SEE_OTHER = 303
OK = 200
NO = 403

# route: what anonymous, a pledger of the pledge's organisation, a pledger of another organisation,
# the secretariat and an administrator get.
MATRIX: dict[str, tuple[Any, ...]] = {
    "/portal/pledges/new":                       (SIGN_IN, SEE_OTHER, NO, SEE_OTHER, SEE_OTHER),
    "/portal/pledges/{ref}/edit":                (SIGN_IN, SEE_OTHER, NO, SEE_OTHER, SEE_OTHER),
    "/portal/pledges/{ref}/submit":              (SIGN_IN, SEE_OTHER, NO, SEE_OTHER, SEE_OTHER),
    "/portal/pledges/{ref}/report":              (SIGN_IN, SEE_OTHER, NO, SEE_OTHER, SEE_OTHER),
    "/portal/pledges/{ref}/reports/{year}":      (SIGN_IN, SEE_OTHER, NO, SEE_OTHER, SEE_OTHER),
    "/portal/pledges/{ref}/deliverables":        (SIGN_IN, SEE_OTHER, NO, SEE_OTHER, SEE_OTHER),
    "/portal/pledges/{ref}/deliverables/{deliverable_id}": (SIGN_IN, SEE_OTHER, NO, SEE_OTHER, SEE_OTHER),
    "/portal/pledges/{ref}/deliverables/{deliverable_id}/remove": (SIGN_IN, SEE_OTHER, NO, SEE_OTHER, SEE_OTHER),
    "/portal/tokens":                            (SIGN_IN, OK, OK, OK, OK),
    "/portal/tokens/{token_id}/revoke":          (SIGN_IN, SEE_OTHER, SEE_OTHER, SEE_OTHER, SEE_OTHER),
    "/secretariat/pledges/{ref}/publish":        (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/pledges/{ref}/reject":         (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/pledges/{ref}/changes":        (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/pledges/{ref}/reports/{year}/publish": (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/pledges/{ref}/reports/{year}/return": (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/pledges/{ref}/remind":         (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/import":                       (SIGN_IN, NO, NO, OK, OK),
    "/secretariat/import/commit":                (SIGN_IN, NO, NO, OK, OK),
    "/secretariat/import/cancel":                (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/organisations":                (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/organisations/invite":         (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/organisations/{org_id}/edit":  (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/organisations/{org_id}/merge": (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/activities/new":               (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/activities/{ref}":             (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/activities/{ref}/check":       (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/activities/{ref}/withdraw":    (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/activities/import":            (SIGN_IN, NO, NO, 422, 422),  # no file sent: refused, saying why
    "/admin/users/invite":                       (SIGN_IN, NO, NO, NO, SEE_OTHER),
    "/admin/users/{user_id}/role":               (SIGN_IN, NO, NO, NO, SEE_OTHER),
    "/admin/users/{user_id}/deactivate":         (SIGN_IN, NO, NO, NO, SEE_OTHER),
    "/admin/users/{user_id}/reactivate":         (SIGN_IN, NO, NO, NO, SEE_OTHER),
    "/portal/practices/new":                     (SIGN_IN, SEE_OTHER, NO, SEE_OTHER, SEE_OTHER),
    "/portal/practices/{ref}/edit":              (SIGN_IN, SEE_OTHER, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/practices/{ref}/publish":      (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/practices/{ref}/return":       (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/practices/{ref}/spotlight":    (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/practices/{ref}/checked":      (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/reports/{kind}/{year}":        (SIGN_IN, NO, NO, SEE_OTHER, SEE_OTHER),
    "/secretariat/reports/builds":               (SIGN_IN, NO, NO, 422, 422),  # no year chosen: refused, saying why
    "/account/logout":                           (SEE_OTHER, SEE_OTHER, SEE_OTHER, SEE_OTHER, SEE_OTHER),
}  # fmt: skip

CSV = "pledger,pledger_type,title,focus_areas\nMinistère du Numérique,government,Connect 50 health centres,access\n"


@dataclass
class World:
    """What the routes act on, made afresh for each request so that an allowed one can succeed."""

    client: TestClient
    engine: Engine
    settings: Settings
    org: int
    email: str | None

    def pledge(self, state: str) -> str:
        return make_pledge(self.engine, self.org, review_state=state)

    def reported(self) -> str:
        """A published pledge with a submitted report for 2025 (version 1)."""
        ref = self.pledge("published")
        with transaction(self.engine) as session:
            reports.file_report(session, ref, ProgressReportIn(year=2025, status="in_progress"), "tests")
        return ref

    def deliverable(self) -> tuple[str, int]:
        """A published pledge with one deliverable (version 1)."""
        ref = self.pledge("published")
        with transaction(self.engine) as session:
            return ref, reports.add_deliverable(session, ref, DeliverableIn(title="Towers built"), "tests").id

    def with_pledger_account(self) -> str:
        """A published pledge whose organisation has a pledger account to remind."""
        with transaction(self.engine) as session:
            address = f"reminded-{secrets.token_hex(3)}@numerique.example"
            accounts.create_user(session, address, "pledger", [self.org])
        return self.pledge("published")

    def target_user(self, active: bool = True) -> int:
        with transaction(self.engine) as session:
            user = accounts.create_user(session, f"target-{secrets.token_hex(4)}@example.org", "pledger", [self.org])
            user.active = active
            return user.id

    def own_token(self) -> int:
        with transaction(self.engine) as session:
            owner = accounts.find_user(session, self.email or "target@example.org") or accounts.create_user(
                session, "target@example.org", "pledger"
            )
            accounts.create_api_token(session, owner, "script")
            return max(session.scalars(select(ApiToken.id).where(ApiToken.user_id == owner.id)))

    def fingerprint(self, org: int) -> str:
        with transaction(self.engine) as session:
            return str(service.organisation_record(session.get_one(Organisation, org))["fingerprint"])

    def spare_organisation(self) -> int:
        """An organisation of its own, for an allowed merge to delete."""
        with transaction(self.engine) as session:
            data = OrganisationIn(name=f"Office {secrets.token_hex(3)}", stakeholder_type="government")
            return service.upsert_organisation(session, data, "tests").id

    def upload(self) -> str:
        upload_id = secrets.token_hex(16)
        folder = self.settings.home / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{upload_id}.csv").write_text(CSV, encoding="utf-8")
        return upload_id


Request = Callable[[World], tuple[str, dict[str, Any]]]

REQUESTS: dict[str, Request] = {
    "/portal/pledges/new": lambda w: ("/portal/pledges/new", {**pledge_form(w.org), "action": "draft"}),
    "/portal/pledges/{ref}/edit": lambda w: (
        f"/portal/pledges/{w.pledge('draft')}/edit",
        {**pledge_form(w.org), "version": "1", "action": "submit"},
    ),
    "/portal/pledges/{ref}/submit": lambda w: (f"/portal/pledges/{w.pledge('draft')}/submit", {"version": "1"}),
    "/portal/pledges/{ref}/report": lambda w: (
        f"/portal/pledges/{w.pledge('published')}/report",
        {"year": "2025", "status": "in_progress", "percent_complete": "10", "narrative": "Started."},
    ),
    "/portal/pledges/{ref}/reports/{year}": lambda w: (
        f"/portal/pledges/{w.reported()}/reports/2025",
        {"status": "in_progress", "percent_complete": "20", "version": "1"},
    ),
    "/portal/pledges/{ref}/deliverables": lambda w: (
        f"/portal/pledges/{w.pledge('published')}/deliverables",
        {"title": "50 schools connected", "due_on": "2027-06-30", "status": "planned"},
    ),
    "/portal/pledges/{ref}/deliverables/{deliverable_id}": lambda w: (
        "/portal/pledges/{}/deliverables/{}".format(*w.deliverable()),
        {"title": "60 towers built", "status": "in_progress", "version": "1"},
    ),
    "/portal/pledges/{ref}/deliverables/{deliverable_id}/remove": lambda w: (
        "/portal/pledges/{}/deliverables/{}/remove".format(*w.deliverable()),
        {"version": "1"},
    ),
    "/portal/tokens": lambda w: ("/portal/tokens", {"name": "script"}),
    "/portal/tokens/{token_id}/revoke": lambda w: (f"/portal/tokens/{w.own_token()}/revoke", {}),
    "/secretariat/pledges/{ref}/publish": lambda w: (
        f"/secretariat/pledges/{w.pledge('submitted')}/publish",
        {"version": "1"},
    ),
    "/secretariat/pledges/{ref}/reject": lambda w: (
        f"/secretariat/pledges/{w.pledge('submitted')}/reject",
        {"version": "1", "note": "Not a connectivity pledge."},
    ),
    "/secretariat/pledges/{ref}/changes": lambda w: (
        f"/secretariat/pledges/{w.pledge('submitted')}/changes",
        {"version": "1", "note": "Add a target."},
    ),
    "/secretariat/pledges/{ref}/reports/{year}/publish": lambda w: (
        f"/secretariat/pledges/{w.reported()}/reports/2025/publish",
        {"version": "1"},
    ),
    "/secretariat/pledges/{ref}/reports/{year}/return": lambda w: (
        f"/secretariat/pledges/{w.reported()}/reports/2025/return",
        {"version": "1", "note": "Give the people reached."},
    ),
    "/secretariat/pledges/{ref}/remind": lambda w: (f"/secretariat/pledges/{w.with_pledger_account()}/remind", {}),
    "/secretariat/import": lambda w: ("/secretariat/import", {"review_state": "submitted"}),
    "/secretariat/import/commit": lambda w: (
        "/secretariat/import/commit",
        {"upload": w.upload(), "review_state": "submitted"},
    ),
    "/secretariat/import/cancel": lambda w: ("/secretariat/import/cancel", {"upload": w.upload()}),
    "/secretariat/organisations": lambda w: (
        "/secretariat/organisations",
        {"name": f"Office {secrets.token_hex(3)}", "stakeholder_type": "government", "itu_membership": "none"},
    ),
    "/secretariat/organisations/invite": lambda w: (
        "/secretariat/organisations/invite",
        {"organisation": str(w.org), "email": f"josé.{secrets.token_hex(3)}@exemple.fr"},
    ),
    "/secretariat/organisations/{org_id}/edit": lambda w: (
        f"/secretariat/organisations/{w.org}/edit",
        {
            "name": f"Ministère {secrets.token_hex(3)}",
            "stakeholder_type": "government",
            "itu_membership": "member_state",
            "country": "SEN",
            "other_names": "",
            "fingerprint": w.fingerprint(w.org),
        },
    ),
    "/secretariat/organisations/{org_id}/merge": lambda w: (
        f"/secretariat/organisations/{w.org}/merge",
        {
            "merged": str(spare := w.spare_organisation()),
            "fingerprint": w.fingerprint(w.org),
            "merged_fingerprint": w.fingerprint(spare),
        },
    ),
    "/secretariat/activities/new": lambda w: ("/secretariat/activities/new", activity_form()),
    "/secretariat/activities/{ref}": lambda w: (
        f"/secretariat/activities/{make_activity(w.engine)}",
        {**activity_form(title="RFC 8200"), "version": "1"},
    ),
    "/secretariat/activities/{ref}/check": lambda w: (
        f"/secretariat/activities/{make_activity(w.engine)}/check",
        {"version": "1", "checked": "1"},
    ),
    "/secretariat/activities/{ref}/withdraw": lambda w: (
        f"/secretariat/activities/{make_activity(w.engine)}/withdraw",
        {"version": "1", "reason": "Duplicate of another activity."},
    ),
    "/secretariat/activities/import": lambda w: ("/secretariat/activities/import", {}),
    "/admin/users/invite": lambda w: (
        "/admin/users/invite",
        {"email": f"用户{secrets.token_hex(3)}@例子.广告", "role": "secretariat", "organisation": ""},
    ),
    "/admin/users/{user_id}/role": lambda w: (f"/admin/users/{w.target_user()}/role", {"role": "secretariat"}),
    "/admin/users/{user_id}/deactivate": lambda w: (f"/admin/users/{w.target_user()}/deactivate", {}),
    "/admin/users/{user_id}/reactivate": lambda w: (f"/admin/users/{w.target_user(active=False)}/reactivate", {}),
    "/portal/practices/new": lambda w: ("/portal/practices/new", {**case_form(w.org), "action": "submit"}),
    "/portal/practices/{ref}/edit": lambda w: (
        f"/portal/practices/{make_case(w.engine, w.org)}/edit",
        {**case_form(w.org), "version": "1", "action": "submit"},
    ),
    "/secretariat/practices/{ref}/publish": lambda w: (
        f"/secretariat/practices/{make_case(w.engine, w.org)}/publish",
        {"version": "1"},
    ),
    "/secretariat/practices/{ref}/return": lambda w: (
        f"/secretariat/practices/{make_case(w.engine, w.org)}/return",
        {"version": "1", "note": "Give the source of the figures."},
    ),
    "/secretariat/practices/{ref}/spotlight": lambda w: (
        f"/secretariat/practices/{make_case(w.engine, w.org, 'published')}/spotlight",
        {"version": "2", "year": "2025", "spotlight": "add"},
    ),
    "/secretariat/practices/{ref}/checked": lambda w: (
        f"/secretariat/practices/{unchecked_case(w.engine, w.org)}/checked",
        {"version": "1"},
    ),
    "/secretariat/reports/{kind}/{year}": lambda w: (
        "/secretariat/reports/p2c/2024",
        {"version": "0", "outlook": "Next"},
    ),
    "/secretariat/reports/builds": lambda w: ("/secretariat/reports/builds", {"kind": "p2c", "format": "html"}),
    "/account/logout": lambda w: ("/account/logout", {}),
}


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    """The application's routes, those of the routers it includes too."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def test_the_matrix_covers_every_state_changing_route(client: TestClient) -> None:
    posts = {
        r.path
        for r in _routes(client.app.routes)  # type: ignore[attr-defined]
        if (r.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
        and r.path.startswith(("/portal", "/secretariat", "/admin"))
    }
    assert posts | {"/account/logout"} == set(MATRIX) == set(REQUESTS)


def _who(client: TestClient, engine: Engine, role: str) -> tuple[int, str | None]:
    """Sign in as ``role``; the pledge's organisation, and the e-mail address signed in with."""
    org = make_organisation(engine)
    other = make_organisation(engine, "Autorité de régulation", "CIV")
    accounts = {
        "pledger": ("pledger@numerique.example", "pledger", [org]),
        "other pledger": ("pledger@regulateur.example", "pledger", [other]),
        "secretariat": ("review@itu.example", "secretariat", []),
        "admin": ("admin@itu.example", "admin", []),
    }
    if role == "anonymous":
        client.get("/account/login")  # the CSRF cookie a visitor has
        return org, None
    email, kind, orgs = accounts[role]
    sign_in(client, engine, email, kind, orgs)
    return org, email


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client: TestClient, engine: Engine, settings: Settings, role: str) -> None:
    org, email = _who(client, engine, role)
    world = World(client, engine, settings, org, email)
    token = csrf(client)
    seen = []
    for route, expected in MATRIX.items():  # the sign-out comes last
        want = expected[ROLES.index(role)]
        path, data = REQUESTS[route](world)
        files = {"file": ("pledges.csv", CSV.encode(), "text/csv")} if route == "/secretariat/import" else None
        response = client.post(path, data={**data, "csrf_token": token}, files=files, follow_redirects=False)
        if want == SIGN_IN:
            got: Any = SIGN_IN if response.headers.get("location", "").startswith("/account/login") else None
            seen.append((route, response.status_code if got is None else got))
        else:
            seen.append((route, response.status_code))
        assert seen[-1] == (route, want), response.text[:500]


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, engine: Engine) -> None:
    sign_in(client, engine, "review@itu.example", "secretariat")
    form = {"name": "Office des Postes", "stakeholder_type": "government", "itu_membership": "none"}
    assert client.post("/secretariat/organisations", data=form).status_code == 403
    wrong = client.post("/secretariat/organisations", data={**form, "csrf_token": "forged"})
    assert wrong.status_code == 403
    with transaction(engine) as session:
        assert session.scalars(select(Organisation)).all() == []
    token = csrf(client, "/secretariat/organisations")
    assert (
        client.post(
            "/secretariat/organisations", data={**form, "csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )


def test_another_organisations_draft_is_out_of_sight(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    other = make_organisation(engine, "Autorité de régulation", "CIV")
    draft = make_pledge(engine, org, review_state="draft")
    theirs = make_pledge(engine, other, review_state="draft", title="Our own draft")
    sign_in(client, engine, "pledger@regulateur.example", "pledger", [other])
    assert [p["reference"] for p in portal_json(client)["pledges"]] == [theirs]
    assert draft not in client.get("/portal").text
    assert client.get(f"/pledges/{draft}").status_code == 404
    assert client.get(f"/api/v1/pledges/{draft}").status_code == 404
    assert client.get(f"/portal/pledges/{draft}/edit").status_code == 403
    assert client.get(f"/portal/pledges/{draft}/report").status_code == 403
    assert client.get(f"/secretariat/pledges/{draft}").status_code == 403
    own = TestClient(client.app)
    sign_in(own, engine, "pledger@numerique.example", "pledger", [org])
    assert own.get(f"/pledges/{draft}").status_code == 200 and own.get(f"/pledges/{theirs}").status_code == 404
    anonymous = TestClient(client.app)
    assert anonymous.get(f"/pledges/{draft}").status_code == 404
    assert anonymous.get("/portal", follow_redirects=False).headers["location"].startswith("/account/login")


def test_administrator_changes_roles_and_deactivates(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    sign_in(client, engine, "admin@itu.example", "admin")
    person = TestClient(client.app)
    sign_in(person, engine, "pledger@numerique.example", "pledger", [org])
    with transaction(engine) as session:
        user = accounts.find_user(session, "pledger@numerique.example")
        assert user
        user_id = user.id
    listed = {u["email"]: u for u in client.get("/admin/users?format=json").json()["users"]}
    assert listed["pledger@numerique.example"]["organisations"] == [{"id": org, "name": "Ministère du Numérique"}]
    token = csrf(client)
    assert (
        client.post(
            f"/admin/users/{user_id}/role", data={"role": "secretariat", "csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    assert person.get("/secretariat").status_code == 200  # the new role applies at once
    assert (
        client.post(
            f"/admin/users/{user_id}/deactivate", data={"csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    assert person.get("/secretariat", follow_redirects=False).headers["location"].startswith("/account/login")
    with transaction(engine) as session:
        changed = session.get_one(User, user_id)
        assert (changed.role, changed.active) == ("secretariat", False)
        me = accounts.find_user(session, "admin@itu.example")
        assert me
        my_id = me.id
    own = client.post(f"/admin/users/{my_id}/role", data={"role": "pledger", "csrf_token": token})
    assert own.status_code == 422 and "your own account" in own.text
    history = client.get("/admin/users?format=json").json()
    assert {u["email"]: u["role"] for u in history["users"]}["admin@itu.example"] == "admin"


# ------------------------------------------------------------------ the API's changes, field by field
#
# What PATCH /api/v1/pledges/{ref} answers for each field a change may set, on a submitted pledge of
# the pledger's organisation: anonymous, a pledger of that organisation, a pledger of another one (who
# cannot even see the pledge) and the secretariat. The decision covers the target of the change: which
# organisation a pledge moves to, which review state it takes.

API_ROLES = ("anonymous", "pledger", "other pledger", "secretariat")
UNAUTHENTICATED, NOT_FOUND, CHANGED = 401, 404, 200
MINE = {"name": "Ministère du Numérique", "stakeholder_type": "government"}
THEIRS = {"name": "Autorité de régulation", "stakeholder_type": "government"}
SECOND = {"name": "Agence du Numérique", "stakeholder_type": "government"}  # the pledger belongs to it too
NEW_ORG = {"name": "Invented Holdings", "stakeholder_type": "private_sector"}
EDITS = (UNAUTHENTICATED, CHANGED, NOT_FOUND, CHANGED)
DECISION = (UNAUTHENTICATED, NO, NOT_FOUND, CHANGED)

FIELD_MATRIX: dict[str, tuple[dict[str, Any], tuple[int, ...]]] = {
    "title":              ({"title": "Connect 300 rural schools"}, EDITS),
    "description":        ({"description": "With solar power."}, EDITS),
    "language":           ({"language": "fr"}, EDITS),
    "pledge_type":        ({"pledge_type": "financial"}, EDITS),
    "focus_areas":        ({"focus_areas": ["access", "adoption"]}, EDITS),
    "pillars":            ({"pillars": ["digital_skills"], "focus_areas": ["adoption"]}, EDITS),
    "target_countries":   ({"target_countries": ["SEN", "GMB"]}, EDITS),
    "value":              ({"value": 250_000, "currency": "EUR"}, EDITS),
    "currency":           ({"currency": "XOF", "value": 1_000_000}, EDITS),
    "value_usd":          ({"value": 250_000, "currency": "EUR", "value_usd": 270_000}, EDITS),
    "start_year":         ({"start_year": 2025}, EDITS),
    "end_year":           ({"end_year": 2030}, EDITS),
    "announced_on":       ({"announced_on": "2025-06-01"}, EDITS),
    "event":              ({"event": "WSIS Forum"}, EDITS),
    "status":             ({"status": "in_progress"}, EDITS),
    "sdgs":               ({"sdgs": [4, 9]}, EDITS),
    "beneficiary_groups": ({"beneficiary_groups": ["schools"]}, EDITS),
    "partners":           ({"partners": ["Sonatel"]}, EDITS),
    "source_url":         ({"source_url": "https://example.org/pledge"}, EDITS),
    "pledger":            ({"pledger": MINE}, EDITS),  # unchanged organisation
    "pledger→own other":  ({"pledger": SECOND}, EDITS),
    "pledger→theirs":     ({"pledger": THEIRS}, DECISION),
    "pledger→new":        ({"pledger": NEW_ORG}, DECISION),
    "review_state":       ({"review_state": "draft"}, EDITS),
    "review_state→withdrawn": ({"review_state": "withdrawn"}, EDITS),
    "review_state→published": ({"review_state": "published"}, DECISION),
    "review_state→rejected":  ({"review_state": "rejected"}, DECISION),
    "review_note":        ({"review_note": "Add the target countries."}, DECISION),
}  # fmt: skip


def test_the_field_matrix_covers_every_field_a_change_may_set() -> None:
    from observatory.pledges.schemas import PledgeChanges

    assert {name.split("→")[0] for name in FIELD_MATRIX} == set(PledgeChanges.model_fields)


@pytest.mark.parametrize("role", API_ROLES)
def test_api_changes_field_by_field(client: TestClient, engine: Engine, role: str) -> None:
    from observatory.pledges import service

    org = make_organisation(engine)
    second = make_organisation(engine, "Agence du Numérique", "SEN")
    other = make_organisation(engine, "Autorité de régulation", "CIV")
    headers: dict[str, str] = {}
    if role != "anonymous":
        email, kind, orgs = {
            "pledger": ("pledger@numerique.example", "pledger", [org, second]),
            "other pledger": ("pledger@regulateur.example", "pledger", [other]),
            "secretariat": ("review@itu.example", "secretariat", []),
        }[role]
        with transaction(engine) as session:
            user = accounts.create_user(session, email, kind, orgs)
            headers = {"authorization": f"Bearer {accounts.create_api_token(session, user, 'script')}"}
    got, want = {}, {}
    for name, (changes, expected) in FIELD_MATRIX.items():
        ref = make_pledge(engine, org, review_state="submitted")
        response = client.patch(f"/api/v1/pledges/{ref}", json={"version": 1, "changes": changes}, headers=headers)
        got[name], want[name] = response.status_code, expected[API_ROLES.index(role)]
        with transaction(engine) as session:
            pledge = service.get_pledge(session, ref)
            changed = pledge.version > 1
            assert changed is (response.status_code == CHANGED and name != "pledger"), (name, response.text)
    assert got == want
    names = {o["name"] for o in client.get("/api/v1/organisations").json()}
    assert ("Invented Holdings" in names) is (role == "secretariat")


@pytest.mark.parametrize("role", ("pledger", "secretariat"))
def test_api_changes_to_a_published_pledge_are_the_secretariats(client: TestClient, engine: Engine, role: str) -> None:
    org = make_organisation(engine)
    email, kind, orgs = {"pledger": ("p@numerique.example", "pledger", [org]),
                         "secretariat": ("s@itu.example", "secretariat", [])}[role]  # fmt: skip
    with transaction(engine) as session:
        user = accounts.create_user(session, email, kind, orgs)
        headers = {"authorization": f"Bearer {accounts.create_api_token(session, user, 'script')}"}
    ref = make_pledge(engine, org, review_state="published")
    response = client.patch(f"/api/v1/pledges/{ref}", json={"version": 1, "changes": {"title": "x"}}, headers=headers)
    assert response.status_code == (NO if role == "pledger" else CHANGED)
    withdrawn = client.post(f"/api/v1/pledges/{ref}/withdraw", json={"version": response.json().get("version", 1)},
                            headers=headers)  # fmt: skip
    assert withdrawn.status_code == CHANGED  # withdrawing stays the pledger's right
