"""Who may do what: every permission decision of the platform is taken here.

Roles: ``public`` (no account), ``pledger`` (acts for its organisations: drafts, submits and edits their
pledges until they are published, files their progress reports and keeps their deliverables, proposes
best-practice cases), ``secretariat``
(reviews, publishes, rejects or asks for changes; publishes or returns progress reports and reminds pledgers;
manages organisations and imports; publishes best-practice cases; keeps the registry of activities; builds the
annual reports) and ``admin`` (also users and roles).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Who someone is to the platform; each role's actions are in :data:`PERMISSIONS`."""

    PUBLIC = "public"
    PLEDGER = "pledger"
    SECRETARIAT = "secretariat"
    ADMIN = "admin"


class Action(StrEnum):
    """What someone may do; :func:`can` says whether a principal may."""

    READ_PUBLISHED = "read_published"
    READ_UNPUBLISHED = "read_unpublished"
    CREATE_PLEDGE = "create_pledge"
    UPDATE_PLEDGE = "update_pledge"
    WITHDRAW_PLEDGE = "withdraw_pledge"
    FILE_REPORT = "file_report"
    MANAGE_DELIVERABLES = "manage_deliverables"
    REVIEW_PLEDGE = "review_pledge"
    MANAGE_ORGANISATIONS = "manage_organisations"
    IMPORT_PLEDGES = "import_pledges"
    MANAGE_USERS = "manage_users"
    REVIEW_REPORT = "review_report"  # publish or return progress reports, remind pledgers
    SUBMIT_PRACTICE = "submit_practice"  # propose a best-practice case for one's organisation
    REVIEW_PRACTICE = "review_practice"  # publish or return best-practice cases
    MANAGE_ACTIVITIES = "manage_activities"  # the registry of activities on IP-based networks
    BUILD_REPORT = "build_report"  # the annual reports: build them, write their secretariat's parts


_PUBLIC = {Action.READ_PUBLISHED}
_PLEDGER = _PUBLIC | {
    Action.READ_UNPUBLISHED,
    Action.CREATE_PLEDGE,
    Action.UPDATE_PLEDGE,
    Action.WITHDRAW_PLEDGE,
    Action.FILE_REPORT,
    Action.MANAGE_DELIVERABLES,
    Action.SUBMIT_PRACTICE,
}
_SECRETARIAT = _PLEDGER | {
    Action.REVIEW_PLEDGE,
    Action.REVIEW_REPORT,
    Action.MANAGE_ORGANISATIONS,
    Action.IMPORT_PLEDGES,
    Action.REVIEW_PRACTICE,
    Action.MANAGE_ACTIVITIES,
    Action.BUILD_REPORT,
}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.PUBLIC: frozenset(_PUBLIC),
    Role.PLEDGER: frozenset(_PLEDGER),
    Role.SECRETARIAT: frozenset(_SECRETARIAT),
    Role.ADMIN: frozenset(_SECRETARIAT | {Action.MANAGE_USERS}),
}

# What a pledger may do only for its own organisations.
ORGANISATION_SCOPED = frozenset(
    {
        Action.READ_UNPUBLISHED,
        Action.CREATE_PLEDGE,
        Action.UPDATE_PLEDGE,
        Action.WITHDRAW_PLEDGE,
        Action.FILE_REPORT,
        Action.MANAGE_DELIVERABLES,
        Action.SUBMIT_PRACTICE,
    }
)
# Review states in which a pledger may still change its pledge; after that, the secretariat decides.
PLEDGER_EDITABLE = frozenset({"draft", "submitted", "rejected"})
# The review states a pledge may start in without a review: anything else is a secretariat decision.
UNREVIEWED_STATES = frozenset({"draft", "submitted"})
# Review states only the secretariat may give.
DECISIONS = frozenset({"published", "rejected"})


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user or an API token's owner (with its organisations), or the public."""

    name: str
    role: Role
    user_id: int | None = None
    organisations: frozenset[int] = field(default_factory=frozenset)


ANONYMOUS = Principal("anonymous", Role.PUBLIC)
CLI = Principal("cli", Role.SECRETARIAT)


class Unauthenticated(Exception):
    """Credentials were given and are wrong."""


class Forbidden(Exception):
    """An action the principal may not take (403, or 401 when nobody is signed in)."""

    def __init__(self, principal: Principal, action: Action, why: str = ""):
        super().__init__(f"{principal.role} may not {action.value.replace('_', ' ')}{why}")


def can(
    principal: Principal, action: Action, organisation_id: int | None = None, review_state: str | None = None
) -> bool:
    """Whether ``principal`` may take ``action``, on a pledge of ``organisation_id`` in ``review_state``
    when the action concerns one."""
    if action not in PERMISSIONS[principal.role]:
        return False
    if principal.role != Role.PLEDGER or action not in ORGANISATION_SCOPED:
        return True
    if organisation_id is not None and organisation_id not in principal.organisations:
        return False
    return not (action == Action.UPDATE_PLEDGE and review_state is not None and review_state not in PLEDGER_EDITABLE)


def require(
    principal: Principal, action: Action, organisation_id: int | None = None, review_state: str | None = None
) -> None:
    """Raise :class:`Forbidden` unless :func:`can` allows the action."""
    if not can(principal, action, organisation_id, review_state):
        why = " for this organisation" if organisation_id is not None else ""
        raise Forbidden(principal, action, why)


def require_new_pledge(
    principal: Principal,
    organisation_id: int | None,
    *,
    reference_chosen: bool = False,
    synthetic: bool = False,
    review_state: str = "submitted",
) -> None:
    """May ``principal`` register this pledge? ``organisation_id`` is its pledger, None when the
    organisation is not registered yet (registering it is managing organisations). Choosing the
    reference or marking a pledge synthetic is what imports do; starting in any state but draft or
    submitted is a review decision."""
    if organisation_id is None:
        require(principal, Action.MANAGE_ORGANISATIONS)
    require(principal, Action.CREATE_PLEDGE, organisation_id)
    if reference_chosen or synthetic:
        require(principal, Action.IMPORT_PLEDGES)
    if review_state not in UNREVIEWED_STATES:
        require(principal, Action.REVIEW_PLEDGE)


NEW_ORGANISATION = -1  # the target of a move to an organisation that is not registered yet


def require_pledge_change(
    principal: Principal,
    organisation_id: int,
    review_state: str,
    fields: Collection[str],
    *,
    new_organisation: int | None = None,
    new_review_state: str | None = None,
) -> None:
    """May ``principal`` change these ``fields`` of a pledge of ``organisation_id`` in ``review_state``?

    The decision covers the target of the change too: moving the pledge to ``new_organisation``
    (``NEW_ORGANISATION`` when it would be registered by the change) needs the right to register
    pledges for that organisation; publishing or rejecting, or writing the review note, is the
    secretariat's; withdrawing needs the right to withdraw."""
    require(principal, Action.UPDATE_PLEDGE, organisation_id, review_state)
    if new_organisation is not None and new_organisation != organisation_id:
        if new_organisation == NEW_ORGANISATION:
            require(principal, Action.MANAGE_ORGANISATIONS)
        else:
            require(principal, Action.CREATE_PLEDGE, new_organisation)
    if new_review_state in DECISIONS or "review_note" in fields:
        require(principal, Action.REVIEW_PLEDGE)
    if new_review_state == "withdrawn":
        require(principal, Action.WITHDRAW_PLEDGE, organisation_id)
