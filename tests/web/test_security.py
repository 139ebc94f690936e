"""The holes found when the platform was probed as an attacker would, each closed and kept closed.

Test names carry the item number of the security review they cover (``test_security_NN_…``); item 5
(decompression bombs) is in ``tests/test_input_bounds.py``, item 16 (the OpenAPI fuzzing) in
``tests/web/test_openapi.py`` and the PATCH field × role matrix of item 2 in ``test_permissions.py``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text, update

from observatory.accounts import service as accounts
from observatory.config import Settings
from observatory.db import transaction
from observatory.exports import FORMULA_START, frame_csv, safe_cell, unescape_cell
from observatory.pledges import service
from observatory.pledges.csvio import import_pledges
from observatory.pledges.models import Pledge
from observatory.web.app import create_app
from tests.conftest import AUTH, outbox, settings_for
from tests.pledges.test_api import NEW, create
from tests.pledges.test_portal import make_organisation, make_pledge, pledge_form
from tests.pledges.test_secretariat import BAD, GOOD, HEADER, upload
from tests.web.conftest import PASSWORD, csrf, sign_in

PLEDGER = "amina@numerique.example"


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update=changes)


def app_client(settings: Settings, **changes: Any) -> TestClient:
    return TestClient(create_app(with_settings(settings, **changes)))


def pledger_token(engine: Engine, email: str, organisation: int) -> dict[str, str]:
    with transaction(engine) as session:
        user = accounts.find_user(session, email) or accounts.create_user(session, email, "pledger", [organisation])
        return {"authorization": f"Bearer {accounts.create_api_token(session, user, 'script')}"}


# ------------------------------------------------------------------ 1. links follow the configured address


def test_security_01_a_forged_host_is_refused(client: TestClient) -> None:
    forged = client.post("/account/reset", data={"email": "x@example.org"}, headers={"host": "evil.example"})
    assert forged.status_code == 400
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/").status_code == 200


def test_security_01_reset_and_invitation_links_use_the_base_url(settings: Settings, engine: Engine) -> None:
    """Even from an allowed host other than the public one, mailed links point to OBSERVATORY_BASE_URL."""
    with transaction(engine) as session:
        accounts.create_user(session, "amina@numerique.example", "pledger").password_hash = "x"
    org = make_organisation(engine)
    base = "https://observatory.example"
    with app_client(settings, base_url=base, allowed_hosts=("testserver", "internal.example")) as client:
        page = client.get("/account/reset", headers={"host": "internal.example"})
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        sent = client.post(
            "/account/reset",
            data={"email": "amina@numerique.example", "csrf_token": token.group(1)},
            headers={"host": "internal.example"},
        )
        assert sent.status_code == 200
        sign_in(client, engine, "review@itu.example", "secretariat")
        invited = client.post(
            "/secretariat/organisations/invite",
            data={"organisation": str(org), "email": "new@numerique.example", "csrf_token": csrf(client)},
            follow_redirects=False,
        )
        assert invited.status_code == 303
    links = [re.findall(r"https?://\S+", body) for _to, body in outbox(settings.home)]
    assert len(links) == 2 and all(links)
    assert all(link.startswith(base + "/account/") for found in links for link in found), links


# ------------------------------------------------------------------ 2. moving a pledge between organisations


def test_security_02_a_pledger_cannot_move_a_pledge_to_another_organisation(client: TestClient, engine: Engine) -> None:
    own = make_organisation(engine)
    other = make_organisation(engine, "Autorité de régulation", "CIV")
    ref = make_pledge(engine, own, review_state="submitted")
    headers = pledger_token(engine, PLEDGER, own)
    theirs = {"name": "Autorité de régulation", "stakeholder_type": "government"}
    moved = client.patch(f"/api/v1/pledges/{ref}", json={"version": 1, "changes": {"pledger": theirs}}, headers=headers)
    assert moved.status_code == 403
    invented = {"name": "Invented Holdings", "stakeholder_type": "private_sector"}
    created = client.patch(
        f"/api/v1/pledges/{ref}", json={"version": 1, "changes": {"pledger": invented}}, headers=headers
    )
    assert created.status_code == 403
    orgs = {o["name"] for o in client.get("/api/v1/organisations").json()}
    assert "Invented Holdings" not in orgs
    with transaction(engine) as session:
        assert service.get_pledge(session, ref).pledger_id == own != other
    # the secretariat may move it (and register the new organisation)
    assert client.patch(f"/api/v1/pledges/{ref}", json={"version": 1, "changes": {"pledger": invented}},
                        headers=AUTH).status_code == 200  # fmt: skip


# ------------------------------------------------------------------ 3. throttling


def _fail_login(client: TestClient, email: str, headers: dict[str, str] | None = None) -> int:
    data = {"email": email, "password": "wrong password here", "csrf_token": csrf(client), "next": ""}
    return int(client.post("/account/login", data=data, headers=headers or {}).status_code)


def test_security_03_spellings_of_one_address_share_one_budget(client: TestClient, engine: Engine) -> None:
    with transaction(engine) as session:
        accounts.create_user(session, PLEDGER, "pledger").password_hash = accounts._hasher.hash(PASSWORD)
    assert [_fail_login(client, PLEDGER) for _ in range(accounts.THROTTLE_PER_EMAIL)] == [401] * 5
    for spelling in ("amina@ｎumerique.example", "AMINA@NUMERIQUE.EXAMPLE", " amina@numerique.example "):
        assert _fail_login(client, spelling) == 429, spelling


def test_security_03_forwarded_for_is_believed_only_from_trusted_proxies(settings: Settings) -> None:
    budget = accounts.THROTTLE_PER_ADDRESS
    with app_client(settings) as client:
        codes = [_fail_login(client, f"u{n}@example.org", {"x-forwarded-for": f"203.0.113.{n}"}) for n in range(budget)]
        assert set(codes) == {401}
        assert _fail_login(client, "last@example.org", {"x-forwarded-for": "198.51.100.7"}) == 429
    with app_client(settings, trusted_proxies=("testclient",)) as proxied:
        # behind a trusted proxy each real client has its own budget (the one above is spent)
        assert _fail_login(proxied, "next@example.org", {"x-forwarded-for": "198.51.100.8"}) == 401
        assert _fail_login(proxied, "next2@example.org") == 429  # the proxy's own address is the spent one


# ------------------------------------------------------------------ 4. non-finite and huge values


@pytest.mark.parametrize("raw", ["Infinity", "-Infinity", "NaN", "1e400", "1e308", "10000000000001"])
def test_security_04_money_must_be_finite_and_bounded(client: TestClient, raw: str) -> None:
    body = json.dumps({**NEW, "currency": "USD"})[:-1] + f', "value_usd": {raw}}}'
    response = client.post("/api/v1/pledges", content=body, headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == "value_usd"
    ref = create(client)["reference"]
    report = f'{{"year": 2025, "status": "in_progress", "usd_disbursed": {raw}}}'
    filed = client.post(f"/api/v1/pledges/{ref}/reports", content=report,
                        headers={**AUTH, "content-type": "application/json"})  # fmt: skip
    assert filed.status_code == 422, filed.text


def test_security_04_the_form_and_the_csv_refuse_them_too(client: TestClient, engine: Engine) -> None:
    org = make_organisation(engine)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    for value in ("1e400", "inf", "1e14"):
        form = {**pledge_form(org, value=value), "action": "draft", "csrf_token": csrf(client)}
        refused = client.post("/portal/pledges/new", data=form)
        assert refused.status_code == 422 and ("no higher than" in refused.text or "Enter a number" in refused.text)
    rows = "pledger,pledger_type,title,focus_areas,value,currency\n" + "".join(
        f"Org,government,Title {v},access,{v},USD\n" for v in ("inf", "nan", "1e400", "1e14")
    )
    with transaction(engine) as session:
        result = import_pledges(session, io.BytesIO(rows.encode()), "tests", skip_invalid=True)
    assert result.created == 0 and result.rejected_lines == 4
    assert {e.column for _row, e in result.rejected} == {"value"}


def test_security_04_a_stored_huge_value_breaks_no_page(client: TestClient, engine: Engine) -> None:
    """Rendering cannot fail on any stored number (one written before the bounds existed, say)."""
    org = make_organisation(engine)
    ref = make_pledge(engine, org, review_state="published", value=5, currency="USD")
    with transaction(engine) as session:
        session.execute(update(Pledge).where(Pledge.reference == ref).values(value_usd=1e308, value_amount=1e308))
        service.bump_revision(session)
    for path in ("/", "/pledges", "/pledges?format=json", f"/pledges/{ref}", f"/organisations/{org}",
                 f"/organisations/{org}?format=json", "/api/v1/pledges", f"/api/v1/pledges/{ref}",
                 "/api/v1/pledges/summary?by=focus_area", "/countries/SEN", "/pledges?format=csv"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        if "json" in response.headers["content-type"]:
            strict_json(response.text)
    sign_in(client, engine, "review@itu.example", "secretariat")
    export = client.get("/secretariat/export.json")
    assert export.status_code == 200
    strict_json(export.text)


def strict_json(body: str) -> Any:
    """``body`` parsed as JSON; a bare Infinity or NaN (not JSON) fails the test."""

    def refuse(constant: str) -> Any:
        pytest.fail(f"bare {constant} in JSON")

    return json.loads(body, parse_constant=refuse)


# ------------------------------------------------------------------ 6. imports, previews and the write lock


@pytest.fixture
def sqlite_settings(sqlite_engine: Engine, tmp_path: Path) -> Settings:
    return with_settings(settings_for(sqlite_engine, tmp_path), db_busy_seconds=0.5)


def _hold_write_lock(url: str) -> sqlite3.Connection:
    holder = sqlite3.connect(url.split("///", 1)[1], timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_security_06_a_preview_takes_no_write_lock(sqlite_settings: Settings, sqlite_engine: Engine) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        sign_in(client, sqlite_engine, "review@itu.example", "secretariat")
        holder = _hold_write_lock(sqlite_settings.database_url)  # another writer is busy (an import, say)
        try:
            started = time.monotonic()
            preview = upload(client, f"{HEADER}\n{GOOD}\n{BAD}\n")
            assert preview.status_code == 200 and "Nothing has been imported yet." in preview.text
            assert time.monotonic() - started < 5
        finally:
            holder.rollback()
            holder.close()


def test_security_06_a_busy_database_answers_503_at_once(sqlite_settings: Settings, sqlite_engine: Engine) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        ref = create(client)["reference"]
        holder = _hold_write_lock(sqlite_settings.database_url)
        try:
            started = time.monotonic()
            busy = client.patch(f"/api/v1/pledges/{ref}", json={"version": 1, "changes": {"title": "x"}}, headers=AUTH)
            waited = time.monotonic() - started
        finally:
            holder.rollback()
            holder.close()
        assert busy.status_code == 503 and busy.headers["retry-after"].isdigit(), busy.text
        assert "busy" in busy.json()["detail"] and waited < 5
        again = client.patch(f"/api/v1/pledges/{ref}", json={"version": 1, "changes": {"title": "x"}}, headers=AUTH)
        assert again.status_code == 200  # nothing was lost: the same change goes through once the lock is free


@pytest.mark.postgres
def test_security_06_an_import_does_not_block_other_writers_on_postgresql(postgres_url: str) -> None:
    """While an import is writing (its first batch written, not committed), another writer goes through."""
    from tests.conftest import _postgres_engine

    engine = _postgres_engine(postgres_url)
    org = make_organisation(engine)
    ref = make_pledge(engine, org)
    rows = "pledger,pledger_type,title,focus_areas\n" + "".join(f"Org,government,T{n},access\n" for n in range(3000))
    outcome: list[object] = []
    calls: list[int] = []

    def meanwhile(done: int) -> None:  # called every 1,000 rows
        calls.append(done)
        if len(calls) == 3:  # 2,000 rows read and written (one batch) in the import's open transaction
            other = threading.Thread(target=_edit_in_another_transaction, args=(engine, ref, outcome))
            other.start()
            other.join(timeout=10)

    with transaction(engine) as importing:
        import_pledges(importing, io.BytesIO(rows.encode()), "tests", progress=meanwhile)
    assert outcome == [None], outcome
    with transaction(engine) as session:
        assert service.get_pledge(session, ref).title == "Edited meanwhile"


def _edit_in_another_transaction(engine: Engine, ref: str, outcome: list[object]) -> None:
    try:
        with transaction(engine) as session:
            session.execute(text("SET LOCAL lock_timeout = '2s'"))
            service.update_pledge(session, ref, 1, {"title": "Edited meanwhile"}, "tests")
        outcome.append(None)
    except Exception as exc:  # reported to the test's thread
        outcome.append(exc)


# ------------------------------------------------------------------ 7. uploads


def test_security_07_an_upload_over_the_limit_is_refused_in_the_readers_language(
    settings: Settings, engine: Engine
) -> None:
    with app_client(settings, max_upload_mb=0.01) as client:
        sign_in(client, engine, "review@itu.example", "secretariat")
        big = HEADER + "\n" + (GOOD + "\n") * 200  # about 20 KB
        files = {"file": ("pledges.csv", big.encode(), "text/csv")}
        data = {"csrf_token": csrf(client)}
        refused = client.post("/secretariat/import?lang=fr", data=data, files=files)
        assert refused.status_code == 413
        assert "Le fichier dépasse 0,01 Mo" in refused.text, refused.text[:500]
        api = client.post("/api/v1/pledges", content=b"{" + b" " * 1_100_000 + b"}", headers=AUTH)
        assert api.status_code == 413 and "larger than" in api.json()["detail"]
    assert not list(settings.home.glob("uploads/*.csv"))  # nothing of the refused file was kept


def test_security_07_the_preview_pages_its_rejected_rows(client: TestClient, engine: Engine) -> None:
    sign_in(client, engine, "review@itu.example", "secretariat")
    bad_rows = "".join(BAD.replace("Rural towers", f"Rural towers {n}") + "\n" for n in range(250))
    preview = upload(client, f"{HEADER}\n{GOOD}\n{bad_rows}")
    assert preview.status_code == 200 and len(preview.text) < 60_000
    upload_id = re.search(r'name="upload" value="([0-9a-f]{32})"', preview.text)
    assert upload_id
    first = client.get(f"/secretariat/import/{upload_id.group(1)}?format=json").json()
    assert first["rejected_count"] == 250 and first["rejected_pages"] == 3 and len(first["rejected"]) == 100
    last = client.get(f"/secretariat/import/{upload_id.group(1)}?page=3&format=json").json()
    assert [r["line"] for r in last["rejected"]] == list(range(203, 253))
    download = client.get(f"/secretariat/import/{upload_id.group(1)}/rejected.csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert download.status_code == 200 and len(rows) == 250 and rows[0]["title"] == "Rural towers 0"


def test_security_07_uploads_are_removed_when_cancelled_or_expired(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    sign_in(client, engine, "review@itu.example", "secretariat")
    folder = settings.home / "uploads"
    preview = upload(client, f"{HEADER}\n{GOOD}\n")
    upload_id = re.search(r'name="upload" value="([0-9a-f]{32})"', preview.text)
    assert upload_id and list(folder.glob(f"{upload_id.group(1)}*"))
    cancel = {"upload": upload_id.group(1), "csrf_token": csrf(client)}
    cancelled = client.post("/secretariat/import/cancel", data=cancel, follow_redirects=False)
    assert cancelled.status_code == 303 and not list(folder.glob(f"{upload_id.group(1)}*"))
    old = upload(client, f"{HEADER}\n{GOOD}\n")
    old_id = re.search(r'name="upload" value="([0-9a-f]{32})"', old.text)
    assert old_id
    long_ago = time.time() - (settings.upload_kept_hours + 1) * 3600
    for path in folder.glob(f"{old_id.group(1)}*"):
        os.utime(path, (long_ago, long_ago))
    assert client.get("/secretariat/import").status_code == 200
    assert not list(folder.glob(f"{old_id.group(1)}*"))
    gone = client.post("/secretariat/import/commit", data={"upload": old_id.group(1), "csrf_token": csrf(client)})
    assert gone.status_code == 404


# ------------------------------------------------------------------ 8. CSV formula injection

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "'=already quoted"]


def test_security_08_every_csv_export_neutralises_formulas(client: TestClient, engine: Engine) -> None:
    for title in FORMULAS:
        create(client, title=title)
    sign_in(client, engine, "review@itu.example", "secretariat")
    exports = {
        "explorer": client.get("/pledges?format=csv").text,
        "api": client.get("/api/v1/pledges?format=csv").text,
        "secretariat": client.get("/secretariat/export.csv").text,
    }
    for name, body in exports.items():
        titles = [row["title"] for row in csv.DictReader(io.StringIO(body))]
        assert sorted(titles) == sorted("'" + t for t in FORMULAS), name
        assert not any(t.startswith(FORMULA_START) for t in titles), name
    # the export imports back to the same titles
    with transaction(engine) as session:
        session.execute(update(Pledge).values(title="changed"))
    with transaction(engine) as session:
        import_pledges(session, io.BytesIO(exports["secretariat"].encode()), "tests")
    assert sorted(p["title"] for p in client.get("/api/v1/pledges").json()["items"]) == sorted(FORMULAS)


@given(st.text(max_size=30))
def test_security_08_a_safe_cell_is_never_a_formula_and_imports_back(value: str) -> None:
    cell = safe_cell(value)
    assert not cell.startswith(FORMULA_START)
    assert unescape_cell(cell) == value


@given(st.lists(st.text(max_size=12), min_size=1, max_size=5))
def test_security_08_frames_are_written_safe_like_cells(values: list[str]) -> None:
    import polars as pl

    written = list(csv.reader(io.StringIO(frame_csv(pl.DataFrame({"text": values, "n": [-1] * len(values)})))))
    assert [row[0] for row in written[1:]] == [safe_cell(v) for v in values]
    assert all(row[1] == "-1" for row in written[1:])  # numbers stay numbers


# ------------------------------------------------------------------ 9. concurrent stale writes


@pytest.fixture
def live(settings: Settings) -> Iterator[str]:
    """The application served by uvicorn on a free loopback port, in a thread of the test."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(with_settings(settings, allowed_hosts=()))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", workers=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_security_09_concurrent_stale_writes_get_409(client: TestClient, live: str) -> None:
    refs = [create(client)["reference"] for _ in range(3)]

    def change(args: tuple[str, int]) -> int:
        ref, n = args
        body = {"version": 1, "changes": {"title": f"Version from writer {n}"}}
        return httpx.patch(f"{live}/api/v1/pledges/{ref}", json=body, headers=AUTH, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        for ref in refs:
            codes = list(pool.map(change, [(ref, n) for n in range(8)]))
            assert sorted(codes) == [200] + [409] * 7, codes
            assert client.get(f"/api/v1/pledges/{ref}").json()["version"] == 2


# ------------------------------------------------------------------ 10. security headers


def test_security_10_headers_on_every_response(client: TestClient, settings: Settings) -> None:
    for path in ("/", "/pledges?format=json", "/api/v1/pledges", "/static/app.css", "/nowhere", "/api/docs"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert (
            "script-src 'self'" in headers["content-security-policy"]
            and "unsafe" not in headers["content-security-policy"]
        )
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in headers, path
    assert "content-security-policy" in client.get("/", headers={"host": "evil.example"}).headers
    over_https = {"x-forwarded-proto": "https"}
    assert "strict-transport-security" not in client.get("/", headers=over_https).headers  # not a trusted proxy
    with app_client(settings, trusted_proxies=("testclient",)) as proxied:
        assert "max-age=" in proxied.get("/", headers=over_https).headers["strict-transport-security"]


# ------------------------------------------------------------------ 11. a password reset ends everything


def test_security_11_a_password_reset_revokes_api_tokens_and_sessions(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    org = make_organisation(engine)
    headers = pledger_token(engine, PLEDGER, org)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    assert client.get("/api/v1/pledges?review_state=draft", headers=headers).status_code == 200
    other = TestClient(client.app)
    other.post("/account/reset", data={"email": PLEDGER, "csrf_token": csrf(other, "/account/reset")})
    link = re.search(r"/account/reset/(\S+)", outbox(settings.home)[-1][1])
    assert link
    done = other.post(f"/account/reset/{link.group(1)}", data={"password": "a new and quite long passphrase",
                      "csrf_token": csrf(other, "/account/reset")}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert client.get("/api/v1/pledges?review_state=draft", headers=headers).status_code == 401
    assert client.get("/portal", follow_redirects=False).status_code == 303  # the old session ended too


# ------------------------------------------------------------------ 12. numbers beyond 64 bits, bad types


@pytest.mark.parametrize(
    "path",
    ["/organisations/99999999999999999999999", "/api/v1/organisations/99999999999999999999999",
     "/pledges?organisation=99999999999999999999999", "/api/v1/pledges?organisation=99999999999999999999999",
     "/pledges?page=99999999999999999999999", "/api/v1/pledges?page=99999999999999999999999",
     "/api/v1/pledges?year=99999999999999999999999", "/organisations/0"],
)  # fmt: skip
def test_security_12_ids_beyond_64_bits_are_refused_not_crashes(client: TestClient, path: str) -> None:
    assert client.get(path).status_code in (404, 422)


@pytest.mark.parametrize(
    "changes",
    [{"review_state": ["published"]}, {"title": 5}, {"focus_areas": "access"}, {"value": "a lot"},
     {"pledger": "Someone"}, {"sdgs": [99]}, {"synthetic": True}, {"reference": "P2C-2020-00001"}],
)  # fmt: skip
def test_security_12_every_change_is_type_checked(client: TestClient, changes: dict[str, Any]) -> None:
    ref = create(client)["reference"]
    response = client.patch(f"/api/v1/pledges/{ref}", json={"version": 1, "changes": changes}, headers=AUTH)
    assert response.status_code == 422, response.text


# ------------------------------------------------------------------ 13. what a pledger may choose


@pytest.mark.parametrize(
    "fields",
    [{"reference": "P2C-2025-99999"}, {"synthetic": True}, {"review_state": "withdrawn"},
     {"review_state": "published"}, {"review_state": "rejected"}],
)  # fmt: skip
def test_security_13_a_pledger_cannot_choose_reference_synthetic_or_a_decided_state(
    client: TestClient, engine: Engine, fields: dict[str, Any]
) -> None:
    org = make_organisation(engine)
    headers = pledger_token(engine, PLEDGER, org)
    mine = {**NEW, "pledger": {"name": "Ministère du Numérique", "stakeholder_type": "government"}}
    allowed = client.post("/api/v1/pledges", json={**mine, "review_state": "draft"}, headers=headers)
    assert allowed.status_code == 201, allowed.text
    refused = client.post("/api/v1/pledges", json={**mine, "review_state": "submitted", **fields}, headers=headers)
    assert refused.status_code == 403, refused.text
    assert client.post("/api/v1/pledges", json={**mine, **fields}, headers=AUTH).status_code == 201


# ------------------------------------------------------------------ 14. CSRF tokens belong to the session


def test_security_14_csrf_tokens_are_bound_to_the_session_and_new_at_sign_in(
    client: TestClient, engine: Engine
) -> None:
    org = make_organisation(engine)
    before = csrf(client)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    mine = csrf(client)
    assert mine != before
    assert client.post("/portal/tokens", data={"name": "x", "csrf_token": before}).status_code == 403
    assert client.post("/portal/tokens", data={"name": "x", "csrf_token": mine}).status_code == 200
    someone = TestClient(client.app)
    sign_in(someone, engine, "review@itu.example", "secretariat")
    theirs = csrf(someone)
    assert theirs != mine
    assert client.post("/portal/tokens", data={"name": "x", "csrf_token": theirs}).status_code == 403
    client.post("/account/logout", data={"csrf_token": mine})
    sign_in(client, engine, PLEDGER, "pledger", [org])
    assert csrf(client) not in (mine, before)  # rotated at each sign-in
    assert client.post("/portal/tokens", data={"name": "x", "csrf_token": mine}).status_code == 403


# ------------------------------------------------------------------ 15. guessable passwords


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "password1234", "qwertyuiopas", "amina@numerique.example", "observatory2026"]
)
def test_security_15_guessable_passwords_are_refused(
    client: TestClient, engine: Engine, settings: Settings, password: str
) -> None:
    with transaction(engine) as session:
        user = accounts.create_user(session, PLEDGER, "pledger")
        token = accounts.issue_link(session, user, "invitation")
    page = client.post(f"/account/accept/{token}", data={"password": password, "csrf_token": csrf(client)})
    assert page.status_code == 422 and "too easy to guess" in page.text
    french = client.post(f"/account/accept/{token}?lang=fr", data={"password": password, "csrf_token": csrf(client)})
    assert "trop facile à deviner" in french.text
    chosen = client.post(f"/account/accept/{token}", data={"password": PASSWORD, "csrf_token": csrf(client)},
                         follow_redirects=False)  # fmt: skip
    assert chosen.status_code == 303


# ------------------------------------------------------------------ 17. tokens out of the access log


def test_security_17_one_time_tokens_never_reach_the_log(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVATORY_")}
    env.update(OBSERVATORY_HOME=str(tmp_path), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-m", "observatory", "init"], env=env, check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "observatory", "serve", "--port", str(port)], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        secret = "S3cretTokenValue0123456789abcdef"
        for path in (f"/account/reset/{secret}", f"/account/accept/{secret}?lang=fr"):
            assert httpx.get(base + path, headers={"x-request-id": "probe-17"}).status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=10)
    written = log.read_text()
    assert "/account/reset/…" in written and "/account/accept/…" in written, written
    assert secret not in written
    assert "[probe-17]" in written  # the request id is on the request's lines


# ------------------------------------------------------------------ 18. authentication before validation


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/v1/pledges"), ("patch", "/api/v1/pledges/P2C-2025-00001"), ("post", "/api/v1/organisations"),
     ("post", "/api/v1/pledges/P2C-2025-00001/reports"), ("post", "/api/v1/pledges/P2C-2025-00001/withdraw")],
)  # fmt: skip
def test_security_18_anonymous_writes_get_401_whatever_the_body(client: TestClient, method: str, path: str) -> None:
    for body in ({}, {"nonsense": True}, None):
        response = client.request(method, path, json=body)
        assert response.status_code == 401, (body, response.text)
        assert response.headers["www-authenticate"] == "Bearer"


# ------------------------------------------------------------------ 19. API documentation offline


def test_security_19_the_api_documentation_is_served_by_the_app(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "<script>" not in page.text  # no inline script: the CSP allows none
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 100, source
    assert "SwaggerUIBundle" in client.get("/api/docs/assets/swagger-ui-bundle.js").text


def test_security_12_nul_characters_are_refused_everywhere(client: TestClient, engine: Engine) -> None:
    """PostgreSQL can neither store nor compare NUL: it is refused at the edge on every kind of input."""
    for path in ("/pledges?q=a%00b", "/api/v1/pledges?q=a%00b", "/organisations/1?lang=%00", "/countries/M%00I"):
        assert client.get(path).status_code == 422, path
    org = make_organisation(engine)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    form = {**pledge_form(org, title="Nul\x00title"), "action": "draft", "csrf_token": csrf(client)}
    assert client.post("/portal/pledges/new", data=form).status_code == 422
    body = {**NEW, "title": "Nul\x00title"}
    assert client.post("/api/v1/pledges", json=body, headers=AUTH).status_code == 422


def test_security_12_large_counts_are_stored_on_every_database(client: TestClient) -> None:
    """People reached beyond 32 bits (a continent's population) is stored, on PostgreSQL too."""
    ref = create(client)["reference"]
    body = {"year": 2025, "status": "in_progress", "people_reached": 3_000_000_000}
    filed = client.post(f"/api/v1/pledges/{ref}/reports", json=body, headers=AUTH)
    assert filed.status_code == 201, filed.text
    submitted = client.get(f"/api/v1/pledges/{ref}", headers=AUTH).json()["reports"]  # not public until reviewed
    assert submitted[0]["people_reached"] == 3_000_000_000
