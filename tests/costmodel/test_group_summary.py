"""The cost model's findings for a group: each member's local-exchange scenario and the medians."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatory import reference
from observatory.costmodel import service


def test_a_group_summary_gives_every_member_and_the_medians(engine: Engine, client: TestClient) -> None:
    with Session(engine) as session:
        summary = service.group_summary(session, "lldc")
    members = reference.group_members("LLDC", dt.date.today())
    assert summary["group"] == "LLDC" and summary["members"] == len(members)
    assert {r["country"] for r in summary["rows"]} <= set(members) and summary["rows"]
    # No Internet users loaded: every member rests on the default users, none is covered, no median is given.
    assert summary["countries"] == 0 and summary["median_saving_share"] is None
    answer = client.get("/api/v1/areas/LLDC/cost/summary")
    assert answer.status_code == 200 and answer.json()["members"] == summary["members"]
    refused = client.get("/api/v1/areas/KEN/cost/summary")
    assert refused.status_code == 422 and "not a group" in refused.text


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert service._median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert service._median([3.0, 1.0, 2.0]) == 2.0
    assert service._median([]) is None
