"""Form helpers for the pages of every capability: reading what was typed, the signed-in entry to a page,
the redirect after a post, and validation errors in the words of the person filling the form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from observatory.auth import Action, require
from observatory.errors import Conflict, Refused
from observatory.web.deps import require_user
from observatory.web.render import Web

if TYPE_CHECKING:
    from observatory.accounts.models import User

# Record ids are INTEGER columns (32 bits on PostgreSQL): a larger number names no record.
MAX_INTEGER = 2**31 - 1


def enter(web: Web, action: Action = Action.READ_UNPUBLISHED) -> User:
    """The signed-in user, if allowed to ``action`` at all; others are sent to sign in or refused."""
    user = require_user(web)
    require(web.principal, action)
    return user


def redirect(web: Web, url: str) -> Response:
    """Where a successful post sends the browser (303, so a reload does not post again), with the
    request's cookies."""
    response = RedirectResponse(url, status_code=303)
    web.set_cookies(response)
    return response


def text(form: FormData, name: str) -> str:
    """A text field as typed, without surrounding blanks; empty when absent (or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def many(form: FormData, name: str) -> list[str]:
    """Every value ticked or typed for a field (check boxes, multiple choices), blanks left out."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def lines(value: str) -> list[str]:
    """The non-empty lines of a text area, each without surrounding blanks."""
    return [x.strip() for x in value.splitlines() if x.strip()]


def integer(value: str) -> int | None:
    """A whole number typed in a form, or None; numbers beyond 32 bits are none (no record has them)."""
    try:
        number = int(value)
    except ValueError:
        return None
    return number if -MAX_INTEGER - 1 <= number <= MAX_INTEGER else None


def number_text(value: float | int | None) -> str:
    """A number as a form shows it: no exponent, no trailing zeros."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _clean(msg: str) -> str:
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _model_level_field(message: str) -> str:
    if message.startswith("end_year"):
        return "end_year"
    if message.startswith("value needs"):
        return "currency"
    if message.startswith("pillar"):
        return "pillars"
    return "form"


def _message(web: Web, e: ErrorDetails) -> str:
    """A validation error in words a person filling the form understands."""
    g = web.gettext
    kind, msg = e["type"], _clean(e["msg"])
    limit = (e.get("ctx") or {}).get("ge", (e.get("ctx") or {}).get("le", ""))
    known = {
        "missing": g("This field is required."),
        "too_short": g("This field is required."),
        "string_too_long": g("This text is too long."),
        "float_parsing": g("Enter a number, in digits only (such as 250000)."),
        "float_type": g("Enter a number, in digits only (such as 250000)."),
        "finite_number": g("Enter a number, in digits only (such as 250000)."),
        "int_parsing": g("Enter a whole number."),
        "int_from_float": g("Enter a whole number."),
        "int_type": g("Enter a whole number."),
        "date_from_datetime_parsing": g("Enter a date as YYYY-MM-DD."),
        "date_parsing": g("Enter a date as YYYY-MM-DD."),
        "date_type": g("Enter a date as YYYY-MM-DD."),
        "literal_error": g("Choose one of the options."),
        "greater_than_equal": g("Enter a number no lower than %(limit)s.") % {"limit": limit},
        "less_than_equal": g("Enter a number no higher than %(limit)s.") % {"limit": limit},
    }
    if kind in known:
        return known[kind]
    sentences = {
        "must not be empty": g("This field is required."),
        "value needs a currency": g("Choose the currency of the value."),
        "must be an http:// or https:// address": g("Enter an address starting with http:// or https://."),
    }
    if msg in sentences:
        return sentences[msg]
    if msg.startswith("end_year"):
        return g("The end year is before the start year.")
    if msg.startswith("pillar"):
        return g("A pillar you ticked belongs to a focus area you did not tick: tick that focus area too.")
    return msg


def form_errors(web: Web, exc: ValidationError, rename: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Validation errors by form field (``rename`` maps a model's field to the form's), each in words."""
    out: dict[str, list[str]] = {}
    for e in exc.errors():
        loc = [str(x) for x in e["loc"]]
        field = loc[0] if loc else _model_level_field(_clean(e["msg"]))
        field = (rename or {}).get(field, field)
        message = _message(web, e)
        if message not in out.setdefault(field, []):
            out[field].append(message)
    return out


def invitation_error(web: Web, exc: Refused) -> str:
    """Why an invitation was refused, in words: the address has an account already, or is not one."""
    if isinstance(exc, Conflict):
        return web.gettext("This address already has an account.")
    return web.gettext("This is not a valid e-mail address.")
