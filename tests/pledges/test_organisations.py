"""Organisations, on SQLite and PostgreSQL: correcting one (other names, stale edits, names already taken),
merging two (pledges as pledger and as partner, pledgers' accounts, the audit log, all or nothing), the sample's
organisations, and what an upload preview says about the organisations it would create."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from observatory import audit
from observatory.accounts import service as accounts
from observatory.accounts.models import Membership
from observatory.db import transaction
from observatory.errors import Conflict, Invalid
from observatory.pledges import service
from observatory.pledges.csvio import import_pledges, import_sample
from observatory.pledges.models import Organisation, Pledge, PledgePartner
from observatory.pledges.schemas import OrganisationIn, PledgeIn

ACTOR = "secretariat@itu.example"


def org(engine: Engine, name: str, kind: str = "government", country: str | None = "SEN") -> int:
    with transaction(engine) as session:
        return service.upsert_organisation(
            session, OrganisationIn(name=name, stakeholder_type=kind, country=country), ACTOR
        ).id


def pledge(engine: Engine, pledger: int, title: str, partners: list[str] | None = None) -> str:
    with transaction(engine) as session:
        o = service.organisation_dict(session.get_one(Organisation, pledger))
        data = PledgeIn.model_validate(
            {"pledger": {k: v for k, v in o.items() if k != "id"}, "title": title, "focus_areas": ["access"],
             "partners": partners or [], "review_state": "published"}
        )  # fmt: skip
        return service.create_pledge(session, data, ACTOR).reference


def record(engine: Engine, org_id: int) -> dict[str, Any]:
    with transaction(engine) as session:
        return service.organisation_record(session.get_one(Organisation, org_id))


def revision(engine: Engine) -> int:
    with transaction(engine) as session:
        return service.current_revision(session)


def test_correcting_an_organisation_keeps_its_other_names_and_finds_it_under_them(engine: Engine) -> None:
    gha = org(engine, "Ministry of Communications", country="GHA")
    ref = pledge(engine, gha, "Rural telephony")
    before, rev = record(engine, gha), revision(engine)
    with transaction(engine) as session:
        changes = {
            "name": "Ministry of Communications and Digitalisation",
            "other_names": [
                "Ministry of Communications",
                " MoCD ",
                "mocd",
                "Ministry of Communications and Digitalisation",
            ],
            "stakeholder_type": "government",
            "itu_membership": "member_state",
        }
        service.update_organisation(session, gha, changes, before["fingerprint"], ACTOR)
    after = record(engine, gha)
    # The old name becomes an other name; repeats (ignoring case and blanks) and the name itself are dropped.
    assert after["other_names"] == ["Ministry of Communications", "MoCD"]
    assert after["itu_membership"] == "member_state" and after["fingerprint"] != before["fingerprint"]
    assert revision(engine) == rev + 1
    with transaction(engine) as session:
        assert service.find_organisation(session, "  mocd ").id == gha  # type: ignore[union-attr]
        assert [o.id for o in service.search_organisations(session, "MoC", 1, 10)[0]] == [gha]
        assert "Digitalisation" in session.scalars(select(Pledge.search_text).where(Pledge.reference == ref)).one()
        entry = session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.entity == "organisation")).all()[-1]
        assert entry.action == "update" and entry.before == before and entry.after == after
    # An import naming the organisation by an other name finds it: no new organisation, and the pledge is matched.
    csv = "pledger,pledger_type,title,focus_areas\nMOCD,government,Rural telephony,access\n"
    with transaction(engine) as session:
        result = import_pledges(session, io.BytesIO(csv.encode()), ACTOR)
        assert (result.created, result.new_organisations) == (0, [])
        assert session.scalar(select(func.count()).select_from(Organisation)) == 1


def test_a_stale_edit_a_name_taken_and_a_bad_value_change_nothing(engine: Engine) -> None:
    a = org(engine, "Agence du numérique")
    b = org(engine, "Autorité de régulation", country="CIV")
    with transaction(engine) as session:
        service.update_organisation(session, b, {"other_names": ["ARTCI"]}, record(engine, b)["fingerprint"], ACTOR)
    stale = record(engine, a)["fingerprint"]
    with transaction(engine) as session:
        service.update_organisation(session, a, {"country": "GMB"}, stale, ACTOR)
    kept = record(engine, a)
    rev = revision(engine)
    with transaction(engine) as session, pytest.raises(Conflict):
        service.update_organisation(session, a, {"country": "MLI"}, stale, ACTOR)
    for changes, what in (
        ({"name": "AUTORITÉ  de régulation"}, "Autorité de régulation"),
        ({"other_names": ["artci"]}, "ARTCI"),
    ):
        with transaction(engine) as session, pytest.raises(service.NameTaken) as taken:
            service.update_organisation(session, a, changes, kept["fingerprint"], ACTOR)
        assert (
            taken.value.other.id == b and taken.value.status == 409 and what.casefold() in str(taken.value).casefold()
        )
    with transaction(engine) as session, pytest.raises(Invalid, match="stakeholder_type"):
        service.update_organisation(session, a, {"stakeholder_type": "alien"}, kept["fingerprint"], ACTOR)
    assert record(engine, a) == kept and revision(engine) == rev


def test_merging_moves_pledges_partnerships_and_pledgers_and_keeps_both_names(engine: Engine) -> None:
    itu = org(engine, "International Telecommunication Union (ITU)", "un_entity", None)
    dup = org(engine, "ITU", "civil_society", None)  # the duplicate an import made of a partner's acronym
    bmz = org(engine, "BMZ", country="DEU")
    own = pledge(engine, dup, "Training for regulators")  # the duplicate as pledger
    both = pledge(engine, bmz, "GovStack", ["ITU", "International Telecommunication Union (ITU)"])  # both partners
    partner = pledge(engine, bmz, "Digital skills", ["ITU"])  # the duplicate as partner
    crossed = pledge(engine, itu, "Connect schools", ["ITU"])  # one as pledger, the other as partner
    with transaction(engine) as session:
        member_of_both = accounts.create_user(session, "both@itu.example", "pledger", [itu, dup])
        member_of_dup = accounts.create_user(session, "dup@itu.example", "pledger", [dup])
        users = (member_of_both.id, member_of_dup.id)
    gone = record(engine, dup)
    with transaction(engine) as session:
        plan = service.merge_plan(session, itu, dup)
        assert plan.counts() == {
            "pledges_moved": 1,
            "partnerships_moved": 1,
            "partnerships_dropped": 2,
            "pledgers_moved": 1,
        }
    with transaction(engine) as session:
        service.merge_organisations(session, itu, dup, ACTOR, seen=record(engine, itu)["fingerprint"],
                                    merged_seen=gone["fingerprint"])  # fmt: skip
    with transaction(engine) as session:
        assert session.get(Organisation, dup) is None
        survivor = session.get_one(Organisation, itu)
        assert survivor.other_names == ["ITU"]
        pledges = {p.reference: p for p in session.scalars(select(Pledge))}
        assert pledges[own].pledger_id == itu and pledges[own].version == 2
        names = {ref: sorted(pp.organisation_id for pp in p.partners) for ref, p in pledges.items()}
        assert names == {own: [], both: [itu], partner: [itu], crossed: []}
        assert (
            session.scalar(select(func.count()).select_from(PledgePartner).where(PledgePartner.organisation_id == dup))
            == 0
        )
        memberships = sorted(session.execute(select(Membership.user_id, Membership.organisation_id)).all())
        assert memberships == sorted([(users[0], itu), (users[1], itu)])
        entries = session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "merge")).all()
        merge = [e for e in entries if e.entity == "organisation"]
        assert len(merge) == 1 and merge[0].before == {"kept": merge[0].before["kept"], "merged": gone}  # type: ignore[index]
        assert merge[0].after["kept"]["other_names"] == ["ITU"]  # type: ignore[index]
        assert {e.entity_key for e in entries if e.entity == "pledge"} == {own, both, partner, crossed}
        # The merged name now finds the survivor: a pledge naming "ITU" as partner creates nothing.
        assert service.find_organisation(session, "itu").id == itu  # type: ignore[union-attr]


def test_merging_refuses_itself_and_a_stale_record_and_leaves_nothing_half_done(engine: Engine) -> None:
    a = org(engine, "Vodafone Group", "private_sector", "GBR")
    b = org(engine, "Vodafone", "civil_society", "GBR")
    ref = pledge(engine, b, "Four LDCs")
    with transaction(engine) as session, pytest.raises(Invalid, match="itself"):
        service.merge_organisations(session, a, a, ACTOR)
    stale = record(engine, b)["fingerprint"]
    with transaction(engine) as session:
        service.update_organisation(session, b, {"stakeholder_type": "private_sector"}, stale, ACTOR)
    rev = revision(engine)
    with transaction(engine) as session, pytest.raises(Conflict):
        service.merge_organisations(session, a, b, ACTOR, merged_seen=stale)
    with transaction(engine) as session:
        assert session.get(Organisation, b) is not None and service.get_pledge(session, ref).pledger_id == b
    assert revision(engine) == rev
    # An error in the middle of the merge (here: the audit log refuses to write) rolls all of it back.
    with pytest.raises(RuntimeError), transaction(engine) as session:
        service.merge_organisations(session, a, b, ACTOR)
        raise RuntimeError("the database went away")
    with transaction(engine) as session:
        assert session.get(Organisation, b) is not None and service.get_pledge(session, ref).pledger_id == b


def test_the_sample_organisations_are_what_the_sources_say(engine: Engine) -> None:
    with transaction(engine) as session:
        (created, corrected), result = import_sample(session, ACTOR)
        assert (created, corrected, result.created) == (21, 0, 18)
        by_name = {o.name: o for o in service.organisations(session)}
        assert len(by_name) == 21  # every pledger and partner comes from the organisations file
        expected = {
            "International Telecommunication Union (ITU)": ("un_entity", "not_applicable", None),
            "Government of Estonia": ("government", "member_state", "EST"),
            "Deutsche Gesellschaft für Internationale Zusammenarbeit (GIZ)": ("government", "sector_member", "DEU"),
            "Ministry of Posts and Telecommunications of Cambodia (MPTC)": ("government", "member_state", "KHM"),
        }
        for name, fields in expected.items():
            o = by_name[name]
            assert (o.stakeholder_type, o.itu_membership, o.country) == fields, name
        assert all(o.stakeholder_type != "unspecified" for o in by_name.values())
    # A registry loaded before the organisations file existed (partners as "civil society") is corrected.
    with transaction(engine) as session:
        itu = by_name["International Telecommunication Union (ITU)"]
        session.get_one(Organisation, itu.id).stakeholder_type = "civil_society"
    with transaction(engine) as session:
        (created, corrected), result = import_sample(session, ACTOR)
        assert (created, corrected, result.created, result.unchanged) == (0, 1, 0, 18)
        assert session.get_one(Organisation, itu.id).stakeholder_type == "un_entity"


def test_a_partner_known_by_its_name_alone_is_unspecified_not_civil_society(engine: Engine) -> None:
    a = org(engine, "Ministère du Numérique")
    pledge(engine, a, "Connect schools", ["Fondation Inconnue"])
    with transaction(engine) as session:
        partner = service.find_organisation(session, "Fondation Inconnue")
        assert partner is not None and (partner.stakeholder_type, partner.itu_membership) == (
            "unspecified",
            "unspecified",
        )


def test_the_preview_lists_new_organisations_near_matches_and_values_without_usd(engine: Engine) -> None:
    org(engine, "Ministère du Numérique")
    csv = (
        "pledger,pledger_type,pledger_country,title,focus_areas,partners,value,currency,announced_on\n"
        "Ministere du numerique,government,SEN,Connect schools,access,GIZ,100,USD,2024-02-01\n"
        "Acme Telecom,private_sector,KEN,Rural towers,access,,5000,EUR,2031-03-01\n"
        "GIZ,government,DEU,Skills,adoption,Acme Telecom,,,2024-03-01\n"
    )
    with transaction(engine) as session:
        result = import_pledges(session, io.BytesIO(csv.encode()), ACTOR, dry_run=True, skip_invalid=True)
        assert session.scalar(select(func.count()).select_from(Organisation)) == 1  # nothing written
    new = {o.name: o for o in result.new_organisations}
    assert set(new) == {"Ministere du numerique", "GIZ", "Acme Telecom"} and result.new_organisation_count == 3
    assert new["Ministere du numerique"].near == ["Ministère du Numérique"]  # a typo, not a new organisation
    assert new["GIZ"].lines == [2, 4] and new["GIZ"].as_pledger and new["GIZ"].stakeholder_type == "government"
    assert new["Acme Telecom"].stakeholder_type == "private_sector" and new["Acme Telecom"].country == "KEN"
    assert [(w.line, w.currency, w.year) for w in result.without_usd] == [(3, "EUR", 2031)]
