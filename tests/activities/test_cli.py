"""``observatory init`` loads the curated activities once; ``observatory activities import|export|list``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatory.cli import app
from observatory.db import engine_for, migrate, transaction
from observatory.reference.models import load_reference

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A home whose database is migrated, with the reference data and an empty registry."""
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    monkeypatch.delenv("OBSERVATORY_DATABASE_URL", raising=False)
    engine = engine_for(f"sqlite:///{tmp_path / 'observatory.db'}")
    migrate(engine)
    with transaction(engine) as session:
        load_reference(session)
    yield tmp_path
    engine.dispose()


def test_init_loads_the_curated_set_once(home: Path) -> None:
    first = runner.invoke(app, ["init"])
    assert "Activities (curated starting set, to be checked): 62 new" in first.output
    assert first.exit_code == 0, first.output
    assert "Activities" not in runner.invoke(app, ["init"]).output


def test_files_go_round_through_the_command_line(home: Path) -> None:
    loaded = runner.invoke(app, ["activities", "import"])
    assert loaded.exit_code == 0 and "62 created, 0 updated, 0 unchanged" in loaded.output
    for kind in ("csv", "xlsx"):
        out = home / f"activities.{kind}"
        exported = runner.invoke(app, ["activities", "export", "--format", kind, "--out", str(out)])
        assert exported.exit_code == 0 and "62 activities" in exported.output
        again = runner.invoke(app, ["activities", "import", str(out)])
        assert again.exit_code == 0 and "0 created, 0 updated, 62 unchanged" in again.output
    listed = runner.invoke(app, ["activities", "list", "--year", "2012"])
    assert "RFC 6756" in listed.output


def test_a_bad_file_is_refused_with_row_and_column(home: Path) -> None:
    bad = home / "bad.csv"
    bad.write_text("organisation,title,topic,kind,starts,collaboration,source_url\nietf,T,ipv6,event,2022,itu,x\n")
    result = runner.invoke(app, ["activities", "import", str(bad)])
    assert result.exit_code == 1
    assert "row 2, column source_url" in result.output and "row 2, column collaboration" not in result.output
    assert "nothing was imported" in result.output
