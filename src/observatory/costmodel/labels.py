"""The cost model's words, in English, translated when shown (``observatory.i18n``): its parameters, units,
scenarios, results and where a value came from."""

from __future__ import annotations

from observatory.i18n import N_

PARAMETER_NAMES = {
    "users": N_("Internet users"),
    "busy_hour_kbps_per_user": N_("Busy-hour traffic per user"),
    "domestic_share": N_("Domestic share of traffic"),
    "local_exchange_share": N_("Domestic traffic exchanged locally"),
    "target_local_exchange_share": N_("Scenario: domestic traffic exchanged locally"),
    "utilisation": N_("Busy-hour utilisation of capacity"),
    "transit_price": N_("IP transit price"),
    "competition_price_reduction": N_("Scenario: transit price reduction"),
    "ixp_operating_cost": N_("IXP operating cost"),
    "backhaul_km": N_("Cross-border backhaul distance"),
    "backhaul_price": N_("Backhaul price"),
    "backhaul_price_reduction": N_("Scenario: backhaul price reduction"),
    "gni_per_capita_month": N_("Monthly GNI per capita"),
}
# The units of defaults.csv, in the reader's language.
UNIT_NAMES = {
    "USD per Mbit/s per month": N_("USD per Mbit/s per month"),
    "USD per Mbit/s per month per 100 km": N_("USD per Mbit/s per month per 100 km"),
    "USD per person per month": N_("USD per person per month"),
    "USD per year": N_("USD per year"),
    "kbit/s per user": N_("kbit/s per user"),
    "km": N_("km"),
    "people": N_("people"),
    "share of capacity": N_("share of capacity"),
    "share of domestic traffic": N_("share of domestic traffic"),
    "share of the backhaul price": N_("share of the backhaul price"),
    "share of the transit price": N_("share of the transit price"),
    "share of traffic": N_("share of traffic"),
}

SCENARIO_NAMES = {
    "baseline": N_("Baseline"),
    "local_exchange": N_("More local exchange at an IXP"),
    "more_upstreams": N_("Additional upstream providers"),
    "backhaul": N_("Cheaper cross-border backhaul"),
    "combined": N_("All together"),
}
RESULT_NAMES = {
    "capacity_mbps": N_("International capacity (Mbit/s)"),
    "transit_cost_usd": N_("IP transit (USD a year)"),
    "backhaul_cost_usd": N_("Cross-border backhaul (USD a year)"),
    "ixp_cost_usd": N_("IXP operation (USD a year)"),
    "total_cost_usd": N_("Total (USD a year)"),
    "cost_per_user_month_usd": N_("Per user per month (USD)"),
    "cost_per_user_pct_gni": N_("Per user, share of monthly GNI per capita (%)"),
    "gross_saving_usd": N_("Transit and backhaul saved (USD a year)"),
    "saving_usd": N_("Saving against the baseline (USD a year)"),
}
ORIGIN_NAMES = {
    "user": N_("your value"),
    "data": N_("country data"),
    "default": N_("default"),
    "missing": N_("not available"),
}

# What a scenario changes from the baseline (``scenario_notes``), and why it adds nothing where it does.
CHANGE_SENTENCES = {
    "local_exchange": N_(
        "Raises the share of domestic traffic exchanged locally from %(baseline)s (the country's baseline) to "
        "%(target)s."
    ),
    "more_upstreams": N_("Lowers the IP transit price from %(baseline)s to %(target)s USD per Mbit/s per month."),
    "backhaul": N_(
        "Lowers the cross-border backhaul price from %(baseline)s to %(target)s USD per Mbit/s per month per 100 km."
    ),
    "combined": N_("The three changes together, each from the country's baseline."),
}
NOTHING_SENTENCES = {
    "at_or_above_target": N_(
        "Adds nothing: the baseline already exchanges %(baseline)s of domestic traffic locally, at or above the "
        "scenario's target of %(target)s. Set a higher target to see what more local exchange would save."
    ),
    "no_domestic_traffic": N_(
        "Adds nothing: with a domestic share of traffic of 0 there is no domestic traffic to keep in the country."
    ),
    "no_price_reduction": N_("Adds nothing: the scenario's price reduction is 0."),
    "nothing_to_reduce": N_("Adds nothing: there is no international capacity or price for it to reduce."),
    "every_lever": N_("Adds nothing: none of the scenarios changes anything for this country."),
}
COSTS_MORE = N_(
    "Costs more than it saves: the IXP's operating cost (%(ixp)s USD a year) exceeds the transit and backhaul it "
    "saves (%(gross)s USD a year)."
)

# How the share of domestic traffic exchanged locally was estimated (``local_exchange_estimate``).
ESTIMATE_METHODS = {
    "membership_and_ihr": N_(
        "Estimated from IXP membership weighted by users and the Internet Health Report's IXP dependency results."
    ),
    "membership_only": N_(
        "Estimated from IXP membership weighted by users; the Internet Health Report has not measured this "
        "country's IXPs, so a typical share of members exchanging traffic (from its results elsewhere) is used."
    ),
    "no_ixp": N_("No IXP in the country: no domestic traffic is exchanged locally."),
    "regional_default": N_(
        "Neither IXP membership data nor the Internet Health Report's results cover this country: the model's "
        "default for its region is used."
    ),
}
ESTIMATE_INPUTS = {
    "member_user_share": N_("Users in networks at a domestic IXP"),
    "ixp_count": N_("IXPs in the country"),
    "seen_share": N_("Members of the country's IXPs seen exchanging traffic there (traceroutes)"),
    "domestic_dependency_share": N_("Dependencies of the country's networks on IXPs that are on a domestic IXP"),
}
APPLIES_TO = {
    "all": N_("all countries"),
    "LLDC": N_("landlocked developing countries"),
    "not_LLDC": N_("other countries"),
}
