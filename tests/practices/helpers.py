"""Helpers for the best-practice library's tests (and the permission matrix): cases written through the service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from observatory.auth import CLI, Principal, Role
from observatory.db import transaction
from observatory.practices import service
from observatory.practices.schemas import PracticeFields, PracticeIn


def case_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Community networks in the Casamance",
        "country": "SEN",
        "focus_areas": ["access"],
        "pillars": ["infrastructure"],
        "year": 2021,
        "what_was_done": "Villages built and run their own Wi-Fi networks with a regional backhaul.",
        "results": "Twelve villages connected.",
        "result_figures": [{"label": "Villages connected", "value": 12, "unit": "villages", "year": 2023}],
        "lessons": "Local ownership keeps the networks running.",
        "contact_name": "Awa Diop",
        "contact_email": "awa.diop@numerique.example",
        "licence": "cc_by_4",
        "source_urls": ["https://www.itu.int/"],
        **overrides,
    }


def make_case(engine: Engine, organisation: int | None, state: str = "submitted", **overrides: Any) -> str:
    """A case registered through the service, for ``organisation``, submitted (or published by the secretariat)."""
    with transaction(engine) as session:
        data = PracticeFields.model_validate(case_fields(**overrides))
        submitter = Principal("tests", Role.PLEDGER, organisations=frozenset({organisation})) if organisation else CLI
        p = service.create_practice(session, data, organisation, submitter, "submitted" if organisation else "draft")
        if state == "published":
            if p.review_state == "draft":
                p = service.update_practice(session, p.reference, p.version, data, CLI, "submitted")
            service.publish_practice(session, p.reference, p.version, CLI)
        return p.reference


def unchecked_case(engine: Engine, organisation: int) -> str:
    """A submitted case the secretariat still has to check (as the curated set's are), version 1."""
    with transaction(engine) as session:
        data = PracticeIn.model_validate({**case_fields(), "needs_check": True, "review_state": "submitted"})
        return service.create_practice(session, data, organisation, CLI).reference
