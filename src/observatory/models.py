"""Every table of the platform, imported in one place for the migrations."""

from observatory.accounts.models import ApiToken, LoginAttempt, Membership, OneTimeToken, User, WebSession
from observatory.activities.models import Activity
from observatory.audit import AuditEntry
from observatory.indicators.models import AreaClassification, Observation
from observatory.network.models import (
    AsLink,
    AsName,
    Delegation,
    Eyeballs,
    Facility,
    Ixp,
    IxpDependency,
    IxpDependencyScope,
    IxpMember,
    IxpPrefix,
    NetworkIndicator,
    PrefixOrigin,
)
from observatory.pledges.models import (
    Organisation,
    Pledge,
    PledgeChange,
    PledgeCountry,
    PledgeFocusArea,
    PledgePartner,
    PledgePillar,
    ProgressReport,
    RegistryRevision,
)
from observatory.practices.models import BestPractice
from observatory.reference.models import CountryRow, ExchangeRateRow, GroupMembershipRow
from observatory.reports.models import ReportBuild, ReportEdition
from observatory.routing.models import AsHegemony, CountryDependency
from observatory.sources import DataRevision, SourceLoad

__all__ = [
    "Activity",
    "ApiToken",
    "AreaClassification",
    "AsHegemony",
    "AsLink",
    "AsName",
    "AuditEntry",
    "BestPractice",
    "CountryDependency",
    "CountryRow",
    "DataRevision",
    "Delegation",
    "ExchangeRateRow",
    "Eyeballs",
    "Facility",
    "GroupMembershipRow",
    "Ixp",
    "IxpDependency",
    "IxpDependencyScope",
    "IxpMember",
    "IxpPrefix",
    "LoginAttempt",
    "Membership",
    "NetworkIndicator",
    "Observation",
    "OneTimeToken",
    "Organisation",
    "Pledge",
    "PledgeChange",
    "PledgeCountry",
    "PledgeFocusArea",
    "PledgePartner",
    "PledgePillar",
    "PrefixOrigin",
    "ProgressReport",
    "RegistryRevision",
    "ReportBuild",
    "ReportEdition",
    "SourceLoad",
    "User",
    "WebSession",
]
