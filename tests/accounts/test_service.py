"""The accounts' services, on SQLite and PostgreSQL: invitations, the users' list, memberships, changes to an
account, and what the operator's log says of them (never a link or a token)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from observatory.accounts import service as accounts
from observatory.accounts.models import LoginAttempt
from observatory.config import Settings
from observatory.db import transaction
from observatory.errors import Conflict, NotFound
from tests.conftest import outbox, settings_for
from tests.pledges.test_portal import make_organisation

SERVICE_LOG = "observatory.accounts.service"


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    return settings_for(engine, tmp_path)


def test_an_invitation_creates_the_account_and_mails_its_link(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    org = make_organisation(engine)
    caplog.set_level("INFO", SERVICE_LOG)
    with transaction(engine) as session:
        ids = accounts.organisation_ids(session, ["ministère  du numérique"])
        user, link = accounts.invite_user(session, "Amina@Numerique.example", "pledger", ids, settings, "admin@itu")
        assert (ids, user.email, user.password_hash) == ([org], "Amina@numerique.example", None)
    assert outbox(settings.home) == [("Amina@numerique.example", outbox(settings.home)[0][1])]
    assert link in outbox(settings.home)[0][1]
    assert "invitation mailed to Amina@numerique.example (pledger)" in caplog.text
    assert link.rsplit("/", 1)[1] not in caplog.text
    with transaction(engine) as session, pytest.raises(Conflict):
        accounts.invite_user(session, "amina@numerique.example", "pledger", [], settings, "admin@itu")
    with transaction(engine) as session, pytest.raises(NotFound, match="no organisation 'Nobody Inc'"):
        accounts.organisation_ids(session, ["Ministère du Numérique", "Nobody Inc"])


def test_users_are_listed_with_their_organisations(engine: Engine, settings: Settings) -> None:
    first, second = make_organisation(engine), make_organisation(engine, "Ministry of ICT", "KEN")
    with transaction(engine) as session:
        accounts.create_user(session, "b@example.org", "pledger", [first, second])
        accounts.create_user(session, "a@example.org", "pledger", [first])
    with transaction(engine) as session:
        users, names = accounts.users_with_organisations(session)
        assert [u.email for u in users] == ["a@example.org", "b@example.org", "secretariat@itu.example"]
        assert names == {first: "Ministère du Numérique", second: "Ministry of ICT"}
        assert accounts.member_counts(session, [first, second, 999]) == {first: 2, second: 1}
        assert accounts.get_user(session, users[0].id).email == "a@example.org"
        with pytest.raises(NotFound):
            accounts.get_user(session, 999)


def test_switching_an_account_off_is_logged_and_signs_it_out(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", SERVICE_LOG)
    with transaction(engine) as session:
        user = accounts.create_user(session, "c@example.org", "pledger")
        accounts.start_session(session, user)
        accounts.create_api_token(session, user, "first")
        accounts.create_api_token(session, user, "second")
        first = accounts.active_api_tokens(session, user)[0]
        accounts.revoke_api_token(session, user, first.id)
        assert [t.name for t in accounts.active_api_tokens(session, user)] == ["second"]
        accounts.change_account(session, user, "admin@itu", active=False)
    assert "account c@example.org changed by admin@itu: role pledger, deactivated" in caplog.text


def test_a_failed_sign_in_is_kept_and_throttling_is_logged(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", SERVICE_LOG)
    for _ in range(accounts.THROTTLE_PER_EMAIL):
        # The caller's transaction is rolled back, as after an error page: the failed attempt stays counted.
        with pytest.raises(accounts.BadCredentials), transaction(engine) as session:
            accounts.login(session, "nobody@example.org", "not the password", "10.0.0.1")
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 2 * accounts.THROTTLE_PER_EMAIL
        with pytest.raises(accounts.Throttled):
            accounts.login(session, "NOBODY@example.org", "not the password", "10.0.0.1")
    assert "sign-in throttled for nobody@example.org from 10.0.0.1" in caplog.text
    assert "not the password" not in caplog.text


def test_a_password_reset_is_logged_without_its_link(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", SERVICE_LOG)
    with transaction(engine) as session:
        accounts.create_user(session, "d@example.org", "pledger")
        accounts.request_password_reset(session, "d@example.org", settings)
        accounts.request_password_reset(session, "unknown@example.org", settings)
    [(to, body)] = outbox(settings.home)
    token = body.split("/account/reset/", 1)[1].split()[0]
    assert to == "d@example.org" and "password reset link mailed to d@example.org" in caplog.text
    assert "unknown@example.org" not in caplog.text and token not in caplog.text
