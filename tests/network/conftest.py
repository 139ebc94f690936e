"""Network tests share one clean database state: PostgreSQL is shared by the run, so the network
tables and their load records are emptied before each test."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from observatory.db import transaction
from observatory.network.models import DATA_TABLES
from observatory.sources import SourceLoad

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db(engine: Engine) -> Engine:
    with transaction(engine) as session:
        for table in DATA_TABLES:
            session.execute(delete(table))
        session.execute(delete(SourceLoad))
    return engine
