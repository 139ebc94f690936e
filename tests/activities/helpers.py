"""What the tests of activities share: a valid activity, as the service and as the form take it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from observatory.activities import service
from observatory.db import transaction


def activity_values(**changes: Any) -> dict[str, Any]:
    """A valid activity of ITU-T, as :class:`ActivityIn` takes it."""
    return {
        "organisation": "itu_t",
        "title": "Recommendation ITU-T Y.3001",
        "description": "Future networks.",
        "topic": "standards",
        "kind": "recommendation",
        "starts": "2011-05",
        "areas": ["global"],
        "collaboration": "itu",
        "source_url": "https://www.itu.int/rec/T-REC-Y.3001",
        **changes,
    }


def make_activity(engine: Engine, **changes: Any) -> str:
    """Register an activity (version 1); its reference."""
    with transaction(engine) as session:
        return service.create_activity(session, service.activity_input(activity_values(**changes)), "tests").ref


def activity_form(**changes: str) -> dict[str, str]:
    """The secretariat's form filled in for a valid activity."""
    return {
        "organisation": "ietf",
        "title": "RFC 8200: IPv6 Specification",
        "description": "",
        "topic": "ipv6",
        "kind": "recommendation",
        "starts": "2017-07",
        "ends": "",
        "regions": "global",
        "countries": "",
        "collaboration": "none",
        "evidence": "",
        "source_url": "https://www.rfc-editor.org/rfc/rfc8200",
        **changes,
    }
