"""Every table of the platform, imported in one place for the migrations."""

from observatory.pledges.models import (
    AuditEntry,
    Organisation,
    Pledge,
    PledgeCountry,
    PledgeFocusArea,
    PledgePartner,
    PledgePillar,
    ProgressReport,
    RegistryRevision,
)
from observatory.reference.models import CountryRow, ExchangeRateRow, GroupMembershipRow

__all__ = [
    "AuditEntry",
    "CountryRow",
    "ExchangeRateRow",
    "GroupMembershipRow",
    "Organisation",
    "Pledge",
    "PledgeCountry",
    "PledgeFocusArea",
    "PledgePartner",
    "PledgePillar",
    "ProgressReport",
    "RegistryRevision",
]
