"""Rendering: the request as pages see it (:class:`Web`), the templates, and JSON that never fails.

Pages are rendered on the server (Jinja2) and work without JavaScript. Every page has a JSON twin
(``?format=json``) carrying the data it shows. Each capability keeps its templates in a folder named
after it (``pledges/templates/pledges/…``) and registers its ``templates`` folder with
:func:`add_templates`; the base templates are here, in ``web/templates``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from observatory.accounts.models import User
from observatory.auth import Action, Principal, can
from observatory.i18n import LANGUAGES, RTL, Formatter, translations

SESSION_COOKIE = "obs_session"
CSRF_COOKIE = "obs_csrf"
LANGUAGE_COOKIE = "obs_lang"

_loader = FileSystemLoader([Path(__file__).parent / "templates"])
templates = Environment(
    loader=_loader,
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
# Placeholders only: each render passes the reader's own gettext in its context (thread-safe).
templates.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


def add_templates(folder: Path) -> None:
    """Make a capability's templates (``folder/<capability>/*.html``) available to every page."""
    if str(folder) not in _loader.searchpath:
        _loader.searchpath.append(str(folder))


def finite(value: Any) -> Any:
    """``value`` with every non-finite number (infinity, NaN) replaced by None: JSON has no such
    numbers, and an answer must never fail on one."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


class FiniteJSONResponse(JSONResponse):
    """The platform's JSON: strict JSON even when a stored number is not finite."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except ValueError:  # "Out of range float values are not JSON compliant"
            return super().render(finite(content))


def template_gettext(language: str) -> tuple[Callable[..., Markup], Callable[..., Markup]]:
    """gettext and ngettext for templates, as Jinja's new-style gettext: ``_("%(n)s pledges", n=3)``, with
    the variables escaped."""
    t = translations(language)

    def gettext(message: str, **variables: Any) -> Markup:
        text = Markup(t.gettext(message))  # noqa: S704  (the catalog is ours)
        return text % variables if variables else text

    def ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
        text = Markup(t.ngettext(singular, plural, n))  # noqa: S704
        return text % {"num": n, **variables}

    return gettext, ngettext


@dataclass
class Web:
    """The request as pages see it."""

    request: Request
    session: Session
    principal: Principal
    user: User | None
    language: str
    csrf_token: str
    cookies: dict[str, str] = field(default_factory=dict)
    # The anonymous browser has no CSRF cookie yet: the first form drawn for it sets one. A page without a
    # form sets no cookie, so one copy of it can be served to every reader.
    csrf_cookie_missing: bool = False
    has_form: bool = False  # a form was drawn: the page holds this reader's token and is theirs only

    @property
    def csrf(self) -> str:
        """The token a form drawn on this page carries (see ``deps.expected_csrf``)."""
        self.has_form = True
        if self.csrf_cookie_missing:
            self.cookies[CSRF_COOKIE] = self.csrf_token
        return self.csrf_token

    @property
    def fmt(self) -> Formatter:
        return Formatter(self.language)

    def gettext(self, message: str) -> str:
        return translations(self.language).gettext(message)

    def can(self, action: Action, organisation_id: int | None = None, review_state: str | None = None) -> bool:
        return can(self.principal, action, organisation_id, review_state)

    def url(self, path: str | None = None, **params: Any) -> str:
        """A URL on this site; with no path, the current page with some query parameters replaced."""
        if path is not None:
            query = {k: v for k, v in params.items() if v not in (None, "", [])}
            return path + ("?" + urlencode(query, doseq=True) if query else "")
        current: dict[str, Any] = {}
        for key, value in self.request.query_params.multi_items():
            current.setdefault(key, []).append(value)
        for key, value in params.items():
            current[key] = value
        query = {k: v for k, v in current.items() if v not in (None, "", [])}
        return self.request.url.path + ("?" + urlencode(query, doseq=True) if query else "")

    def render(self, template: str, data: Mapping[str, Any], status: int = 200, **context: Any) -> Response:
        """The page, or its JSON twin when the URL asks for ``format=json``."""
        if self.request.query_params.get("format") == "json":
            response: Response = FiniteJSONResponse(jsonable_encoder(data), status_code=status)
        else:
            gettext, ngettext = template_gettext(self.language)
            html = templates.get_template(template).render(
                web=self,
                _=gettext,
                gettext=gettext,
                ngettext=ngettext,
                fmt=self.fmt,
                languages=LANGUAGES,
                direction="rtl" if self.language in RTL else "ltr",
                **data,
                **context,
            )
            response = HTMLResponse(html, status_code=status)
        if self.has_form:
            response.headers["cache-control"] = "private, no-store"
        self.set_cookies(response)
        return response

    def set_cookies(self, response: Response) -> None:
        secure = self.request.url.scheme == "https"  # behind a trusted proxy, as its X-Forwarded-Proto says
        for name, value in self.cookies.items():
            if value:
                response.set_cookie(name, value, httponly=True, samesite="lax", secure=secure, max_age=365 * 86400
                                    if name == LANGUAGE_COOKIE else None)  # fmt: skip
            else:
                response.delete_cookie(name)
