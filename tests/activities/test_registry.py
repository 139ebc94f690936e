"""The rules of the registry of activities, on SQLite and PostgreSQL: a source is required, codes are checked
with sentences naming the field, versions guard against lost updates, every change is audited, and the registry
as of a date comes back from the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, update

from observatory.activities import service
from observatory.audit import AuditEntry
from observatory.db import transaction
from observatory.errors import Conflict, Invalid
from tests.activities.helpers import activity_values, make_activity


def test_an_activity_without_a_source_is_refused() -> None:
    with pytest.raises(service.ActivityInvalid) as refused:
        service.activity_input(activity_values(source_url=""))
    assert refused.value.errors == {
        "source_url": ["Source (web address) is required: every activity needs its source document or web address."]
    }
    with pytest.raises(service.ActivityInvalid) as bad:
        service.activity_input(activity_values(source_url="itu.int"))
    assert "web address" in bad.value.errors["source_url"][0]


def test_bad_codes_are_refused_with_a_sentence_naming_the_field() -> None:
    with pytest.raises(service.ActivityInvalid) as refused:
        service.activity_input(activity_values(topic="routing", kind="memo", areas=["Atlantis"], starts="May 2011"))
    errors = refused.value.errors
    assert errors["topic"][0].startswith("Topic: “routing” is not one of the choices. Write one of: ipv6,")
    assert errors["kind"][0].startswith("Kind of activity: “memo” is not one of the choices.")
    assert "Atlantis" in errors["areas"][0] and "ITU region" in errors["areas"][0]
    assert errors["starts"] == [
        "Start must be a date written as YYYY, YYYY-MM or YYYY-MM-DD, such as 2022 or 2022-06-15."
    ]


def test_the_rules_across_fields() -> None:
    with pytest.raises(service.ActivityInvalid) as itu:
        service.activity_input(activity_values(collaboration="joint", evidence="Joint."))
    assert list(itu.value.errors) == ["collaboration"]
    with pytest.raises(service.ActivityInvalid) as other:
        service.activity_input(activity_values(organisation="ietf", collaboration="itu"))
    assert "only for the activities of ITU" in other.value.errors["collaboration"][0]
    with pytest.raises(service.ActivityInvalid) as evidence:
        service.activity_input(activity_values(organisation="ietf", collaboration="liaison_mou"))
    assert list(evidence.value.errors) == ["evidence"]
    with pytest.raises(service.ActivityInvalid) as period:
        service.activity_input(activity_values(starts="2020-05", ends="2019"))
    assert list(period.value.errors) == ["ends"]
    ok = service.activity_input(activity_values(areas="KEN; africa", starts="2020", ends="2020-12-31"))
    assert ok.areas == ["KEN", "africa"]


def test_a_stale_version_is_refused_and_nothing_changes(engine: Engine) -> None:
    ref = make_activity(engine)
    with transaction(engine) as session:
        service.update_activity(session, ref, 1, service.activity_input(activity_values(title="Y.3001")), "a")
    with transaction(engine) as session, pytest.raises(Conflict):
        service.update_activity(session, ref, 1, service.activity_input(activity_values(title="Stale")), "b")
    with transaction(engine) as session:
        a = service.get_activity(session, ref)
        assert (a.title, a.version) == ("Y.3001", 2)
        with pytest.raises(Conflict):
            service.mark_checked(session, ref, 1, "b")


def test_every_change_is_audited_with_full_records(engine: Engine) -> None:
    ref = make_activity(engine)
    with transaction(engine) as session:
        service.mark_checked(session, ref, 1, "reviewer")
        service.withdraw_activity(session, ref, 2, "Counted twice.", "reviewer")
        with pytest.raises(Invalid):
            service.withdraw_activity(session, ref, 3, "Again.", "reviewer")
    with transaction(engine) as session:
        entries = service.history(session, ref)
        assert [e.action for e in entries] == ["create", "check", "withdraw"]
        assert entries[1].before is not None and entries[1].before["checked"] is False
        assert entries[1].after is not None and entries[1].after["checked"] is True
        assert entries[2].after is not None and entries[2].after["withdrawn_reason"] == "Counted twice."
        assert set(entries[0].after or {}) >= {"title", "source_url", "areas", "version", "collaboration"}
        assert service.list_activities(session) == []  # withdrawn: out of the registry's lists


def _backdate(engine: Engine, ref: str, day: dt.date) -> None:
    with transaction(engine) as session:
        at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        session.execute(update(AuditEntry).where(AuditEntry.entity_key == ref).values(at=at))


def test_activities_as_of_ignores_what_changed_later(engine: Engine) -> None:
    ref = make_activity(engine, starts="2024-03")
    _backdate(engine, ref, dt.date(2025, 1, 10))
    gone = make_activity(engine, title="Withdrawn later", source_url="https://www.itu.int/rec/T-REC-Y.2001")
    _backdate(engine, gone, dt.date(2025, 1, 10))
    with transaction(engine) as session:  # changed "today", long after the report's date
        changed = activity_values(title="New title", starts="2024-03")
        service.update_activity(session, ref, 1, service.activity_input(changed), "a")
        service.withdraw_activity(session, gone, 1, "Not an IP-network activity.", "a")
    with transaction(engine) as session:
        then = service.activities_as_of(session, dt.date(2025, 1, 10))
        assert sorted(r.title for r in then) == ["Recommendation ITU-T Y.3001", "Withdrawn later"]
        assert all(r.version == 1 for r in then)
        assert service.activities_as_of(session, dt.date(2025, 1, 9)) == []
        now = service.activities_as_of(session, dt.date.today())
        assert [r.title for r in now] == ["New title"]
        assert [r.ref for r in service.activities_as_of(session, dt.date.today(), year=2024)] == [ref]
        assert service.activities_as_of(session, dt.date.today(), year=2025) == []  # a one-off kind, in 2024


def test_the_summary_counts_by_organisation_sector_and_degree() -> None:
    base = service.activity_input(activity_values())
    records = [
        service.record_of({**base.model_dump(), "ref": "ACT-0001"}),
        service.record_of({**base.model_dump(), "ref": "ACT-0002", "kind": "study"}),
        service.record_of({**base.model_dump(), "ref": "ACT-0003", "organisation": "ietf", "topic": "ipv6",
                           "collaboration": "liaison_mou"}),
    ]  # fmt: skip
    counts = service.summary(records)
    assert counts["total"] == 3
    assert counts["by_sector_kind"]["itu_t"]["recommendation"] == 1
    assert counts["by_sector_kind"]["itu_t"]["study"] == 1
    assert "ietf" not in counts["by_sector_kind"]
    assert counts["by_organisation_topic"]["ietf"]["ipv6"] == 1
    assert counts["by_collaboration"] == {"none": 0, "information_exchange": 0, "liaison_mou": 1, "joint": 0, "itu": 2}


def test_labels_in_the_readers_language() -> None:
    assert service.label("topic", "ixp_interconnection") == "IXPs and interconnection"
    assert service.label("area", "africa", "fr") == "Afrique"
    assert service.label("area", "KEN", "en") == "Kenya"
    orgs = service.organisations()
    assert [o.code for o in orgs][:4] == ["itu_t", "itu_d", "itu_r", "itu_gs"]
    assert all(o.role and o.source_url.startswith("https://") and o.role_fr for o in orgs)
