"""Signing in and out, accepting an invitation, resetting a password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from observatory.accounts import service as accounts
from observatory.accounts.models import User
from observatory.pledges.service import RegistryError
from observatory.web.context import CSRF_COOKIE, SESSION_COOKIE, CsrfDep, WebDep, new_csrf_token

router = APIRouter(prefix="/account", include_in_schema=False)


def _home_for(role: str) -> str:
    return {"pledger": "/portal", "secretariat": "/secretariat", "admin": "/secretariat"}.get(role, "/")


def _signed_in(web: WebDep, user: User, target: str) -> Response:
    """A new session; its CSRF token is new too (kept with the session), and so is the anonymous one."""
    token, _csrf = accounts.start_session(web.session, user)
    response = RedirectResponse(target, status_code=303)
    web.cookies[SESSION_COOKIE] = token
    web.cookies[CSRF_COOKIE] = new_csrf_token()
    web.set_cookies(response)
    return response


@router.get("/login")
def login_form(web: WebDep, next: str = "") -> Response:
    return web.render("account/login.html", {}, next=next, email="", error=None)


@router.post("/login", dependencies=[CsrfDep])
def login(
    web: WebDep, email: Annotated[str, Form()], password: Annotated[str, Form()], next: Annotated[str, Form()] = ""
) -> Response:
    client = web.request.client.host if web.request.client else "unknown"
    try:
        user = accounts.login(web.session, email, password, client)
    except RegistryError as exc:
        web.session.commit()  # keep the failed attempt for throttling
        message = (
            web.gettext("Too many failed attempts; wait 15 minutes and try again.")
            if exc.status == 429
            else (web.gettext("Wrong e-mail address or password."))
        )
        return web.render("account/login.html", {}, status=exc.status, next=next, email=email, error=message)
    target = next if next.startswith("/") and not next.startswith("//") else _home_for(user.role)
    return _signed_in(web, user, target)


@router.post("/logout", dependencies=[CsrfDep])
def logout(web: WebDep) -> Response:
    token = web.request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(web.session, token)
    response = RedirectResponse("/", status_code=303)
    web.cookies[SESSION_COOKIE] = ""
    web.cookies[CSRF_COOKIE] = new_csrf_token()
    web.set_cookies(response)
    return response


def _password_page(web: WebDep, token: str, purpose: str, error: str | None = None, status: int = 200) -> Response:
    if not accounts.link_is_valid(web.session, token, purpose):
        return web.render(
            "message.html", {}, status=404,
            heading=web.gettext("This link has expired"),
            message=web.gettext("Links work once and for a limited time. Ask for a new one."),
            link="/account/reset", link_text=web.gettext("Reset your password"),
        )  # fmt: skip
    heading = (
        web.gettext("Welcome: choose your password")
        if purpose == "invitation"
        else web.gettext("Choose a new password")
    )
    return web.render("account/password.html", {}, status=status, heading=heading, error=error)


def _use_link(web: WebDep, token: str, purpose: str, password: str) -> Response:
    try:
        user = accounts.use_link(web.session, token, purpose, password)
    except accounts.WeakPassword as exc:
        message = (
            web.gettext("The password needs at least 12 characters.")
            if exc.reason == "short"
            else web.gettext(
                "This password is too easy to guess (a common password, a name, a pattern or your own address). "
                "Choose a longer one, such as a few unrelated words."
            )
        )
        return _password_page(web, token, purpose, message, exc.status)
    except RegistryError as exc:
        return _password_page(web, token, purpose, str(exc), exc.status)
    return _signed_in(web, user, _home_for(user.role))


@router.get("/accept/{token}")
def accept_form(web: WebDep, token: str) -> Response:
    return _password_page(web, token, "invitation")


@router.post("/accept/{token}", dependencies=[CsrfDep])
def accept(web: WebDep, token: str, password: Annotated[str, Form()]) -> Response:
    return _use_link(web, token, "invitation", password)


@router.get("/reset")
def reset_request_form(web: WebDep) -> Response:
    return web.render("account/reset_request.html", {}, sent=False)


@router.post("/reset", dependencies=[CsrfDep])
def reset_request(web: WebDep, email: Annotated[str, Form()]) -> Response:
    accounts.request_password_reset(web.session, email, web.request.app.state.settings)
    return web.render("account/reset_request.html", {}, sent=True)


@router.get("/reset/{token}")
def reset_form(web: WebDep, token: str) -> Response:
    return _password_page(web, token, "password_reset")


@router.post("/reset/{token}", dependencies=[CsrfDep])
def reset(web: WebDep, token: str, password: Annotated[str, Form()]) -> Response:
    return _use_link(web, token, "password_reset", password)
