"""What every ``/api/v1`` operation shares in its OpenAPI description: the error answers it can give (their
status codes, the ``{"detail": …}`` body, the ``WWW-Authenticate`` and ``Retry-After`` headers), the CSV
alternative of a list, the bearer-token scheme, and the parameter types that refuse what the schema does not
describe (a date that is not ``YYYY-MM-DD``, a year out of range).

The application's exception handlers (``observatory.web.app``) give these answers; the schemathesis test
(``tests/web/test_openapi.py``) checks that every answer is documented here or in the operation's models.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPBearer
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

# The bearer-token scheme: a personal API token, created on the account page. Declared by the dependency that
# reads the token, so every operation that looks at it lists it; reading it never fails here (a wrong token is
# refused by that dependency with a 401).
bearer = HTTPBearer(
    scheme_name="bearer",
    description="A personal API token (account page): `Authorization: Bearer <token>`.",
    auto_error=False,
)
# An operation the public may call, a token showing more (unpublished pledges to those who may read them).
OPTIONAL_TOKEN: dict[str, Any] = {"security": [{}]}

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUL = "\x00"


def nul_issue(*loc: str | int, value: object = None) -> dict[str, Any]:
    """The 422 reason for a NUL character at ``loc`` (as pydantic words its own)."""
    return {"type": "string_nul", "loc": loc, "msg": "must not contain a NUL character", "input": value}


async def _no_nul_in_parameters(request: Request) -> None:
    """No path or query parameter may hold a NUL character: PostgreSQL can neither store nor compare one, and
    no code, reference or search needs it. Refused (422) before anything reads the parameter."""
    issues = [nul_issue("path", k, value=v) for k, v in request.path_params.items() if NUL in str(v)]
    issues += [
        nul_issue("query", name, value=value)
        for name, value in request.query_params.multi_items()
        if NUL in name or NUL in value
    ]
    if issues:
        raise RequestValidationError(issues)


# For an API router's ``dependencies=``: every operation refuses NUL characters in its parameters.
NO_NUL_PARAMETERS = Depends(_no_nul_in_parameters)


def nul_paths(value: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Where a parsed JSON document holds a string (or a key) with a NUL character."""
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, dict):
        found = [(*path, str(k)) for k in value if NUL in str(k)]
        return found + [p for k, v in value.items() for p in nul_paths(v, (*path, str(k)))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nul_paths(v, (*path, i))]
    return []


def _iso_date(value: object) -> object:
    """A date parameter is ``YYYY-MM-DD``: not a number of seconds (``on=0``), not a date and time."""
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    if not isinstance(value, str | dt.date):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
# A year asked about: indicators start in 1960, pledges and projections end before 2200.
YearParam = Annotated[int, Field(ge=1900, le=2200)]
# A date and time as the database keeps it (UTC; without an offset on SQLite), written as ISO 8601.
Timestamp = Annotated[
    dt.datetime,
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "description": "ISO 8601 date and time (UTC)"}),
]


class Out(BaseModel):
    """An answer: exactly the fields listed. A service answering a field not listed here is a bug, found by
    the API's fuzz test before it reaches anyone."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Out):
    """Why the request was refused."""

    detail: str


class ValidationIssue(BaseModel):
    """One reason a request is outside the schema (pydantic's error)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Out):
    """A request the schema does not allow (each reason, with where it is), or a value the registry's rules
    refuse (one sentence)."""

    detail: str | list[ValidationIssue]


_ERRORS: dict[int, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body cannot be read: it is not UTF-8 text."},
    401: {
        "model": ErrorOut,
        "description": "No API token where one is needed, or a wrong or revoked one.",
        "headers": {
            "WWW-Authenticate": {"description": "`Bearer`", "required": True, "schema": {"type": "string"}},
        },
    },
    403: {"model": ErrorOut, "description": "The token's owner may not do this."},
    404: {"model": ErrorOut, "description": "No such record, code or loaded data."},
    409: {
        "model": ErrorOut,
        "description": "Conflict: the record changed since the version sent (reload it and try again), or it "
        "already exists.",
    },
    413: {"model": ErrorOut, "description": "The request body is larger than the largest accepted (1 MB)."},
    422: {"model": ValidationErrorOut, "description": "The request is outside the schema or the registry's rules."},
    503: {
        "model": ErrorOut,
        "description": "The registry is busy writing another change; try again after `Retry-After` seconds.",
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "required": True, "schema": {"type": "integer"}},
        },
    },
}
# What every operation can answer besides its own errors: a request outside the schema, a busy database.
COMMON = (422, 503)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers ``codes`` (422 and 503 always), for a route's ``responses=``."""
    return {code: _ERRORS[code] for code in sorted({*codes, *COMMON})}


def csv_alternative(description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer's CSV form (``format=csv``), beside its JSON form."""
    return {
        200: {
            "description": description,
            "content": {"text/csv": {"schema": {"type": "string", "description": "UTF-8 CSV, a header row first"}}},
        }
    }


def responses(*codes: int, csv: str | None = None) -> dict[int | str, dict[str, Any]]:
    """``errors(*codes)``, with the CSV alternative of the 200 answer when ``csv`` describes it."""
    return {**(csv_alternative(csv) if csv else {}), **errors(*codes)}
