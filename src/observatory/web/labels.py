"""The platform's coded values in the reader's language: the registry's codes (stakeholder types, statuses,
review states…) and the reference data's names (countries, regions, groups, focus areas, pillars)."""

from __future__ import annotations

from observatory import reference
from observatory.i18n import N_
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
    "associate": N_("Associate"), "none": N_("None"), "global": N_("Global"), "unspecified": N_("Unspecified"),
    "stated": N_("Stated by the pledger"), "converted": N_("Converted"), "green": N_("Green"), "amber": N_("Amber"),
    "red": N_("Red"), "not_due": N_("Not yet due"), "other": N_("Not in an ITU region"),
}  # fmt: skip


def label(web: Web, by: str, key: str) -> str:
    """A breakdown key in the reader's language."""
    if by == "country":
        country = reference.countries().get(key)
        if country:
            return country.name_fr if web.language == "fr" else country.name_en
    if by == "region" and key in reference.ITU_REGIONS:
        return reference.ITU_REGIONS[key][1 if web.language == "fr" else 0]
    if by == "focus_area" and key in reference.focus_areas():
        return reference.focus_areas()[key][1 if web.language == "fr" else 0]
    if by == "pillar" and key in reference.pillars():
        p = reference.pillars()[key]
        return p.name_fr if web.language == "fr" else p.name_en
    if by == "country_group" and key in reference.COUNTRY_GROUPS:
        return reference.COUNTRY_GROUPS[key][1 if web.language == "fr" else 0]
    return web.gettext(CODE_NAMES.get(key, key.replace("_", " ").capitalize()))
