"""The pledge index brought up to date from the pledges a write changed is, after any sequence of writes, the
index a full build gives: the same pledges, values, keys, links and shares, whatever was written."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, select, text

from observatory.db import transaction
from observatory.errors import Invalid
from observatory.pledges import index as pledge_index_module
from observatory.pledges import service
from observatory.pledges.index import PledgeIndex, _build, pledge_index
from observatory.pledges.models import Organisation
from observatory.pledges.reports import file_report, publish_report
from observatory.pledges.schemas import ProgressReportIn
from observatory.pledges.service import current_revision
from tests.pledges.test_registry import pledge_in

COUNTRIES = ["MWI", "SEN", "MLI", "FJI", "BRA", "IND", "KEN", "TUV"]
FOCUS = ["access", "adoption", "value_creation", "acceleration"]
STATUSES = ["planned", "in_progress", "completed"]
STATES = ["published", "submitted", "draft"]
PLEDGERS = [
    {"name": "Ministry of ICT of Testland", "stakeholder_type": "government", "country": "MWI"},
    {"name": "FibreCo", "stakeholder_type": "private_sector", "country": "KEN"},
    {"name": "Open Networks Foundation", "stakeholder_type": "civil_society", "country": "SEN"},
]


def canonical(index: PledgeIndex) -> dict[str, Any]:
    """What the index says of each pledge, in a form that does not depend on the order rows were read in."""
    ids = [int(i) for i in index.ids]
    out: dict[str, Any] = {"revision": index.revision, "ids": ids}
    for name in ("value", "committed", "disbursed", "due_from", "last_report"):
        out[name] = [None if np.isnan(v) else float(v) for v in getattr(index, name)]
    for name in ("reported", "unconverted"):
        out[name] = [bool(v) for v in getattr(index, name)]
    for name, single in index.single.items():
        out[f"single.{name}"] = [single.keys[c] for c in single.code]
    for name, links in index.many.items():
        triples = zip(links.pledge, links.key, links.share, strict=True)
        out[f"many.{name}"] = sorted((ids[p], links.keys[k], round(float(s), 9)) for p, k, s in triples)
    country = index.many["country"]
    regions = index.many["region"].keys
    out["country_region"] = sorted(
        (ids[p], country.keys[k], regions[r])
        for p, k, r in zip(country.pledge, country.key, index.country_region, strict=True)
    )
    for group, inside in index.country_in_group.items():
        out[f"in_group.{group}"] = sorted(
            (ids[p], country.keys[k]) for p, k, hit in zip(country.pledge, country.key, inside, strict=True) if hit
        )
    for name in ("announced_on", "value_usd", "updated_at", "reference", "title"):
        out[f"sort.{name}"] = [None if np.isnan(v) else float(v) for v in index.sort_key(name)]
    return out


def _random_pledge(rng: random.Random, n: int) -> Any:
    focus_areas = rng.sample(FOCUS, rng.randint(1, 3))
    return pledge_in(
        reference=f"P2C-2024-{n:05d}",
        pledger=rng.choice(PLEDGERS),
        title=rng.choice(["Schools", "towers", "Zebra links", "backbone"]) + f" {n}",
        focus_areas=focus_areas,
        pillars=["infrastructure"] if "access" in focus_areas else [],
        target_countries=rng.sample(COUNTRIES, rng.randint(0, 3)),
        value=rng.choice([None, rng.randint(1, 10**8)]),
        announced_on=dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 1500)),
        review_state=rng.choice(STATES),
        partners=rng.sample(["FibreCo", "Open Networks Foundation", "Acme"], rng.randint(0, 2)),
        beneficiary_groups=rng.sample(["women", "youth", "rural"], rng.randint(0, 2)),
        sdgs=rng.sample([4, 5, 9, 17], rng.randint(0, 2)),
    )


def _write(engine: Engine, rng: random.Random, made: list[str], n: int) -> str:
    """One random write through the registry's services; returns what it was."""
    with transaction(engine) as s:
        what = rng.choice(["create", "create", "update", "update", "report", "organisation"] if made else ["create"])
        if what == "create":
            made.append(service.create_pledge(s, _random_pledge(rng, n), "test").reference)
            return what
        ref = rng.choice(made)
        pledge = service.get_pledge(s, ref)
        if what == "update":
            changes: dict[str, Any] = rng.choice([
                {"value": rng.randint(1, 10**7)},
                {"target_countries": rng.sample(COUNTRIES, rng.randint(0, 4))},
                {"focus_areas": ["access", *rng.sample(FOCUS[1:], rng.randint(0, 3))], "status": rng.choice(STATUSES)},
                {"review_state": rng.choice(STATES[:2]), "title": f"Renamed {n}"},
                {"announced_on": "2021-06-30", "event": rng.choice(["", "WTDC-22", "PP-22"])},
            ])  # fmt: skip
            service.update_pledge(s, ref, pledge.version, changes, "test")
        elif what == "report" and pledge.review_state == "published" and not pledge.reports:
            report = ProgressReportIn(year=2025, status="in_progress", usd_committed=rng.randint(0, 10**6),
                                      usd_disbursed=0, filed_on=dt.date(2025, 6, 1))  # fmt: skip
            file_report(s, ref, report, "test")
            if rng.random() < 0.7:
                publish_report(s, ref, 2025, 1, "test")
        elif what == "organisation":
            org = rng.choice(s.scalars(select(Organisation).order_by(Organisation.id)).all())
            changes = {"stakeholder_type": rng.choice(["government", "academia", "private_sector", "un_agency"])}
            service.update_organisation(s, org.id, changes, None, "test")
        return what


@pytest.mark.parametrize("seed", [1, 2])
def test_the_updated_index_is_the_index_a_full_build_gives(engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    made: list[str] = []
    merged = 0
    for n in range(1, 41):
        with contextlib.suppress(Invalid):  # a change the rules refuse (a draft cannot become published)
            _write(engine, rng, made, n)
        with transaction(engine, writes=False) as s:
            before = pledge_index_module._cache.get(engine.url.render_as_string(hide_password=False))
            updated = pledge_index(s)
            full = _build(s, current_revision(s))
        if before is not None and updated.made_at != before.made_at and updated.size > 1:
            merged += 1
        assert canonical(updated) == canonical(full), f"after write {n}"
    assert merged > 20, "most writes were merged into the index rather than rebuilt"


def test_a_wide_change_or_a_revision_bumped_by_hand_rebuilds_the_index(engine: Engine) -> None:
    with transaction(engine) as s:
        for n in range(3):
            service.create_pledge(s, pledge_in(reference=f"P2C-2024-{n + 1:05d}"), "test")
    with transaction(engine, writes=False) as s:
        first = pledge_index(s)
    with engine.begin() as connection:  # a change the index was not told of: what the pledges are is unknown
        connection.execute(text("UPDATE pledge SET value_usd = 7 WHERE reference = 'P2C-2024-00001'"))
        connection.execute(text("UPDATE registry_revision SET revision = revision + 1"))
    with transaction(engine, writes=False) as s:
        rebuilt = pledge_index(s)
    assert rebuilt.revision == first.revision + 1 and rebuilt.value[0] == 7
    with transaction(engine) as s:
        service.bump_revision(s)  # None: too wide to list
        service.create_pledge(s, pledge_in(reference="P2C-2024-00009"), "test")
    with transaction(engine, writes=False) as s:
        assert canonical(pledge_index(s)) == canonical(_build(s, current_revision(s)))
