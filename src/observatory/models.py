"""Every table of the platform, imported in one place for the migrations."""

from observatory.accounts.models import ApiToken, LoginAttempt, Membership, OneTimeToken, User, WebSession
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
from observatory.sources import SourceLoad

__all__ = [
    "ApiToken",
    "AuditEntry",
    "CountryRow",
    "ExchangeRateRow",
    "GroupMembershipRow",
    "LoginAttempt",
    "Membership",
    "OneTimeToken",
    "Organisation",
    "Pledge",
    "PledgeCountry",
    "PledgeFocusArea",
    "PledgePartner",
    "PledgePillar",
    "ProgressReport",
    "RegistryRevision",
    "SourceLoad",
    "User",
    "WebSession",
]
