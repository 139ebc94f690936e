"""Who may do what: every permission decision of the platform is taken here.

Roles are ``public`` (no credentials), ``pledger``, ``secretariat`` and ``admin``. Until the web
platform's accounts exist, the one API token (``OBSERVATORY_API_TOKEN`` or the file ``observatory init``
writes) stands for the secretariat, and the CLI acts as the secretariat too.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum

from observatory.config import Settings


class Role(StrEnum):
    PUBLIC = "public"
    PLEDGER = "pledger"
    SECRETARIAT = "secretariat"
    ADMIN = "admin"


class Action(StrEnum):
    READ_PUBLISHED = "read_published"
    READ_UNPUBLISHED = "read_unpublished"
    CREATE_PLEDGE = "create_pledge"
    UPDATE_PLEDGE = "update_pledge"
    REVIEW_PLEDGE = "review_pledge"
    WITHDRAW_PLEDGE = "withdraw_pledge"
    FILE_REPORT = "file_report"
    MANAGE_ORGANISATIONS = "manage_organisations"
    IMPORT_PLEDGES = "import_pledges"


_PUBLIC = {Action.READ_PUBLISHED}
_PLEDGER = _PUBLIC | {
    Action.READ_UNPUBLISHED,
    Action.CREATE_PLEDGE,
    Action.UPDATE_PLEDGE,
    Action.WITHDRAW_PLEDGE,
    Action.FILE_REPORT,
}
_SECRETARIAT = _PLEDGER | {Action.REVIEW_PLEDGE, Action.MANAGE_ORGANISATIONS, Action.IMPORT_PLEDGES}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.PUBLIC: frozenset(_PUBLIC),
    Role.PLEDGER: frozenset(_PLEDGER),
    Role.SECRETARIAT: frozenset(_SECRETARIAT),
    Role.ADMIN: frozenset(_SECRETARIAT),
}


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role


ANONYMOUS = Principal("anonymous", Role.PUBLIC)
CLI = Principal("cli", Role.SECRETARIAT)


class Unauthenticated(Exception):
    """Credentials were given and are wrong."""


class Forbidden(Exception):
    def __init__(self, principal: Principal, action: Action):
        super().__init__(f"{principal.role} may not {action.value.replace('_', ' ')}")


def can(principal: Principal, action: Action) -> bool:
    return action in PERMISSIONS[principal.role]


def require(principal: Principal, action: Action) -> None:
    if not can(principal, action):
        raise Forbidden(principal, action)


def authenticate(settings: Settings, bearer: str | None) -> Principal:
    """The principal a request's bearer token stands for; no token is the public."""
    if not bearer:
        return ANONYMOUS
    expected = settings.write_token()
    if expected and hmac.compare_digest(bearer.encode(), expected.encode()):
        return Principal("api-token", Role.SECRETARIAT)
    raise Unauthenticated("invalid API token")
