"""What every page needs: who is asking, in which language, the CSRF token, and rendering.

Pages are rendered on the server (Jinja2) and work without JavaScript. Every page has a JSON twin
(``?format=json``) carrying the data it shows.
"""

from __future__ import annotations

import hmac
import math
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from observatory.accounts import service as accounts
from observatory.accounts.models import User, WebSession
from observatory.auth import ANONYMOUS, Action, Principal, can
from observatory.db import transaction
from observatory.web.i18n import LANGUAGES, RTL, Formatter, negotiate, translations

SESSION_COOKIE = "obs_session"
CSRF_COOKIE = "obs_csrf"
LANGUAGE_COOKIE = "obs_lang"

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
# Placeholders only: each render passes the reader's own gettext in its context (thread-safe).
templates.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


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


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction, committed before the response is sent (``scope="function"``), so a
    write that fails at commit is answered as an error, never as a success."""
    with transaction(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass
class Web:
    """The request as pages see it."""

    request: Request
    session: Session
    principal: Principal
    user: User | None
    language: str
    csrf: str
    cookies: dict[str, str] = field(default_factory=dict)

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


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def _signed_in_session(request: Request, session: Session) -> tuple[User, WebSession] | None:
    token = request.cookies.get(SESSION_COOKIE)
    return accounts.session_user(session, token) if token else None


def expected_csrf(request: Request, session: Session) -> str:
    """The CSRF token a form must carry: the signed-in session's own (stored with the session, new at
    every sign-in), else the anonymous browser's cookie (the sign-in and reset forms)."""
    found = _signed_in_session(request, session)
    return found[1].csrf_token if found else request.cookies.get(CSRF_COOKIE, "")


def web_context(request: Request, session: SessionDep) -> Web:
    found = _signed_in_session(request, session)
    user = found[0] if found else None
    principal = accounts.principal_for(user) if user else ANONYMOUS
    requested = request.query_params.get("lang")
    language = negotiate(requested, request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))
    anonymous_csrf = request.cookies.get(CSRF_COOKIE) or ""
    csrf = found[1].csrf_token if found else anonymous_csrf or new_csrf_token()
    web = Web(request, session, principal, user, language, csrf)
    if not found and not anonymous_csrf:
        web.cookies[CSRF_COOKIE] = csrf
    if requested in LANGUAGES:
        web.cookies[LANGUAGE_COOKIE] = language
    if request.cookies.get(SESSION_COOKIE) and user is None:
        web.cookies[SESSION_COOKIE] = ""  # expired or unknown: forget it
    return web


WebDep = Annotated[Web, Depends(web_context)]


async def csrf_protected(request: Request, session: SessionDep) -> None:
    """Refuse a form whose CSRF token is not the one of the browser's session (see ``expected_csrf``).

    No maintained package fits here: they sign a double-submit cookie, while the token of a signed-in
    form belongs to the server-side session it was issued with and ends with it."""
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    expected = expected_csrf(request, session)
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "the form has expired or did not come from this site; reload it and try again")


CsrfDep = Depends(csrf_protected)


def require_user(web: Web) -> User:
    """The signed-in user; others are sent to the sign-in page."""
    if web.user is None:
        raise HTTPException(303, headers={"location": web.url("/account/login", next=web.request.url.path)})
    return web.user
