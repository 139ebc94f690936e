"""The registry's queries, on SQLite and PostgreSQL, as the pages and the API ask them: an organisation's
pledges as pledger and as partner (who sees what not yet published), the review queue, counts per pledger,
searching organisations, a reporting record; and files imported in a transaction of their own, logged."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from observatory.auth import ANONYMOUS, Principal, Role
from observatory.db import transaction
from observatory.errors import NotFound
from observatory.pledges import service
from observatory.pledges.breakdowns import reporting_record
from observatory.pledges.csvio import ImportRejected, csv_chunks, import_file, write_csv
from observatory.pledges.query import PledgeFilter, iter_pledges
from tests.pledges.test_import import GOOD, HEADER
from tests.pledges.test_portal import make_organisation, make_pledge


def test_an_organisations_pledges_as_pledger_and_as_partner(engine: Engine) -> None:
    own, other = make_organisation(engine), make_organisation(engine, "Ministry of ICT", "KEN")
    published = make_pledge(engine, own, "published", title="Published", partners=["Ministry of ICT"])
    draft = make_pledge(engine, own, "draft", title="Draft", partners=["Ministry of ICT"])
    make_pledge(engine, other, "published", title="Theirs")
    with transaction(engine) as session:
        shown, total = service.organisation_pledges(session, own, include_unpublished=False, limit=10)
        assert ([p.reference for p in shown], total) == ([published], 1)
        shown, total = service.organisation_pledges(session, own, include_unpublished=True, limit=1)
        assert (len(shown), total) == (1, 2)
        for unpublished_of, expected in (((), [published]), ([other], [published]), ([own], sorted([published, draft])),
                                         (None, sorted([published, draft]))):  # fmt: skip
            shown, total = service.partner_pledges(session, other, unpublished_of, limit=10)
            assert (sorted(p.reference for p in shown), total) == (expected, len(expected))
        assert service.pledges_by_pledger(session) == {own: 2, other: 1}
        assert service.pledges_by_pledger(session, [own], published_only=True) == {own: 1}
        assert [p.reference for p in service.pledges_of(session, [own])] == [draft, published]
        assert service.organisation_names(session, [own, 999]) == {own: "Ministère du Numérique"}
        assert [o.id for o in service.member_organisations(session, [own, other])] == [other, own]
        assert reporting_record(session, own) == {"green": 0, "amber": 0, "red": 1, "not_due": 0}


def test_who_may_see_a_pledge_not_yet_published(engine: Engine) -> None:
    own = make_organisation(engine)
    draft = make_pledge(engine, own, "draft")
    pledger = Principal("amina@numerique.example", Role.PLEDGER, 1, frozenset({own}))
    stranger = Principal("other@example.org", Role.PLEDGER, 2, frozenset({own + 1}))
    with transaction(engine) as session:
        assert service.visible_pledge(session, draft, pledger).reference == draft
        for principal in (ANONYMOUS, stranger):
            with pytest.raises(NotFound):
                service.visible_pledge(session, draft, principal)


def test_the_review_queue_and_the_organisations_search(engine: Engine) -> None:
    own = make_organisation(engine)
    make_organisation(engine, "Ministry of ICT", "KEN")
    first = make_pledge(engine, own, "submitted", title="First")
    second = make_pledge(engine, own, "submitted", title="Second")
    make_pledge(engine, own, "draft")
    with transaction(engine) as session:
        assert [p.reference for p in service.review_queue(session, 10)] == [first, second]
        assert [p.reference for p in service.review_queue(session, 1)] == [first]
        found, total = service.search_organisations(session, "  MINISTRY   of ", 1, 10)
        assert total == 1 and [o.name for o in found] == ["Ministry of ICT"]
        pages = [service.search_organisations(session, "", page, 1) for page in (1, 2, 3)]
        assert [total for _found, total in pages] == [2, 2, 2]
        assert sorted(o.name for found, _total in pages for o in found) == ["Ministry of ICT", "Ministère du Numérique"]
        assert service.get_organisation(session, own).id == own
        with pytest.raises(NotFound):
            service.get_organisation(session, 999)


def test_a_file_is_imported_and_committed_or_refused_and_logged(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", "observatory.pledges.csvio")
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    bad.write_text(f"{HEADER}\n{GOOD.replace(',USD,', ',USX,')}\n", encoding="utf-8")
    with pytest.raises(ImportRejected):
        import_file(engine, bad, "secretariat@itu.example")
    assert "import of bad.csv by secretariat@itu.example refused: 1 problem(s) on 1 line(s)" in caplog.text
    result = import_file(engine, good, "secretariat@itu.example")
    assert result.created == 1
    assert "import of good.csv by secretariat@itu.example committed (published): 1 created" in caplog.text
    with transaction(engine) as session:
        whole = io.StringIO()
        write_csv(iter_pledges(session, PledgeFilter()), whole)
        assert "".join(csv_chunks(iter_pledges(session, PledgeFilter()), rows=1)) == whole.getvalue()
