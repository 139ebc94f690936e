"""The dependencies of every route: the database session, who is asking (a signed-in user in a browser,
or an API token), the CSRF check of forms, the posted form, and the area a URL names.

Routes declare what they need with these ``Annotated`` aliases (``SessionDep``, ``WebDep``,
``CurrentUser``, ``PrincipalDep``, ``WriterDep``, ``FormDep``, ``AreaDep``) and ``CsrfDep``; every
permission decision itself is taken in :mod:`observatory.auth`.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from observatory.accounts import service as accounts
from observatory.accounts.models import User, WebSession
from observatory.auth import ANONYMOUS, Principal, Role, Unauthenticated
from observatory.db import transaction
from observatory.i18n import LANGUAGES, negotiate
from observatory.reference import Area, resolve_area
from observatory.web.openapi import NUL, bearer, nul_issue, nul_paths
from observatory.web.render import CSRF_COOKIE, LANGUAGE_COOKIE, SESSION_COOKIE, Web

# Requests that only read (RFC 9110's safe methods): their transaction takes no write lock.
READS = frozenset({"GET", "HEAD", "OPTIONS"})
_READS_ONLY = "_observatory_reads_only"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def reads_only(endpoint: Endpoint) -> Endpoint:
    """Mark a form's route that only reads (a preview of an upload): its transaction takes no write lock, so it
    is answered while another writer (an import) holds it."""
    setattr(endpoint, _READS_ONLY, True)
    return endpoint


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction, committed before the response is sent (``scope="function"``), so a
    write that fails at commit is answered as an error, never as a success. A page or an answer that only
    reads sees one snapshot of the database from its first read to its last."""
    reading = request.method in READS or getattr(request.scope.get("endpoint"), _READS_ONLY, False)
    with transaction(request.app.state.engine, writes=not reading) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def new_csrf_token() -> str:
    """A fresh, unguessable CSRF token."""
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
    """The request as pages see it: the signed-in user, the reader's language, the form token, cookies to set."""
    found = _signed_in_session(request, session)
    user = found[0] if found else None
    principal = accounts.principal_for(user) if user else ANONYMOUS
    requested = request.query_params.get("lang")
    language = negotiate(requested, request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))
    anonymous_csrf = request.cookies.get(CSRF_COOKIE) or ""
    csrf = found[1].csrf_token if found else anonymous_csrf or new_csrf_token()
    web = Web(request, session, principal, user, language, csrf, csrf_cookie_missing=not found and not anonymous_csrf)
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


def current_user(web: WebDep) -> User:
    """The signed-in user (``CurrentUser``); others are sent to the sign-in page."""
    return require_user(web)


CurrentUser = Annotated[User, Depends(current_user)]


async def form_data(request: Request) -> FormData:
    """The posted form (read once; the CSRF check reads the same one). No field may hold a NUL
    character: PostgreSQL can neither store nor compare one."""
    form = await request.form()
    issues = [nul_issue("body", name) for name, value in form.multi_items() if isinstance(value, str) and NUL in value]
    if issues:
        raise RequestValidationError(issues)
    return form


FormDep = Annotated[FormData, Depends(form_data)]


def get_principal(
    request: Request,
    session: SessionDep,
    _token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,  # for the OpenAPI
) -> Principal:
    """Who is asking: the owner of a personal API token (``Authorization: Bearer …``), else the public."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.api_token_user(session, header[7:].strip())
        if user is None:
            raise Unauthenticated("invalid or revoked API token")
        return accounts.principal_for(user)
    return ANONYMOUS


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_writer(principal: PrincipalDep) -> Principal:
    """Who is writing: a write needs credentials, checked before the request's body is even read."""
    if principal.role == Role.PUBLIC:
        raise Unauthenticated("authentication required: send a personal API token (Authorization: Bearer …)")
    return principal


WriterDep = Annotated[Principal, Depends(get_writer)]


def strict_json(model: type[BaseModel]) -> Any:
    """A dependency type-checking the request's JSON body as JSON, before it is used: a number must be a number
    (not ``"5"``, not ``true``), a string a string, an integer an integer. The model's own rules then apply as
    they do everywhere (the form and CSV importer read text, so the models themselves stay lenient). Declared
    after ``WriterDep``, so a request without credentials is refused (401) before its body is looked at. No
    string may hold a NUL character (PostgreSQL can neither store nor compare one)."""

    async def check(request: Request) -> None:
        body = await request.body()
        try:
            model.model_validate_json(body, strict=True)
        except ValidationError as e:
            errors = [{**error, "loc": ("body", *error["loc"])} for error in e.errors(include_url=False)]
            raise RequestValidationError(errors) from None
        if b"\\u0000" in body and (found := nul_paths(json.loads(body))):  # JSON can only write NUL so
            raise RequestValidationError([nul_issue("body", *where) for where in found])

    return Depends(check)


def area_of(code: str) -> Area:
    """The area a URL's ``{code}`` names (``reference.resolve_area``); unknown codes are not found (404)."""
    return resolve_area(code)


AreaDep = Annotated[Area, Depends(area_of)]
