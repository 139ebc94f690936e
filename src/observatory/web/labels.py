"""The platform's coded values in the reader's language: the registry's codes (stakeholder types, statuses,
review states…), the reference data's names (countries, regions, groups, focus areas, pillars), and the
names of the forms' fields."""

from __future__ import annotations

from observatory import reference
from observatory.i18n import N_, translations
from observatory.web.render import Web

# English names of the registry's codes (translated when shown).
CODE_NAMES = {
    "government": N_("Government"), "private_sector": N_("Private sector"),
    "international_organisation": N_("International organisation"), "un_entity": N_("UN entity"),
    "financial_institution": N_("Financial institution"), "academia": N_("Academia"),
    "civil_society": N_("Civil society"), "financial": N_("Financial"), "programmatic": N_("Programmatic"),
    "policy": N_("Policy"), "advocacy": N_("Advocacy"), "planned": N_("Planned"), "in_progress": N_("In progress"),
    "completed": N_("Completed"), "discontinued": N_("Discontinued"), "draft": N_("Draft"),
    "submitted": N_("Submitted"), "published": N_("Published"), "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"), "member_state": N_("Member State"), "sector_member": N_("Sector Member"),
    "associate": N_("Associate"), "none": N_("None"), "not_applicable": N_("Not applicable"), "global": N_("Global"),
    "unspecified": N_("Unspecified"),
    "stated": N_("Stated by the pledger"), "converted": N_("Converted"), "green": N_("Green"), "amber": N_("Amber"),
    "red": N_("Red"), "not_due": N_("Not yet due"), "other": N_("Not in an ITU region"),
    # beneficiary groups pledges name
    "rural_communities": N_("Rural communities"), "women_and_girls": N_("Women and girls"), "youth": N_("Youth"),
    "persons_with_disabilities": N_("Persons with disabilities"), "entrepreneurs_smes": N_("Entrepreneurs and SMEs"),
    "students": N_("Students"), "indigenous_peoples": N_("Indigenous peoples"),
    "refugees_displaced": N_("Refugees and displaced persons"), "older_persons": N_("Older persons"),
    "general_population": N_("General population"), "governments": N_("Governments"),
}  # fmt: skip


def label(web: Web, by: str, key: str) -> str:
    """A breakdown key in the reader's language."""
    return label_in(web.language, by, key)


def label_in(language: str, by: str, key: str) -> str:
    """A breakdown key (country, region, focus area, pillar, country group, or a registry code) in ``language``."""
    french = language == "fr"
    if by == "country":
        country = reference.countries().get(key)
        if country:
            return country.name_fr if french else country.name_en
    if by == "region" and key in reference.ITU_REGIONS:
        return reference.ITU_REGIONS[key][1 if french else 0]
    if by == "focus_area" and key in reference.focus_areas():
        return reference.focus_areas()[key][1 if french else 0]
    if by == "pillar" and key in reference.pillars():
        p = reference.pillars()[key]
        return p.name_fr if french else p.name_en
    if by == "country_group" and key in reference.COUNTRY_GROUPS:
        return reference.COUNTRY_GROUPS[key][1 if french else 0]
    return translations(language).gettext(CODE_NAMES.get(key, key.replace("_", " ").capitalize()))


_STAKEHOLDER_TYPES = (
    "government", "private_sector", "international_organisation", "un_entity", "financial_institution", "academia",
    "civil_society", "unspecified",
)  # fmt: skip


def _named(web: Web, *codes: str) -> dict[str, str]:
    return {code: web.gettext(CODE_NAMES[code]) for code in codes}


def choices(web: Web) -> dict[str, dict[str, str]]:
    """The coded values the registry's and the accounts' pages show, field by field, in the reader's language."""
    g = web.gettext
    return {
        "review_state": {
            "draft": g("Draft"),
            "submitted": g("Submitted for review"),
            "published": g("Published"),
            "rejected": g("Rejected"),
            "withdrawn": g("Withdrawn"),
        },
        "pledge_type": _named(web, "financial", "programmatic", "policy", "advocacy"),
        "status": _named(web, "planned", "in_progress", "completed", "discontinued"),
        "stakeholder_type": _named(web, *_STAKEHOLDER_TYPES),
        "itu_membership": {
            "member_state": g("ITU Member State"),
            "sector_member": g("ITU Sector Member"),
            "associate": g("ITU Associate"),
            "academia": g("ITU Academia member"),
            "none": g("Not an ITU member"),
            "not_applicable": g("Not applicable (ITU itself)"),
            "unspecified": g("ITU membership not known yet"),
        },
        "health": {
            "green": g("Reported in the last 12 months"),
            "amber": g("Last report 12 to 24 months old"),
            "red": g("No report for over 24 months, or none yet"),
            "not_due": g("First report not due yet"),
        },
        "report": {"overdue": g("Report overdue"), "due": g("Report due soon")},
        "role": {"pledger": g("Pledger"), "secretariat": g("Secretariat"), "admin": g("Administrator")},
    }


def health_names(web: Web) -> dict[str, str]:
    """The short names of a pledge's reporting health (green, amber, red, not yet due)."""
    return _named(web, "green", "amber", "red", "not_due")


def field_labels(web: Web) -> dict[str, str]:
    """The names of the registry's and the accounts' form fields, in the reader's language."""
    g = web.gettext
    return {
        "organisation": g("Organisation"),
        "pledger": g("Organisation"),
        "title": g("Title"),
        "description": g("Description"),
        "pledge_type": g("Type of pledge"),
        "focus_areas": g("Focus areas"),
        "pillars": g("Pillars"),
        "target_countries": g("Target countries"),
        "value": g("Value"),
        "currency": g("Currency"),
        "value_usd": g("Value in USD"),
        "start_year": g("Start year"),
        "end_year": g("End year"),
        "announced_on": g("Announcement date"),
        "event": g("Event"),
        "status": g("Status"),
        "sdgs": g("Sustainable Development Goals"),
        "beneficiary_groups": g("Beneficiary groups"),
        "partners": g("Partners"),
        "source_url": g("Source (web address)"),
        "language": g("Language of the title and description"),
        "review_state": g("Review state"),
        "review_note": g("Note from the secretariat"),
        "year": g("Year"),
        "percent_complete": g("Per cent complete"),
        "usd_disbursed": g("USD disbursed"),
        "usd_committed": g("USD committed"),
        "completed_on": g("Completed on"),
        "status_reason": g("Why the pledge was discontinued"),
        "finance_note": g("Finance note"),
        "due_on": g("Due on"),
        "people_reached": g("People reached"),
        "narrative": g("What was done"),
        "name": g("Name"),
        "country": g("Country"),
        "stakeholder_type": g("Type of stakeholder"),
        "itu_membership": g("ITU membership"),
        "email": g("E-mail address"),
        "role": g("Role"),
        "form": g("Form"),
    }
