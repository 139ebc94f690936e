"""Helpers for the web tests: people with accounts, signed in through the real login form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from observatory.accounts import service as accounts
from observatory.db import transaction

PASSWORD = "correct horse battery staple"


def csrf(client: TestClient, path: str = "/account/login") -> str:
    """The CSRF token of a page's form (the browser's CSRF cookie, set on the first visit)."""
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def sign_in(client: TestClient, engine: Engine, email: str, role: str, organisations: list[int] | None = None) -> None:
    """Create the account (with a password) and sign in through the login form."""
    with transaction(engine) as session:
        user = accounts.find_user(session, email) or accounts.create_user(session, email, role, organisations)
        user.password_hash = accounts._hasher.hash(PASSWORD)
    response = client.post(
        "/account/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(client), "next": ""},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
