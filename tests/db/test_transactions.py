"""Transactions: a write is all or nothing, even across savepoints, and a reader sees one state throughout."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, text

from observatory.db import transaction
from observatory.pledges import service
from observatory.pledges.models import Pledge
from tests.pledges.test_registry import pledge_in


def _pledges(engine: Engine) -> int:
    """The pledges another connection sees (what a backup, a worker or a reader would see)."""
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM pledge")).scalar_one())


def _audited(engine: Engine) -> int:
    with engine.connect() as connection:
        sql = "SELECT count(*) FROM audit_entry WHERE entity = 'pledge' AND action = 'create'"
        return int(connection.execute(text(sql)).scalar_one())


def test_a_new_pledge_and_its_audit_entry_are_seen_together_or_not_at_all(engine: Engine) -> None:
    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(), "alice")  # the pledger now exists: nothing is written before
    before = _pledges(engine), _audited(engine)
    with transaction(engine) as s:
        # Only reads, then the savepoint of the insert: the savepoint's release must not commit the pledge
        # on its own (SQLite's driver used to begin the transaction only at the first INSERT).
        service.create_pledge(s, pledge_in(reference="P2C-2024-09999", title="Second"), "alice")
        assert (_pledges(engine), _audited(engine)) == before, "nothing is visible before the commit"
    assert (_pledges(engine), _audited(engine)) == (before[0] + 1, before[1] + 1)


def test_a_failed_transaction_leaves_nothing_behind(engine: Engine) -> None:
    before = _pledges(engine), _audited(engine)
    try:
        with transaction(engine) as s:
            service.create_pledge(s, pledge_in(reference="P2C-2024-09998"), "alice")
            raise RuntimeError("a later step failed")
    except RuntimeError:
        pass
    assert (_pledges(engine), _audited(engine)) == before


def test_a_reader_sees_one_snapshot_while_a_writer_commits(engine: Engine) -> None:
    with transaction(engine, writes=False) as reader:
        first = int(reader.scalar(select(func.count()).select_from(Pledge)) or 0)
        with transaction(engine) as writer:
            service.create_pledge(writer, pledge_in(reference="P2C-2024-09997"), "alice")
        assert _pledges(engine) == first + 1, "the write is committed"
        assert reader.scalar(select(func.count()).select_from(Pledge)) == first, "the reader's snapshot holds"
