"""Form helpers for the pages of every capability: reading what was typed, the signed-in entry to a page,
the redirect after a post, and validation errors in the words of the person filling the form."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from babel.numbers import format_decimal
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from observatory.auth import Action, require
from observatory.errors import Conflict, Refused
from observatory.i18n import N_, Formatter, translations
from observatory.i18n.validation import error_message
from observatory.web.deps import require_user
from observatory.web.labels import field_labels
from observatory.web.render import Web

if TYPE_CHECKING:
    from observatory.accounts.models import User

MAX_FORMATTED = 1e15  # amounts shown with separators up to here (the registry accepts at most 1e13)
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


def number_text(value: float | int | None, language: str | None = None) -> str:
    """A number as a form shows it: no exponent, no trailing zeros; with ``language``, an amount as that
    language writes it ("2,500,000.5" in English, "2 500 000,5" in French), which the form reads back."""
    if value is None:
        return ""
    if language is not None and math.isfinite(value) and abs(value) < MAX_FORMATTED:
        return format_decimal(value, format="#,##0.##", locale=Formatter(language).locale)
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


class _Words:
    """What ``field_labels`` needs of a page: the reader's language and its catalog."""

    def __init__(self, language: str):
        self.language = language
        self.gettext = translations(language).gettext


def _label(labels: Mapping[str, str], name: str) -> str:
    return labels.get(name) or name.replace("_", " ").capitalize()


def _field(loc: Sequence[int | str], labels: Mapping[str, str]) -> str:
    """The field an error is about: the first part of its path that is a field of the form ("pledger" of
    ``pledger.name``), else its last name."""
    names = [str(x) for x in loc if isinstance(x, str) and x not in ("body", "query", "path", "header", "cookie")]
    return next((n for n in names if n in labels), names[-1] if names else "")


# In a form a choice is made from a list: its error says so, not the codes behind the options.
FORM_MESSAGES = {"literal_error": N_("Choose one of the options."), "enum": N_("Choose one of the options.")}


def form_errors(
    web: Web,
    exc: ValidationError,
    rename: dict[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
) -> dict[str, list[str]]:
    """Every validation error by form field (``rename`` maps a model's field to the form's), each a sentence
    naming the field, in the reader's language. ``messages`` adds sentences (msgids) for a model's own
    error types."""
    labels = field_labels(web)
    out: dict[str, list[str]] = {}
    for e in exc.errors():
        loc = [str(x) for x in e["loc"]]
        name = loc[0] if loc else "form"
        field = (rename or {}).get(name, name)
        known = {**FORM_MESSAGES, **(messages or {})}
        message = error_message(e, web.gettext, _label(labels, field), name, web.language, known)
        if message not in out.setdefault(field, []):
            out[field].append(message)
    return out


def api_errors(errors: Sequence[Any], language: str, messages: Mapping[str, str] | None = None) -> list[Any]:
    """Validation errors as the API answers them: ``loc`` and ``type`` as pydantic gives them (for programs),
    ``msg`` the sentence a person reads in the form, in the request's language."""
    words = _Words(language)
    labels = field_labels(cast("Web", words))
    out = []
    for e in errors:
        if not isinstance(e, dict) or "type" not in e:
            out.append(e)
            continue
        name = _field(e.get("loc", ()), labels)
        details = cast("ErrorDetails", e)
        msg = error_message(details, words.gettext, _label(labels, name), name, language, messages)
        out.append({**e, "msg": msg})
    return out


def invitation_error(web: Web, exc: Refused) -> str:
    """Why an invitation was refused, in words: the address has an account already, or is not one."""
    if isinstance(exc, Conflict):
        return web.gettext("This address already has an account.")
    return web.gettext("This is not a valid e-mail address.")
