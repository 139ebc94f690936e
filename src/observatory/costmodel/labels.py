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
    "saving_usd": N_("Saving against the baseline (USD a year)"),
}
ORIGIN_NAMES = {
    "user": N_("your value"),
    "data": N_("country data"),
    "default": N_("default"),
    "missing": N_("not available"),
}
