"""Public pages kept once drawn: served again while what they show is unchanged, with an ETag and 304; drawn
again after exactly the changes they depend on; never kept for a signed-in reader or a page with a form."""

from __future__ import annotations

import datetime as dt
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from observatory.config import Settings
from observatory.db import transaction
from observatory.pledges import service
from observatory.sources import SourceLoad, bump_data_revision
from observatory.web.app import create_app
from tests.activities.helpers import make_activity
from tests.pledges.test_registry import pledge_in
from tests.web.conftest import sign_in


def cache_of(client: TestClient) -> object:
    """The application's page cache (the middleware the app built)."""
    app = client.app
    stack = app.middleware_stack  # type: ignore[attr-defined]
    while stack is not None and type(stack).__name__ != "PageCache":
        stack = getattr(stack, "app", None)
    assert stack is not None, "the page cache is in the middleware stack"
    return stack


def test_a_page_is_kept_with_its_etag_and_answered_304_until_the_registry_changes(
    client: TestClient, engine: Engine
) -> None:
    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(), "alice")
    cache = cache_of(client)
    first = client.get("/api/v1/pledges/summary", params={"by": "focus_area"})
    assert first.status_code == 200 and first.headers["cache-control"] == "public, no-cache"
    etag = first.headers["etag"]
    assert "Accept-Language" in first.headers["vary"]
    hits = cache.hits  # type: ignore[attr-defined]
    again = client.get("/api/v1/pledges/summary", params={"by": "focus_area"})
    assert again.headers["etag"] == etag and again.content == first.content
    assert cache.hits == hits + 1  # type: ignore[attr-defined]
    not_modified = client.get("/api/v1/pledges/summary?by=focus_area", headers={"if-none-match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag

    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(title="Another"), "alice")
    after = client.get("/api/v1/pledges/summary?by=focus_area", headers={"if-none-match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert after.json()["total"]["pledges"] == first.json()["total"]["pledges"] + 1


def test_a_change_invalidates_exactly_the_pages_drawn_from_it(client: TestClient, engine: Engine) -> None:
    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(), "alice")
    pledges, acts = client.get("/pledges"), client.get("/activities")
    make_activity(engine)
    assert client.get("/pledges").headers["etag"] == pledges.headers["etag"], "pledges do not show activities"
    changed = client.get("/activities")
    assert changed.headers["etag"] != acts.headers["etag"] and changed.text.count("<tr") > acts.text.count("<tr")

    cache = cache_of(client)
    client.get("/countries/MWI")
    client.get("/countries/MWI")
    misses = cache.misses  # type: ignore[attr-defined]
    with transaction(engine) as s:  # a new data load: every page drawn from the data is drawn again
        s.add(SourceLoad(source="test", organisation="ITU", dataset="test", location="/dev/null", sha256="0" * 64,
                         data_date=dt.date(2024, 1, 1)))  # fmt: skip
        bump_data_revision(s)  # as every load (Source.run) and recomputation does, in its transaction
    client.get("/countries/MWI")
    assert cache.misses == misses + 1, "drawn again (the same bytes give the same ETag)"  # type: ignore[attr-defined]
    client.get("/activities")
    assert cache.misses == misses + 1, "activities are not drawn from the data"  # type: ignore[attr-defined]


def test_the_language_is_part_of_what_is_kept(client: TestClient) -> None:
    english = client.get("/pledges", headers={"accept-language": "en"})
    french = client.get("/pledges", headers={"accept-language": "fr"})
    assert 'lang="en"' in english.text and 'lang="fr"' in french.text
    assert client.get("/pledges", headers={"accept-language": "en"}).text == english.text


def test_signed_in_pages_and_pages_with_a_form_are_never_kept(client: TestClient, engine: Engine) -> None:
    login = client.get("/account/login")
    assert "private" in login.headers["cache-control"] and "etag" not in login.headers
    first = TestClient(client.app)
    anonymous = first.get("/pledges")
    assert "set-cookie" not in anonymous.headers, "a page without a form sets no cookie: one copy serves everyone"
    sign_in(client, engine, "sec@itu.example", "secretariat")
    mine = client.get("/pledges")
    assert mine.headers["cache-control"] == "private, no-store" and "etag" not in mine.headers
    assert "sec@itu.example" in mine.text and "sec@itu.example" not in first.get("/pledges").text
    token = client.get("/api/v1/pledges", headers={"authorization": "Bearer nonsense"})
    assert token.headers.get("cache-control") == "private, no-store"


def test_under_a_stream_of_writes_a_kept_page_is_served_for_at_most_the_allowed_time(
    settings: Settings, engine: Engine
) -> None:
    client = TestClient(create_app(settings.model_copy(update={"page_stale_seconds": 0.5})))
    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(), "alice")
    path = "/api/v1/pledges/summary?by=focus_area"
    first = client.get(path).json()["total"]["pledges"]
    drawn = time.monotonic()
    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(title="Another"), "alice")
    seen = client.get(path).json()["total"]["pledges"]
    if time.monotonic() - drawn < 0.5:
        assert seen == first, "within the allowance, the kept copy is served"
    time.sleep(max(0.0, 0.5 - (time.monotonic() - drawn)))
    assert client.get(path).json()["total"]["pledges"] == first + 1, "past it, the page is drawn again"


def test_an_answer_drawn_by_one_worker_is_served_by_the_others(settings: Settings, engine: Engine) -> None:
    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(), "alice")
    one, other = TestClient(create_app(settings)), TestClient(create_app(settings))  # two workers of one home
    drawn = one.get("/pledges")
    served = other.get("/pledges")
    cache = cache_of(other)
    assert served.content == drawn.content and served.headers["etag"] == drawn.headers["etag"]
    assert (cache.hits, cache.misses) == (1, 0), "the other worker did not draw it"  # type: ignore[attr-defined]
    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(title="Another"), "alice")
    changed = other.get("/pledges")
    assert changed.headers["etag"] != drawn.headers["etag"], "a copy drawn from an older registry is not used"
    assert cache.misses == 1  # type: ignore[attr-defined]
