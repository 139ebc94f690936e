"""The Partner2Connect annual progress report: every figure equals what its API address answers (on SQLite and
PostgreSQL), a report rebuilt as of the same day after more pledges arrive gives the same figures, a year
without pledges says so, and the PDF (English and French) has no blank page, states the API's headline numbers,
has a table of contents that matches its headings and page numbers, is tagged and embeds its fonts."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageStat
from sqlalchemy import Engine, text

from observatory.activities import load_seed
from observatory.auth import CLI
from observatory.db import transaction
from observatory.i18n import Formatter, translations
from observatory.pledges import import_sample, service
from observatory.pledges import reports as progress
from observatory.pledges.schemas import OrganisationIn, PledgeIn, ProgressReportIn
from observatory.reports import build, render
from observatory.reports.document import Figure, Missing, Report, lookup

YEAR = 2025


def load_sample(engine: Engine, *, with_report: bool = True) -> None:
    """The 17 real sample pledges, and one published progress report."""
    with transaction(engine) as session:
        import_sample(session, CLI.name)
    if with_report:
        with transaction(engine) as session:
            ref = session.execute(
                text(
                    "SELECT reference FROM pledge WHERE value_usd IS NOT NULL AND announced_on IS NOT NULL "
                    "ORDER BY announced_on LIMIT 1"
                )
            ).scalar_one()
            data = ProgressReportIn(
                year=2024,
                status="in_progress",
                usd_committed=2_000_000.0,
                usd_disbursed=500_000.0,
                people_reached=12_000,
            )
            progress.file_report(session, ref, data, CLI.name)
        with transaction(engine) as session:
            progress.publish_report(session, ref, 2024, 1, CLI.name)


def make(engine: Engine, language: str = "en", year: int = YEAR, as_of: dt.date | None = None) -> Report:
    with transaction(engine) as session:
        return build.make(session, "p2c", year, language, as_of)


def test_every_figure_equals_what_its_api_address_answers(client: TestClient, engine: Engine) -> None:
    load_sample(engine)
    with transaction(engine) as session:
        data = PledgeIn(
            pledger=OrganisationIn(name="Vodafone Group", stakeholder_type="private_sector"),
            title="Digital skills for women entrepreneurs",
            pledge_type="programmatic",
            focus_areas=["adoption"],
            target_countries=["KEN", "TZA"],
            beneficiary_groups=["women_and_girls", "entrepreneurs_smes"],
            announced_on=dt.date(YEAR, 3, 8),
            event="WTDC side event",
            review_state="published",
        )
        service.create_pledge(session, data, CLI.name)
    report = make(engine)
    figures = report.figures()
    assert len(figures) > 40
    checked = 0
    for f in figures:
        assert f.api.startswith("/api/v1/"), f
        assert f.query, f
        assert f.note > 0
        if not f.field:
            continue
        answer = client.get(f.api)
        assert answer.status_code == 200, (f.api, answer.text[:300])
        assert lookup(answer.json(), f.field) == pytest.approx(f.value, abs=0.01), (f.key, f.api, f.field)
        checked += 1
    assert checked > 30
    # The report's own API gives the same figures.
    manifest = client.get(f"/api/v1/reports/p2c/{YEAR}").json()
    assert {m["key"]: m["value"] for m in manifest["figures"]} == report.headline()
    # The headline totals are those of the registry's summary for the pledges announced by the end of the year.
    total = client.get("/api/v1/pledges/summary", params={"by": "year", "announced_by": f"{YEAR}-12-31"}).json()
    headline = report.headline()
    assert headline["pledges"] == total["total"]["pledges"] > 0
    assert headline["value_usd"] == total["total"]["value_usd"]
    assert headline["committed_usd"] == 2_000_000.0
    # The share naming women is that of the pledges whose beneficiary groups name women ("women and girls").
    items = client.get("/api/v1/pledges", params={"announced_by": f"{YEAR}-12-31", "per_page": 500}).json()["items"]
    women = [p for p in items if any("women" in b for b in p["beneficiary_groups"])]
    assert women and headline["women_share"] == round(len(women) / len(items), 4)


def _backdate(engine: Engine, days: int) -> None:
    """Move everything written so far ``days`` into the past, as if it had been registered then."""
    with transaction(engine) as session:
        for table, column in (
            ("audit_entry", "at"),
            ("pledge", "created_at"),
            ("pledge", "updated_at"),
            ("organisation", "created_at"),
        ):
            rows = session.execute(text(f"SELECT id, {column} FROM {table}")).all()  # noqa: S608
            for row_id, at in rows:
                moved = (at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(at)) - dt.timedelta(days=days)
                session.execute(text(f"UPDATE {table} SET {column} = :at WHERE id = :id"), {"at": moved, "id": row_id})  # noqa: S608


def test_a_report_rebuilt_as_of_the_same_day_gives_the_same_figures(engine: Engine) -> None:
    load_sample(engine)
    _backdate(engine, 10)
    day = dt.date.today() - dt.timedelta(days=5)
    before = make(engine, as_of=day).headline()
    # Afterwards: a new pledge announced in the report's year, and an old one made bigger.
    with transaction(engine) as session:
        old = session.execute(
            text("SELECT reference FROM pledge WHERE value_usd IS NOT NULL AND announced_on IS NOT NULL LIMIT 1")
        ).scalar_one()
        pledge = service.get_pledge(session, old)
        service.update_pledge(session, old, pledge.version, {"value": (pledge.value_amount or 0) * 10}, CLI.name)
        data = PledgeIn(
            pledger=OrganisationIn(name="Microsoft", stakeholder_type="private_sector"),
            title="A pledge made after the as-of day",
            pledge_type="financial",
            focus_areas=["access"],
            value=5e9,
            currency="USD",
            announced_on=dt.date(YEAR, 6, 1),
            review_state="published",
        )
        service.create_pledge(session, data, CLI.name)
    again = make(engine, as_of=day).headline()
    assert again == before
    now = make(engine).headline()
    assert now["pledges"] == (before["pledges"] or 0) + 1
    assert now["value_usd"] != before["value_usd"]


def test_a_year_without_pledges_says_so_and_still_builds(engine: Engine, tmp_path: Path) -> None:
    load_sample(engine, with_report=False)
    report = make(engine, year=2021)
    assert report.headline()["pledges"] == 0
    first = report.sections[0]
    assert any(isinstance(b, Missing) and "No published pledge" in b.text for b in first.blocks)
    # No connectivity data is loaded in this database: the section says so instead of drawing nothing.
    context = next(s for s in report.sections if s.key == "connectivity")
    assert isinstance(context.blocks[0], Missing)
    # Every chart with nothing to draw says why.
    assert all(c.drawable or c.empty for c in report.charts())
    written = build.write(report, "html", tmp_path / "empty.html")
    assert "No published pledge" in written["file"].read_text()


def _page_text(pdf: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-layout"] + (["-f", str(page), "-l", str(page)] if page else []) + [str(pdf), "-"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return out.replace("\u00a0", " ").replace("\u202f", " ")  # no-break spaces as poppler writes them: plain


def _plain(s: str) -> str:
    return s.replace("\u00a0", " ").replace("\u202f", " ")


def _cover_figures(report: Report) -> list[Figure]:
    assert report.cover is not None
    return [p for para in report.cover.summary for p in para.parts if isinstance(p, Figure)]


@pytest.mark.parametrize("kind", ["p2c", "ip-networks"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_pdf_reads_as_a_report(sqlite_engine: Engine, tmp_path: Path, language: str, kind: str) -> None:
    load_sample(sqlite_engine)
    with transaction(sqlite_engine) as session:
        load_seed(session, CLI.name)  # the curated activities (the report on IP-based networks counts them)
    with transaction(sqlite_engine) as session:
        report = build.make(session, kind, YEAR, language)
    target = tmp_path / build.file_name(report, "pdf")
    written = build.write(report, "pdf", target)
    pages = written["pages"]
    assert pages and pages >= 8
    # No blank page.
    subprocess.run(["pdftoppm", "-r", "30", "-gray", "-png", str(target), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for image in images:
        stat = ImageStat.Stat(Image.open(image))
        assert stat.stddev[0] > 3, f"{image.name} is blank"
    # The headline numbers, as the reader's language writes them, are on the page that states them (the key
    # findings; a Council document's cover sheet), each with its note number.
    fmt = Formatter(language)
    contents = translations(language).gettext("Contents")
    toc = next(t for t in (_page_text(target, n) for n in range(1, 6)) if re.search(rf"^\s*{contents}\s*$", t, re.M))
    if kind == "p2c":
        first = re.search(rf"1\s+{re.escape(_plain(report.sections[0].title))}.*?(\d+)\s*$", toc, re.M)
        assert first
        page_text = _page_text(target, int(first.group(1)))
        headline = [
            f
            for f in report.figures()
            if f.key in ("pledges", "value_usd", "organisations", "target_countries", "committed_usd")
        ]
        assert len(headline) == 5
    else:
        page_text = _page_text(target, 1)
        headline = [f for f in _cover_figures(report) if f.covered]  # a sentence of figures not covered says so
        assert headline
    for f in headline:
        shown = _plain(render.figure_text(f, fmt, translations(language).gettext))
        assert f"{shown}[{f.note}]" in " ".join(page_text.split()).replace(" [", "["), (f.key, shown)
    # Every heading is in the table of contents, with the page it is on.
    for section in report.walk():
        title = _plain(section.title)
        start = re.search(rf"{re.escape(section.number)}\s+{re.escape(title[:30])}", toc)
        assert start, f"{section.number} {section.title} not in the contents"
        entry = re.search(r"(\d+)\s*$", toc[start.end() :], re.M)  # its page: the line's end (a long title wraps)
        assert entry, f"{section.number} {section.title} has no page in the contents"
        on_page = _page_text(target, int(entry.group(1)))
        assert f"{section.number}. {' '.join(title[:30].split())}" in " ".join(on_page.split()), section.title
    # Tagged, with every font embedded.
    info = subprocess.run(["pdfinfo", str(target)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes", info, re.M)
    fonts = subprocess.run(["pdffonts", str(target)], check=True, capture_output=True, text=True).stdout.splitlines()[
        2:
    ]
    assert fonts and all(" yes " in line for line in fonts), fonts
    # The manifest and the tables are beside it.
    manifest: dict[str, Any] = written["manifest"]
    assert manifest["as_of"] == dt.date.today().isoformat() and manifest["pages"] == pages
    assert {s["name"] for s in manifest["sources"]}
    assert all((tmp_path / name).exists() for name in manifest["files"])


def test_the_report_pages_and_their_twins(client: TestClient, engine: Engine) -> None:
    load_sample(engine)
    page = client.get(f"/reports/p2c/{YEAR}")
    assert page.status_code == 200
    assert "Key findings" in page.text and 'href="#note-1"' in page.text
    twin = client.get(f"/reports/p2c/{YEAR}?format=json").json()
    assert twin["figures"][0]["note"] == 1
    csv_text = client.get(f"/reports/p2c/{YEAR}?format=csv&table=by_focus_area")
    assert csv_text.status_code == 200 and csv_text.text.startswith("Focus areas,Pledges,USD attributed")
    assert client.get(f"/reports/p2c/{YEAR}?format=csv&table=nope").status_code == 404
    french = client.get(f"/reports/p2c/{YEAR}?lang=fr")
    assert "Principales conclusions" in french.text
    assert client.get("/reports").status_code == 200
    assert client.get("/reports/nope/2025").status_code == 404
    assert client.get(f"/reports/p2c/{YEAR}?as_of=2999-01-01").status_code == 422
    assert client.get(f"/reports/p2c/{YEAR}/pdf").status_code == 404  # not built yet
