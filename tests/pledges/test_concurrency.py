"""Registrations at the same moment, on SQLite and PostgreSQL: each gets its own generated reference (the second
tries the next one when the first took it), and the pledge index built while pledges are being written never
fails."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Engine, func, select

from observatory.auth import CLI
from observatory.db import transaction
from observatory.pledges import PledgeFilter, service, summary
from observatory.pledges.models import Pledge
from observatory.pledges.schemas import OrganisationIn, PledgeIn

WRITERS = 4


def _pledge(n: int) -> PledgeIn:
    return PledgeIn(
        pledger=OrganisationIn(name=f"Opérateur {n}", stakeholder_type="private_sector"),
        title=f"Pledge {n}", pledge_type="financial", focus_areas=["access"], target_countries=["MWI"],
        value=1e6, currency="USD", announced_on=dt.date(2025, 5, 1), review_state="published",
    )  # fmt: skip


def test_registrations_at_the_same_moment_each_get_a_reference(engine: Engine) -> None:
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def register(n: int) -> None:
        try:
            start.wait()
            with transaction(engine) as session:
                service.create_pledge(session, _pledge(n), CLI.name)
                # hold the transaction a moment, so that the others compute the same next reference meanwhile
                session.execute(select(func.count()).select_from(Pledge))
        except BaseException as e:  # reported below
            failures.append(e)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []
    with transaction(engine) as session:
        refs = sorted(session.scalars(select(Pledge.reference)))
    assert refs == [f"P2C-2025-{n:05d}" for n in range(1, WRITERS + 1)]


def test_the_index_built_while_pledges_are_written_never_fails(engine: Engine) -> None:
    stop = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        n = 100
        while not stop.is_set():
            try:
                with transaction(engine) as session:
                    service.create_pledge(session, _pledge(n), CLI.name)
                n += 1
            except BaseException as e:
                failures.append(e)
                return

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(25):
            with transaction(engine) as session:
                total = summary(session, "country", PledgeFilter())["total"]
            assert total["pledges"] >= 0
    finally:
        stop.set()
        writer.join(30)
    assert failures == []
    with transaction(engine) as session:
        final = summary(session, "country", PledgeFilter())["total"]["pledges"]
        assert final == session.scalar(select(func.count()).select_from(Pledge))
