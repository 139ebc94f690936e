"""Security item 16: the OpenAPI describes what the API really does, checked by fuzzing it (schemathesis).

Every ``/api/v1`` operation is called with requests generated from the published schema, valid and invalid,
authenticated with a secretariat's API token so writes are exercised too (and writes once more without one),
against a database holding the 18 sample pledges and a few small real data files. Every answer must be
documented (status code, content type, headers, body schema), none may be a server error, and a request
outside the schema must be refused. The run is bounded and reproducible: a fixed number of cases per
operation, derandomized.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from sqlalchemy import Engine, select

from observatory.auth import CLI
from observatory.data.service import Job, load
from observatory.db import transaction
from observatory.pledges.csvio import import_pledges, sample_path
from observatory.pledges.models import Pledge
from observatory.web.app import create_app
from tests.conftest import AUTH, settings_for, shared_data

# A few small real files, through their sources: Internet use and population (connectivity, need), the ITU
# price baskets (scores), one RIR registry (network indicators, transit), one CAIDA IXP snapshot and one
# AS-relationship file (transit).
WB_API = "indicators/worldbank_it.net.user.zs_2024-11/API_IT.NET.USER.ZS_DS2_en_csv_v2_2160.csv"
FILES = (
    ("indicators", "worldbank_api", WB_API, "2024-11"),
    ("indicators", "worldbank_wdi", "indicators/worldbank_wdi_datasets-wdi/sp.pop.totl.csv", "2026-07-01"),
    ("indicators", "itu_price_baskets", "indicators/itu_price_baskets_via_noah-taehwan/itu_affordability_latest.csv",
     "2025-12-02"),
    ("network", "rir", "network/rir/delegated-afrinic-extended-20230323.txt.gz", None),
    ("network", "caida-ixp", "network/caida-ixps/ixs_202401.jsonl", None),
    ("network", "caida-asrel", "network/caida-asrel/afrinic-labs_asn_relationship_africa30-07-2019.csv", None),
)  # fmt: skip
# Real values for parameters a generator would hardly ever hit (a country code, a loaded edition), so the
# operations answer with their data too, not only 404 and 422: per operation path (or any), per parameter.
AREAS = ("KEN", "ZA", "SEN", "LDC", "africa", "WORLD")
REAL: dict[tuple[str, str], tuple[object, ...]] = {
    ("/indicators/", "code"): ("IT.NET.USER.ZS", "SP.POP.TOTL", "MBB_2GB_GNI"),
    ("/compare", "old"): ("2024-11",),
    ("/compare", "new"): ("2024-11",),
    ("/infrastructure", "code"): AREAS,
    ("/infrastructure", "indicator"): ("asn_count", "ixp_count", "ipv4_addresses"),
    ("/infrastructure", "source"): ("rir", "caida"),
    ("/indicators/editions", "indicator"): ("IT.NET.USER.ZS", "MBB_2GB_GNI"),
    ("/cost", "code"): ("KEN", "MWI", "SN"),
    ("", "code"): AREAS,
    ("", "area"): AREAS,
    ("", "organisation_id"): (1, 5, 12),
}


def _plausible_bodies() -> dict[tuple[str, str], st.SearchStrategy[dict[str, Any]]]:
    """Bodies within the registry's rules as well as the schema (the schema cannot say which codes exist), so
    writes succeed too: per method and path ending."""
    text = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "Zs"]), min_size=1, max_size=40)
    names = text.filter(str.strip)
    day = st.dates(dt.date(1995, 1, 1), dt.date.today()).map(dt.date.isoformat)
    statuses = st.sampled_from(("planned", "in_progress", "completed", "discontinued"))
    money = st.floats(0, 10**9, allow_nan=False)
    organisation = st.fixed_dictionaries(
        {"name": names, "stakeholder_type": st.sampled_from(("government", "private_sector", "academia"))},
        optional={
            "country": st.sampled_from(("KEN", "SEN", None)),
            "itu_membership": st.sampled_from(("none", "sector_member")),
        },
    )
    pledge = {
        "title": names,
        "focus_areas": st.lists(st.sampled_from(("access", "adoption", "value_creation")), min_size=1, unique=True),
    }
    optional = {
        "target_countries": st.lists(st.sampled_from(("KEN", "SEN", "MWI", "BRA", "FJI")), unique=True, max_size=3),
        "value": money,
        "currency": st.just("USD"),
        "start_year": st.integers(1995, 2030),
        "announced_on": day,
        "status": statuses,
        "sdgs": st.lists(st.integers(1, 17), max_size=3),
        "description": text,
    }
    report = {
        "percent_complete": st.floats(0, 100),
        "usd_disbursed": money,
        "people_reached": st.integers(0, 10**9),
        "narrative": text,
        "filed_on": day,
        "version": st.integers(1, 3),
    }
    return {
        ("POST", "/pledges"): st.fixed_dictionaries(
            {**pledge, "pledger": organisation},
            optional={**optional, "review_state": st.sampled_from(("draft", "submitted", "published"))},
        ),
        ("PATCH", "}"): st.fixed_dictionaries(
            {"version": st.integers(1, 3), "changes": st.fixed_dictionaries({}, optional={**pledge, **optional})}
        ),
        ("POST", "/withdraw"): st.fixed_dictionaries({"version": st.integers(1, 3)}, optional={"reason": text}),
        ("POST", "/reports"): st.fixed_dictionaries(
            {"year": st.integers(2020, 2026), "status": statuses}, optional=report
        ),
        ("PUT", "/reports/{year}"): st.fixed_dictionaries(
            {"year": st.integers(2020, 2026), "status": statuses}, optional=report
        ),
        ("POST", "/publish"): st.fixed_dictionaries({"version": st.integers(1, 3)}),
        ("POST", "/return"): st.fixed_dictionaries({"version": st.integers(1, 3)}, optional={"note": text}),
        ("POST", "/organisations"): organisation,
    }


PLAUSIBLE = _plausible_bodies()
# + PATCH /organisations/{id}, POST /organisations/{id}/merge; + PUT reports/{year}, publish, return;
# + GET /pledges/overview, activities (3), practices (2), annual reports (3: figures, start and follow a build)
OPERATIONS = 47
EXAMPLES = 60  # per operation and generation mode (positive: valid requests, negative: invalid ones)
ANONYMOUS_EXAMPLES = 10  # per write, without a token: each must be a documented 401 (or a refused body)
MIN_CASES, MAX_SECONDS = 2000, 180
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
]


@pytest.fixture
def app(sqlite_engine: Engine, tmp_path: Path) -> Iterator[FastAPI]:
    settings = settings_for(sqlite_engine, tmp_path)
    with transaction(sqlite_engine) as session:
        import_pledges(session, sample_path(), CLI.name)
    jobs = [Job(capability, source, shared_data(path), edition) for capability, source, path, edition in FILES]
    outcomes = list(load(jobs, sqlite_engine))
    assert [o.status for o in outcomes] == ["loaded"] * len(FILES), outcomes
    yield create_app(settings)


class Run:
    """The cases sent, the statuses answered and the distinct failures (operation, check, status)."""

    def __init__(self, static_paths: set[tuple[str, str]]) -> None:
        self.static_paths = static_paths
        self.cases: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.failures: dict[tuple[str, str, int], str] = {}

    def call(self, case: Case[Any], headers: dict[str, str] | None) -> None:
        if "{" in case.operation.path and (case.method.upper(), case.formatted_path) in self.static_paths:
            return  # a path value that makes another operation's path: that operation is fuzzed as itself
        self.cases[case.operation.label] += 1
        response = case.call(headers=headers)
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                self._record(case, response.status_code, failure)
        except Failure as failure:
            self._record(case, response.status_code, failure)

    def _record(self, case: Case[Any], status: int, failure: Failure) -> None:
        text = f"{case.operation.label}: {failure.title} ({status})\n{failure.message}\n{case.as_curl_command()}"
        self.failures.setdefault((case.operation.label, failure.title, status), text)


def _real_values(operation: Any, references: list[str]) -> list[tuple[dict[str, object], dict[str, object]]]:
    """Path and query parameters of real records for ``operation``: [(path parameters, query), …]."""
    choices: dict[tuple[str, str], tuple[object, ...]] = {}
    for parameter in operation.iter_parameters():
        location, name = str(parameter.location.value), str(parameter.name)
        if name == "reference":
            choices[(location, name)] = tuple(references)
            continue
        found = next((v for (where, n), v in REAL.items() if n == name and where in operation.path), None)
        if found is not None:
            choices[(location, name)] = found
    width = max((len(v) for v in choices.values()), default=0)
    picks = [{key: values[i % len(values)] for key, values in choices.items()} for i in range(width)]
    return [
        (
            {n: v for (loc, n), v in pick.items() if loc == "path"},
            {n: v for (loc, n), v in pick.items() if loc == "query"},
        )
        for pick in picks
    ]


def _strategies(operation: Any, mode: GenerationMode, references: list[str]) -> st.SearchStrategy[Case[Any]]:
    """Cases of ``operation`` in ``mode``: all generated, or around the real values of some parameters, and for
    a write in positive mode also with a body the registry accepts."""
    strategies = [operation.as_strategy(generation_mode=mode)]
    around_real = [
        operation.as_strategy(generation_mode=mode, path_parameters=path or None, query=query or None)
        for path, query in _real_values(operation, references)
    ]
    strategies += around_real
    bodies = next(
        (
            b
            for (method, end), b in PLAUSIBLE.items()
            if method == operation.method.upper() and operation.path.endswith(end)
        ),
        None,
    )
    if bodies is not None and mode is GenerationMode.POSITIVE:
        strategies += [st.tuples(s, bodies).map(_with_body) for s in around_real or strategies[:1]]
    return st.one_of(strategies)


def _with_body(pair: tuple[Case[Any], dict[str, Any]]) -> Case[Any]:
    case, body = pair
    case.body = body
    return case


def _run(strategy: st.SearchStrategy[Case[Any]], examples: int, test: Callable[[Case[Any]], None]) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # failures are collected, not raised: nothing to shrink
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Case[Any]) -> None:
        test(case)

    run()


def test_security_16_fuzzing_the_openapi_finds_no_server_error_and_no_undocumented_answer(
    app: FastAPI, sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) == OPERATIONS, [o.label for o in operations]
    with transaction(sqlite_engine) as session:
        references = list(session.scalars(select(Pledge.reference).order_by(Pledge.reference)))
    run = Run({(o.method.upper(), o.path) for o in operations if "{" not in o.path})
    nothing_to_negate = []
    started = time.monotonic()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(_strategies(operation, mode, references), EXAMPLES, lambda case: run.call(case, AUTH))
            except Unsatisfiable:  # no parameter and no body: nothing to make invalid
                assert mode is GenerationMode.NEGATIVE, operation.label
                nothing_to_negate.append(operation.label)
        if operation.method.upper() != "GET":
            _run(operation.as_strategy(), ANONYMOUS_EXAMPLES, lambda case: run.call(case, None))
    elapsed = time.monotonic() - started
    total = sum(run.cases.values())
    server_errors = sum(n for status, n in run.statuses.items() if status >= 500)
    violations = sum(1 for _, title, _ in run.failures if "schema" in title.lower())
    summary = (
        f"schemathesis: {total} cases on {len(operations)} operations in {elapsed:.0f} s; "
        f"statuses {dict(sorted(run.statuses.items()))}; {server_errors} server errors; "
        f"{violations} distinct schema violations, {len(run.failures)} distinct failures in all "
        f"(nothing to make invalid in {len(nothing_to_negate)} operations)"
    )
    with capsys.disabled():  # the figures, in every run's output
        print(f"\n{summary}")
    assert not run.failures, summary + "\n\n" + "\n\n".join(run.failures.values())
    assert server_errors == 0, summary
    assert total >= MIN_CASES and len(run.cases) == OPERATIONS, (summary, run.cases)
    assert elapsed < MAX_SECONDS, summary


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _integers(spec: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]) -> Iterator[tuple[str, Any]]:
    """Every integer schema in ``schema`` (references followed once), with where it is."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen = seen | {schema["$ref"]}
        yield from _integers(spec, _resolve(spec, schema), where, seen)
        return
    if schema.get("type") == "integer":
        yield where, schema
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for i, part in enumerate(schema.get(key, [])):
            yield from _integers(spec, part, f"{where}/{key}/{i}", seen)
    for name, part in schema.get("properties", {}).items():
        yield from _integers(spec, part, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _integers(spec, schema[key], f"{where}/{key}", seen)


def test_security_16_the_openapi_documents_every_answer_and_bounds_every_integer(app: FastAPI) -> None:
    spec = app.openapi()
    operations = [(m.upper(), p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]
    assert len(operations) == OPERATIONS
    for method, path, op in operations:
        label, codes = f"{method} {path}", op["responses"]
        assert {"422", "503"} <= set(codes), label
        assert "Retry-After" in codes["503"]["headers"], label
        # A POST that registers something answers 201; one that acts on what exists (withdraw, publish, return,
        # merge) answers 200.
        acts = path.endswith(("/withdraw", "/publish", "/return", "/merge"))
        ok = codes["201" if method == "POST" and not acts else "200"]["content"]
        assert ok["application/json"]["schema"], label  # a model, not "anything"
        if any(p["name"] == "format" and "csv" in p["schema"].get("enum", []) for p in op.get("parameters", [])):
            assert "text/csv" in ok, label
        if method != "GET":
            assert {"400", "401", "403", "413"} <= set(codes) and op["security"] == [{"bearer": []}], label
            assert "WWW-Authenticate" in codes["401"]["headers"], label
        for parameter in op.get("parameters", []):
            if parameter["name"] in ("on", "date"):
                assert parameter["schema"]["anyOf"][0] == {"type": "string", "format": "date"}, label
        bodies = [c["schema"] for c in op.get("requestBody", {}).get("content", {}).values()]
        sources = [(f"{label} ?{p['name']}", p["schema"]) for p in op.get("parameters", [])]
        for where, schema in [*sources, *((f"{label} body", b) for b in bodies)]:
            for at, integer in _integers(spec, schema, where, set()):
                assert "minimum" in integer and integer.get("maximum", 2**64) <= 2**63 - 1, (at, integer)


def test_security_16_requests_outside_the_schema_are_refused(app: FastAPI) -> None:
    client = TestClient(app)
    refused = [
        "/api/v1/countries?on=0", "/api/v1/countries?on=20240101", "/api/v1/groups?on=2024-01-01T00:00:00",
        "/api/v1/areas/KEN?on=1e9", "/api/v1/areas/KEN/infrastructure?date=0", "/api/v1/pledges?format=xml",
        "/api/v1/areas/KEN/cost?format=xml", "/api/v1/organisations/9223372036854775808",
        "/api/v1/organisations/0", "/api/v1/pledges?organisation=9223372036854775808", "/api/v1/pledges?year=99999",
        "/api/v1/pledges?per_page=501", "/api/v1/pledges?page=1000001", "/api/v1/connectivity/offline?year=10000",
        f"/api/v1/connectivity/need?year={2**64}", "/api/v1/indicators/IT.NET.USER.ZS/observations?year=-1",
    ]  # fmt: skip
    for path in refused:
        assert client.get(path).status_code == 422, path
    assert client.get("/api/v1/countries?on=2024-01-01").status_code == 200
    assert client.get("/api/v1/organisations/2147483647").status_code == 404  # the largest id a record can have
    assert client.get("/api/v1/organisations/2147483648").status_code == 422
    ref = "P2C-2025-00001"
    report = {"year": 2025, "status": "in_progress"}
    for body in ({**report, "percent_complete": False}, {**report, "year": "2025"}, {**report, "people_reached": 1.5},
                 {**report, "narrative": 5}, {**report, "usd_disbursed": "100"}):  # fmt: skip
        answer = client.post(f"/api/v1/pledges/{ref}/reports", json=body, headers=AUTH)
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][0] == "body", (body, answer.text)
        assert client.post(f"/api/v1/pledges/{ref}/reports", json=body).status_code == 401  # the token first
    for change in ({"version": "1", "changes": {}}, {"version": 1, "changes": {"value": True}}):
        assert client.patch(f"/api/v1/pledges/{ref}", json=change, headers=AUTH).status_code == 422, change
    assert (
        client.post("/api/v1/organisations", json={"name": 5, "stakeholder_type": "academia"}, headers=AUTH).status_code
        == 422
    )
    # PostgreSQL can neither store nor compare a NUL character: refused in every parameter and body.
    for path in (
        "/api/v1/pledges/P2C-2025-00001%00",
        "/api/v1/pledges?q=a%00",
        "/api/v1/areas/KEN/infrastructure?source=%00",
    ):
        assert client.get(path).status_code == 422, path
    named = client.post("/api/v1/organisations", json={"name": "A\u0000", "stakeholder_type": "academia"}, headers=AUTH)
    assert named.status_code == 422 and named.json()["detail"][0]["loc"] == ["body", "name"], named.text
    too_many = {**report, "people_reached": 10**10 + 1}  # more than the world's population
    assert client.post(f"/api/v1/pledges/{ref}/reports", json=too_many, headers=AUTH).status_code == 422
    body = {**report, "percent_complete": 30, "people_reached": 2**31}  # beyond 32 bits is stored
    filed = client.post(f"/api/v1/pledges/{ref}/reports", json=body, headers=AUTH)
    assert filed.status_code == 201 and filed.json()["percent_complete"] == 30
    assert filed.json()["people_reached"] == 2**31
