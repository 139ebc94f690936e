"""The secretariat's reports workspace: it says what a year's report still lacks and when the report on
IP-based networks is due, keeps the secretariat's texts (versioned, audited), and builds a report in the
background with its progress shown; the public then downloads the PDF. The API does the same with a token."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from observatory.audit import AuditEntry
from observatory.db import transaction
from tests.conftest import AUTH
from tests.reports.test_p2c import YEAR, load_sample
from tests.web.conftest import csrf, sign_in


def _wait(client: TestClient, build_id: int, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state: dict[str, Any] = client.get(f"/secretariat/reports/builds/{build_id}?format=json").json()["build"]
        if state["state"] in ("done", "failed"):
            return state
        time.sleep(0.3)
    raise AssertionError(f"build {build_id} did not end in {seconds} s")


def test_texts_due_date_and_what_is_missing(client: TestClient, engine: Engine) -> None:
    sign_in(client, engine, "review@itu.example", "secretariat")
    page = client.get("/secretariat/reports?kind=ip-networks&year=2025")
    assert page.status_code == 200
    missing = client.get("/secretariat/reports?kind=ip-networks&year=2025&format=json").json()
    assert "the date of the Council session" in missing["missing"] and missing["due_on"] is None
    token = csrf(client, "/secretariat/reports?kind=ip-networks&year=2025")
    form = {
        "csrf_token": token,
        "version": "0",
        "council_date": "2026-06-16",
        "council_symbol": "C26/33",
        "references": "C25/33\nC24/33",
        "proposal_0_title": "Train IXP operators in LLDCs",
        "proposal_0_text": "Run four regional workshops.",
        "proposal_0_resources": "CHF 120 000 from the ITU-D budget",
    }
    saved = client.post("/secretariat/reports/ip-networks/2025", data=form, follow_redirects=False)
    assert saved.status_code == 303
    after = client.get("/secretariat/reports?kind=ip-networks&year=2025&format=json").json()
    assert after["due_on"] == "2026-05-17" and after["version"] == 1
    assert after["edition"]["proposals"][0]["resources"] == "CHF 120 000 from the ITU-D budget"
    assert "the date of the Council session" not in after["missing"]
    # The same version again is stale: refused, and nothing changes.
    stale = client.post("/secretariat/reports/ip-networks/2025", data={**form, "council_symbol": "X"})
    assert stale.status_code == 409
    assert client.get("/secretariat/reports?kind=ip-networks&year=2025&format=json").json()["version"] == 1
    # A proposal without its text is refused with a sentence.
    half = {**form, "version": "1", "proposal_1_title": "Only a title"}
    refused = client.post("/secretariat/reports/ip-networks/2025", data=half)
    assert refused.status_code == 422 and "needs both a title and a text" in refused.text
    # Next year's report refers to this one by its symbol, without anyone typing it.
    nxt = client.get("/secretariat/reports?kind=ip-networks&year=2026&format=json").json()
    assert nxt["edition"]["references"] == ["C26/33"]
    with transaction(engine) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "report_edition")).all()
        assert [e.action for e in entries] == ["create"]
        assert entries[0].after and entries[0].after["council_symbol"] == "C26/33"


def test_a_build_runs_in_the_background_and_the_public_downloads_it(client: TestClient, engine: Engine) -> None:
    load_sample(engine)
    sign_in(client, engine, "review@itu.example", "secretariat")
    token = csrf(client, "/secretariat/reports")
    started = client.post(
        "/secretariat/reports/builds",
        data={"csrf_token": token, "kind": "p2c", "year": str(YEAR), "language": "en", "format": "pdf"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    builds = client.get(f"/secretariat/reports?kind=p2c&year={YEAR}&format=json").json()["builds"]
    state = _wait(client, builds[0]["id"])
    assert state["state"] == "done", state["error"]
    assert state["progress"] == 100 and state["pages"] and state["pages"] >= 8
    pdf = client.get(f"/secretariat/reports/builds/{state['id']}/file")
    assert pdf.content.startswith(b"%PDF")
    manifest = client.get(f"/secretariat/reports/builds/{state['id']}/manifest?format=json").json()["manifest"]
    assert manifest["as_of"] == dt.date.today().isoformat() and manifest["figures"]
    client.post("/account/logout", data={"csrf_token": csrf(client, "/")})
    public = client.get(f"/reports/p2c/{YEAR}/pdf?lang=en")
    assert public.status_code == 200 and public.content == pdf.content
    assert "PDF (English)" in client.get("/reports").text
    assert client.get(f"/secretariat/reports/builds/{state['id']}/file", follow_redirects=False).status_code == 303


def test_a_build_asked_for_by_api_token(client: TestClient, engine: Engine) -> None:
    load_sample(engine, with_report=False)
    bad = client.post("/api/v1/reports/builds", json={"kind": "p2c", "year": 1999}, headers=AUTH)
    assert bad.status_code in (400, 422)
    assert client.post("/api/v1/reports/builds", json={"kind": "p2c", "year": YEAR}).status_code == 401
    answer = client.post("/api/v1/reports/builds", json={"kind": "p2c", "year": YEAR, "format": "html"}, headers=AUTH)
    assert answer.status_code == 201, answer.text
    deadline = time.monotonic() + 60
    while True:
        got = client.get(f"/api/v1/reports/builds/{answer.json()['id']}", headers=AUTH)
        assert got.status_code == 200, got.text
        state = got.json()
        if state["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert state["state"] == "done", state
