"""The ``observatory`` command, as a person runs it (on SQLite)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.main import get_command
from typer.testing import CliRunner

from observatory.cli import app
from observatory.config import load_settings
from observatory.web.app import create_app
from tests.conftest import outbox
from tests.pledges.test_import import GOOD, HEADER

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    monkeypatch.delenv("OBSERVATORY_DATABASE_URL", raising=False)
    monkeypatch.delenv("OBSERVATORY_API_TOKEN", raising=False)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    yield tmp_path


def test_init_creates_database_and_loads_the_sample(home: Path) -> None:
    assert (home / "observatory.db").exists()
    result = runner.invoke(app, ["init", "--sample"])
    assert result.exit_code == 0 and "249 countries" in result.output and "18 new" in result.output
    again = runner.invoke(app, ["init", "--sample"])
    assert "0 new, 0 updated, 18 unchanged" in again.output


def test_import_refuses_a_bad_file_with_every_reason(home: Path) -> None:
    bad = home / "bad.csv"
    bad.write_text(f"{HEADER}\n{GOOD}\n{GOOD.replace(',USD,', ',USX,')}\n{GOOD.replace('MWI;ZMB', 'MWI;ZZZ')}\n")
    result = runner.invoke(app, ["pledges", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 3, column currency: unknown currency code 'USX'" in result.output
    assert "line 4, column target_countries: unknown country code 'ZZZ'" in result.output
    assert "nothing was imported" in result.output
    assert "Traceback" not in result.output
    summary = json.loads(runner.invoke(app, ["pledges", "summary", "--format", "json"]).output)
    assert summary["total"]["pledges"] == 0


def test_skip_invalid_writes_the_rejected_rows(home: Path) -> None:
    bad = home / "mixed.csv"
    bad.write_text(f"{HEADER}\n{GOOD}\n{GOOD.replace(',USD,', ',USX,')}\n")
    result = runner.invoke(app, ["pledges", "import", str(bad), "--skip-invalid"])
    assert result.exit_code == 0 and "1 created" in result.output and "1 rejected" in result.output
    rows = list(csv.DictReader((home / "mixed.rejected.csv").open(encoding="utf-8")))
    assert [(r["line"], r["column"]) for r in rows] == [("3", "currency")]


def test_missing_file(home: Path) -> None:
    result = runner.invoke(app, ["pledges", "import", str(home / "nope.csv")])
    assert result.exit_code == 1 and "no such file" in result.output


def test_export_formats_and_summary_matches_the_api(home: Path) -> None:
    assert runner.invoke(app, ["init", "--sample"]).exit_code == 0
    exported = home / "export.csv"
    assert runner.invoke(app, ["pledges", "export", "--format", "csv", "-o", str(exported)]).exit_code == 0
    assert len(list(csv.DictReader(exported.open(encoding="utf-8")))) == 18
    reimport = runner.invoke(app, ["pledges", "import", str(exported)])
    assert "0 created, 0 updated, 18 unchanged" in reimport.output
    as_json = json.loads(runner.invoke(app, ["pledges", "export", "--format", "json"]).output)
    assert len(as_json) == 18 and all(p["reference"].startswith("P2C-") for p in as_json)

    with TestClient(create_app(load_settings())) as client:
        for by in ("focus_area", "country", "country_group", "year"):
            cli = json.loads(runner.invoke(app, ["pledges", "summary", "--by", by, "--format", "json"]).output)
            assert cli == client.get("/api/v1/pledges/summary", params={"by": by}).json()
        filtered = runner.invoke(app, ["pledges", "summary", "--by", "country", "--country", "GHA", "--format", "json"])
        assert json.loads(filtered.output)["total"]["pledges"] == 2
    table = runner.invoke(app, ["pledges", "summary", "--by", "region"])
    assert table.exit_code == 0 and "Total" in table.output
    assert runner.invoke(app, ["pledges", "summary", "--by", "colour"]).exit_code == 2


def test_demo_data_is_generated_and_labelled(home: Path) -> None:
    out = home / "demo.csv"
    assert runner.invoke(app, ["demo", "generate", "--pledges", "200", "--seed", "3", "-o", str(out)]).exit_code == 0
    result = runner.invoke(app, ["pledges", "import", str(out)])
    assert "200 created" in result.output
    exported = json.loads(runner.invoke(app, ["pledges", "export", "--format", "json"]).output)
    assert len(exported) == 200 and all(p["synthetic"] for p in exported)


def test_every_command_has_help() -> None:
    group = get_command(app)
    paths = [["--help"]]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        paths.append([name, "--help"])
        for sub in getattr(command, "commands", {}):
            paths.append([name, sub, "--help"])
    for path in paths:
        result = runner.invoke(app, path)
        assert result.exit_code == 0 and "Usage" in result.output, path
    assert len(paths) >= 8


def test_users_are_invited_by_mail_and_get_tokens(home: Path) -> None:
    assert runner.invoke(app, ["init", "--sample"]).exit_code == 0
    added = runner.invoke(app, ["users", "add", "josé@exemple.fr", "--role", "pledger", "--organisation", "Microsoft"])
    assert added.exit_code == 0, added.output
    link = added.output.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8000/account/accept/")
    assert [(to, link in body) for to, body in outbox(home)] == [("josé@exemple.fr", True)]
    again = runner.invoke(app, ["users", "add", "JOSÉ@exemple.fr"])
    assert again.exit_code == 1 and "already has an account" in again.output
    unknown = runner.invoke(app, ["users", "add", "x@example.org", "--organisation", "Nobody Inc"])
    assert unknown.exit_code == 1 and "no organisation" in unknown.output
    token = runner.invoke(app, ["users", "token", "josé@exemple.fr"]).output.strip()
    assert token.startswith("obs_")
    with TestClient(create_app(load_settings())) as client:
        auth = {"authorization": f"Bearer {token}"}
        mine = {"pledger": {"name": "Microsoft", "stakeholder_type": "private_sector"}, "title": "Skills",
                "focus_areas": ["adoption"], "review_state": "draft"}  # fmt: skip
        assert client.post("/api/v1/pledges", json=mine, headers=auth).status_code == 201
        theirs = {**mine, "pledger": {"name": "Huawei", "stakeholder_type": "private_sector"}}
        assert client.post("/api/v1/pledges", json=theirs, headers=auth).status_code == 403
        assert (
            client.post("/api/v1/pledges", json=mine, headers={"authorization": "Bearer obs_nope"}).status_code == 401
        )
