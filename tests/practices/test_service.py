"""The library's rules, on SQLite and PostgreSQL: who may submit and publish, pledge links, optimistic
locking, the audit log and the cases as of a day."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select, update

from observatory.audit import AuditEntry
from observatory.auth import CLI, Forbidden, Principal, Role
from observatory.db import transaction
from observatory.errors import Conflict, Invalid
from observatory.practices import practices_as_of, service, spotlights_as_of
from observatory.practices.schemas import PracticeFields
from tests.pledges.test_portal import make_organisation, make_pledge
from tests.practices.helpers import case_fields, make_case


def pledger(org: int) -> Principal:
    return Principal("pledger@numerique.example", Role.PLEDGER, organisations=frozenset({org}))


def test_submit_review_publish_return(engine: Engine) -> None:
    org = make_organisation(engine)
    ref = make_case(engine, org)
    with transaction(engine) as session:
        assert [p.reference for p in service.review_queue(session)] == [ref]
        assert service.list_practices(session, service.PracticeFilter()) == []
        p = service.publish_practice(session, ref, 1, CLI)
        assert p.review_state == "published" and p.version == 2
        assert [r["reference"] for r in service.list_practices(session, service.PracticeFilter())] == [ref]
        service.return_practice(session, ref, 2, "Give the year of the figures.", CLI)
        assert service.list_practices(session, service.PracticeFilter()) == []
        entries = service.history(session, ref)
    assert [e.action for e in entries] == ["create", "publish", "return"]
    assert entries[1].before is not None and entries[1].before["review_state"] == "submitted"
    assert entries[2].after is not None and entries[2].after["review_note"] == "Give the year of the figures."
    assert entries[2].after["contact_email"] == "awa.diop@numerique.example"  # full records in the audit log


def test_a_pledger_cannot_submit_for_another_organisation_nor_publish(engine: Engine) -> None:
    org = make_organisation(engine)
    other = make_organisation(engine, "Autorité de régulation", "CIV")
    data = PracticeFields.model_validate(case_fields())
    with transaction(engine) as session, pytest.raises(Forbidden):
        service.create_practice(session, data, other, pledger(org))
    with transaction(engine) as session, pytest.raises(Forbidden):
        service.create_practice(session, data, org, pledger(org), "published")
    with transaction(engine) as session, pytest.raises(Forbidden):
        service.create_practice(session, data, None, pledger(org))  # on behalf of a country: the secretariat's
    ref = make_case(engine, org)
    with transaction(engine) as session, pytest.raises(Forbidden):
        service.publish_practice(session, ref, 1, pledger(org))
    with transaction(engine) as session:
        service.publish_practice(session, ref, 1, CLI)
    with transaction(engine) as session, pytest.raises(Forbidden):  # published: no longer the pledger's to change
        service.update_practice(session, ref, 2, data, pledger(org), "submitted")


def test_pledge_links_are_checked_against_the_registry(engine: Engine) -> None:
    org = make_organisation(engine)
    published = make_pledge(engine, org, review_state="published")
    draft = make_pledge(engine, org)
    data = PracticeFields.model_validate(case_fields(pledges=["P2C-2023-99999"]))
    with transaction(engine) as session, pytest.raises(Invalid, match="P2C-2023-99999"):
        service.create_practice(session, data, org, pledger(org))
    ref = make_case(engine, org, "published", pledges=[published.lower(), draft])
    with transaction(engine) as session:
        p = service.get_practice(session, ref)
        assert p.pledges == sorted([published, draft])
        assert service.public_practice(session, p)["pledges"] == [published]  # an unpublished pledge stays unseen
        assert [c.reference for c in service.practices_for_pledge(session, published)] == [ref]


def test_a_stale_version_is_refused(engine: Engine) -> None:
    org = make_organisation(engine)
    ref = make_case(engine, org)
    data = PracticeFields.model_validate(case_fields(title="Community networks, phase 2"))
    with transaction(engine) as session:
        service.update_practice(session, ref, 1, data, pledger(org))
    with transaction(engine) as session, pytest.raises(Conflict):
        service.update_practice(session, ref, 1, data, pledger(org))
    with transaction(engine) as session:  # the same content again: no new version
        assert service.update_practice(session, ref, 2, data, pledger(org)).version == 2


def test_bad_fields_name_themselves() -> None:
    with pytest.raises(ValidationError) as caught:
        PracticeFields.model_validate(
            case_fields(country="XXX", focus_areas=[], contact_email="nobody", licence="GPL", result_figures="a")
        )
    fields = {e["loc"][0] for e in caught.value.errors()}
    assert fields == {"country", "focus_areas", "contact_email", "licence", "result_figures"}
    figures = PracticeFields.model_validate(
        case_fields(result_figures="Schools | 1,200 | schools | 2023\nTowers | 40", licence="CC BY-SA 4.0"),
        context={"numbers": "en"},
    )
    assert [(f.label, f.value, f.year) for f in figures.result_figures] == [
        ("Schools", 1200.0, 2023),
        ("Towers", 40.0, None),
    ]
    assert figures.licence == "cc_by_sa_4"


def test_filters(engine: Engine) -> None:
    make_case(engine, None, "published")
    make_case(engine, None, "published", title="Giga in Kenya", country="KEN", focus_areas=["adoption"], pillars=[],
              year=2019)  # fmt: skip
    make_case(engine, None, "published", title="Smart islands", country=None, other_countries=["VUT", "FJI"])

    def refs(**f: object) -> list[str]:
        with transaction(engine) as session:
            return [r["title"] for r in service.list_practices(session, service.PracticeFilter(**f))]  # type: ignore[arg-type]

    assert refs(country="KEN") == ["Giga in Kenya"]
    assert refs(country="FJI") == ["Smart islands"]
    assert refs(region="africa") == ["Community networks in the Casamance", "Giga in Kenya"]
    assert refs(region="asia_pacific") == ["Smart islands"]
    assert refs(focus_area="adoption") == ["Giga in Kenya"]
    assert refs(pillar="infrastructure") == ["Community networks in the Casamance", "Smart islands"]
    assert refs(year=2019) == ["Giga in Kenya"]
    assert refs(q="casamance VILLAGES") == ["Community networks in the Casamance"]
    assert refs(q="Sénégal") == ["Community networks in the Casamance"]  # by the country's French name


def test_practices_as_of_ignores_later_changes(engine: Engine) -> None:
    org = make_organisation(engine)
    ref = make_case(engine, org, "published")
    later = make_case(engine, org, "published", title="Published later")
    with transaction(engine) as session:
        session.execute(update(AuditEntry).values(at=dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)))
        p = service.get_practice(session, ref)
        service.set_spotlight(session, ref, p.version, 2025, True, CLI)
        data = PracticeFields.model_validate(case_fields(title="Renamed after the day"))
        service.update_practice(session, ref, p.version, data, CLI)
        session.execute(
            update(AuditEntry).where(AuditEntry.entity_key == later).values(at=dt.datetime(2025, 1, 3, tzinfo=dt.UTC))
        )
    with transaction(engine) as session:
        assert practices_as_of(session, dt.date(2024, 5, 31)) == []
        then = practices_as_of(session, dt.date(2024, 12, 31))
        now = practices_as_of(session, dt.date.today())
        spot = spotlights_as_of(session, 2025, dt.date.today())
        spot_then = spotlights_as_of(session, 2025, dt.date(2024, 12, 31))
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.entity_key == ref)) is not None
    assert [(r.ref, r.title, r.spotlight_years) for r in then] == [(ref, "Community networks in the Casamance", [])]
    assert "contact_email" not in then[0].__dataclass_fields__
    assert {r.title for r in now} == {"Renamed after the day", "Published later"}
    assert [r.ref for r in spot] == [ref] and spot_then == []
