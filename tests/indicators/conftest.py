"""Indicator test set-up: the real files of ``../shared/data/indicators`` loaded once per database, and small
hand-made files for the error cases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select

from observatory.data.service import indicator_jobs, load
from observatory.db import transaction
from observatory.indicators.models import AreaClassification, Observation
from observatory.indicators.service import sources
from observatory.sources import SourceLoad
from tests.conftest import shared_data

API_CSV = "indicators/worldbank_it.net.user.zs_2024-11/API_IT.NET.USER.ZS_DS2_en_csv_v2_2160.csv"
WDI = "indicators/worldbank_wdi_datasets-wdi"
OWID = "indicators/owid_sdg9c1_mobile_network_coverage/population-covered-by-mobile-network-by-network-capability.csv"
ITU = "indicators/itu_price_baskets_via_noah-taehwan/itu_affordability_latest.csv"


def clear(engine: Engine) -> None:
    """Remove every indicator load (PostgreSQL is shared by the tests of a run)."""
    with transaction(engine) as session:
        ids = select(SourceLoad.id).where(SourceLoad.source.in_(list(sources())))
        session.execute(delete(Observation).where(Observation.load_id.in_(ids)))
        session.execute(delete(AreaClassification).where(AreaClassification.load_id.in_(ids)))
        session.execute(delete(SourceLoad).where(SourceLoad.source.in_(list(sources()))))


def ingest_all(engine: Engine) -> None:
    """Every file of ``../shared/data/indicators``, labelled with the editions their MANIFEST gives."""
    outcomes = list(load(indicator_jobs(shared_data("indicators").parent), engine))
    assert len(outcomes) >= 7
    assert all(o.status == "loaded" for o in outcomes), [o for o in outcomes if o.status != "loaded"]


@pytest.fixture
def loaded(engine: Engine) -> Iterator[Engine]:
    """The test's database (SQLite and PostgreSQL) with every real indicator file loaded."""
    clear(engine)
    ingest_all(engine)
    yield engine
    clear(engine)


@pytest.fixture
def empty(engine: Engine) -> Iterator[Engine]:
    """The test's database with no indicator loaded."""
    clear(engine)
    yield engine
    clear(engine)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
