"""Reminders, on SQLite: ``observatory reminders send [--dry-run]`` mails each pledger account of a pledge whose
report is due within 30 days or overdue, in the account's language, at most once per interval, recording each
mail; the dry run lists who would be reminded and sends nothing; the secretariat reminds by hand and sees who
was reminded when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.accounts import service as accounts
from observatory.cli import app
from observatory.db import default_engine, transaction
from observatory.pledges import reports, service
from observatory.pledges.models import Reminder
from observatory.pledges.schemas import PledgeIn, ProgressReportIn
from tests.conftest import outbox
from tests.web.conftest import csrf, sign_in

runner = CliRunner()
TODAY = dt.date.today()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    monkeypatch.delenv("OBSERVATORY_DATABASE_URL", raising=False)
    monkeypatch.delenv("OBSERVATORY_REMINDER_INTERVAL_DAYS", raising=False)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    yield tmp_path


def pledge(session: Session, org: str, title: str, announced: dt.date, **fields: object) -> str:
    data = PledgeIn.model_validate(
        {"pledger": {"name": org, "stakeholder_type": "government"}, "title": title, "focus_areas": ["access"],
         "announced_on": announced.isoformat(), "review_state": "published", **fields}
    )  # fmt: skip
    return service.create_pledge(session, data, "tests").reference


def seed(engine: Engine) -> dict[str, str]:
    """An overdue pledge (two accounts: French and English), one due within 30 days, one reported lately, one
    overdue whose organisation has no account, one completed and one not published."""
    with transaction(engine) as s:
        refs = {
            "overdue": pledge(s, "Ministère du Numérique", "Connecter 200 écoles", TODAY - dt.timedelta(days=800)),
            "due": pledge(s, "Fibre Co", "Backbone", TODAY - dt.timedelta(days=800)),
            "fresh": pledge(s, "Fibre Co", "Towers", TODAY - dt.timedelta(days=800)),
            "nobody": pledge(s, "Office sans compte", "Radio", TODAY - dt.timedelta(days=800)),
            "done": pledge(s, "Fibre Co", "Finished", TODAY - dt.timedelta(days=800), status="completed"),
            "draft": pledge(s, "Fibre Co", "Draft", TODAY - dt.timedelta(days=800), review_state="draft"),
        }
        ministry = service.find_organisation(s, "Ministère du Numérique")
        fibre = service.find_organisation(s, "Fibre Co")
        assert ministry and fibre
        amina = accounts.create_user(s, "amina@numerique.example", "pledger", [ministry.id])
        amina.language = "fr"
        accounts.create_user(s, "ops@numerique.example", "pledger", [ministry.id])
        accounts.create_user(s, "ops@fibre.example", "pledger", [fibre.id])
        gone = accounts.create_user(s, "gone@fibre.example", "pledger", [fibre.id])
        gone.active = False
        year = TODAY.year - 1
        # reported 350 days ago: due within 30 days; reported 30 days ago: nothing due
        for key, days in (("due", 350), ("fresh", 30)):
            filed = TODAY - dt.timedelta(days=days)
            reports.file_report(s, refs[key], ProgressReportIn(year=year, status="in_progress", filed_on=filed), "t")
    return refs


def test_dry_run_lists_who_would_be_reminded_and_sends_nothing(home: Path) -> None:
    refs = seed(default_engine())
    result = runner.invoke(app, ["reminders", "send", "--dry-run"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    for wanted in (refs["overdue"], refs["due"], refs["nobody"], "amina@numerique.example", "ops@fibre.example",
                   "Office sans compte", "(no pledger account", "overdue", "due"):  # fmt: skip
        assert wanted in out, wanted
    for unwanted in (refs["fresh"], refs["done"], refs["draft"], "gone@fibre.example"):
        assert unwanted not in out, unwanted
    assert "2 pledge(s) with an overdue report, 1 with a report due within 30 days: 3 mail(s) would be sent" in out
    assert outbox(home) == []
    with transaction(default_engine()) as s:
        assert s.scalar(select(func.count()).select_from(Reminder)) == 0


def test_send_mails_in_each_language_records_and_waits_the_interval(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = seed(default_engine())
    result = runner.invoke(app, ["reminders", "send"])
    assert result.exit_code == 0, result.output
    mails = dict(outbox(home))
    assert set(mails) == {"amina@numerique.example", "ops@numerique.example", "ops@fibre.example"}
    assert refs["overdue"] in mails["ops@numerique.example"] and "overdue" in mails["ops@numerique.example"]
    assert f"/portal/pledges/{refs['due']}/report?year=" in mails["ops@fibre.example"]
    assert "within 30 days" in mails["ops@fibre.example"]
    with transaction(default_engine()) as s:
        rows = s.scalars(select(Reminder).order_by(Reminder.sent_to)).all()
        assert [(r.sent_to, r.kind, r.sent_by) for r in rows] == [
            ("amina@numerique.example", "overdue", "observatory reminders send"),
            ("ops@fibre.example", "due", "observatory reminders send"),
            ("ops@numerique.example", "overdue", "observatory reminders send"),
        ]
    again = runner.invoke(app, ["reminders", "send"])
    assert again.exit_code == 0 and len(outbox(home)) == 3  # not again within the interval
    assert "0 mail(s) sent" in again.output
    monkeypatch.setenv("OBSERVATORY_REMINDER_INTERVAL_DAYS", "1")
    with transaction(default_engine()) as s:
        for r in s.scalars(select(Reminder)):
            r.sent_at = r.sent_at - dt.timedelta(days=2)
    assert runner.invoke(app, ["reminders", "send"]).exit_code == 0
    assert len(outbox(home)) == 6  # the interval passed: reminded again


def test_reminder_in_french_for_a_french_account(sqlite_engine: Engine, tmp_path: Path) -> None:
    from observatory.config import Settings

    due = reports.ReminderDue(1, "P2C-2024-00001", "Connecter 200 écoles", "Ministère", "overdue", 2025,
                              "amina@numerique.example", "fr")  # fmt: skip
    subject, body = reports.reminder_message(due, Settings(home=tmp_path))
    english = reports.reminder_message(due.__class__(**{**due.__dict__, "language": "en"}), Settings(home=tmp_path))
    assert "P2C-2024-00001" in subject and "2025" in body and "Connecter 200 écoles" in body
    assert english[0] == "Progress report overdue: P2C-2024-00001"
    assert subject == "Rapport d’avancement en retard\u00a0: P2C-2024-00001"


def test_secretariat_reminds_by_hand_and_sees_who_was_reminded(client: TestClient, engine: Engine) -> None:
    refs = seed(engine)
    sign_in(client, engine, "review@itu.example", "secretariat")
    token = csrf(client, f"/secretariat/pledges/{refs['overdue']}")
    sent = client.post(f"/secretariat/pledges/{refs['overdue']}/remind", data={"csrf_token": token},
                       follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    review = client.get(f"/secretariat/pledges/{refs['overdue']}?format=json").json()
    assert sorted((r["sent_to"], r["sent_by"], r["kind"]) for r in review["reminders"]) == [
        ("amina@numerique.example", "review@itu.example", "overdue"),
        ("ops@numerique.example", "review@itu.example", "overdue"),
    ]
    page = client.get(f"/secretariat/pledges/{refs['overdue']}").text
    assert "ops@numerique.example" in page and "Remind the pledger now" in page
    nobody = client.post(f"/secretariat/pledges/{refs['nobody']}/remind", data={"csrf_token": token})
    assert nobody.status_code == 422 and "no pledger account" in nobody.text
    without_csrf = client.post(f"/secretariat/pledges/{refs['overdue']}/remind")
    assert without_csrf.status_code == 403
