"""The accounts' pages: signing in and out, accepting an invitation, resetting a password (``/account``),
and the administration of users (``/admin``: who has an account, with which role and for which
organisations; changing a role, deactivating and reactivating an account, inviting someone of any role)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi import Path as PathParam
from fastapi.responses import Response

from observatory.accounts import service as accounts
from observatory.accounts.models import ROLES, User
from observatory.auth import Action
from observatory.errors import Conflict, Invalid, Refused
from observatory.pledges import service as pledges
from observatory.web.deps import CsrfDep, FormDep, WebDep, new_csrf_token
from observatory.web.forms import MAX_INTEGER, enter, invitation_error, redirect, text
from observatory.web.labels import choices, field_labels
from observatory.web.render import CSRF_COOKIE, SESSION_COOKIE, Web, add_templates

router = APIRouter(prefix="/account", include_in_schema=False)
UserId = Annotated[int, PathParam(ge=1, le=MAX_INTEGER)]
add_templates(Path(__file__).parent / "templates")


def _home_for(role: str) -> str:
    return {"pledger": "/portal", "secretariat": "/secretariat", "admin": "/secretariat"}.get(role, "/")


def _new_cookies(web: Web, session_token: str, target: str) -> Response:
    """To ``target`` with the session cookie set (or forgotten, when empty) and a new anonymous CSRF token."""
    web.cookies[SESSION_COOKIE] = session_token
    web.cookies[CSRF_COOKIE] = new_csrf_token()
    return redirect(web, target)


def _signed_in(web: Web, user: User, target: str) -> Response:
    """A new session; its CSRF token is new too (kept with the session), and so is the anonymous one."""
    token, _csrf = accounts.start_session(web.session, user)
    return _new_cookies(web, token, target)


@router.get("/login")
def login_form(web: WebDep, next: str = "") -> Response:
    """The sign-in form."""
    return web.render("accounts/login.html", {}, next=next, email="", error=None)


@router.post("/login", dependencies=[CsrfDep])
def login(
    web: WebDep, email: Annotated[str, Form()], password: Annotated[str, Form()], next: Annotated[str, Form()] = ""
) -> Response:
    """Sign in, then go where the user was going (a page of this site), else to the home of the user's role."""
    client = web.request.client.host if web.request.client else "unknown"
    try:
        user = accounts.login(web.session, email, password, client)
    except Refused as exc:
        message = (
            web.gettext("Too many failed attempts; wait 15 minutes and try again.")
            if exc.status == 429
            else (web.gettext("Wrong e-mail address or password."))
        )
        return web.render("accounts/login.html", {}, status=exc.status, next=next, email=email, error=message)
    target = next if next.startswith("/") and not next.startswith("//") else _home_for(user.role)
    return _signed_in(web, user, target)


@router.post("/logout", dependencies=[CsrfDep])
def logout(web: WebDep) -> Response:
    """Sign out."""
    token = web.request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(web.session, token)
    return _new_cookies(web, "", "/")


def _password_page(web: Web, token: str, purpose: str, error: str | None = None, status: int = 200) -> Response:
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
    return web.render("accounts/password.html", {}, status=status, heading=heading, error=error)


def _use_link(web: Web, token: str, purpose: str, password: str) -> Response:
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
    except Refused as exc:
        return _password_page(web, token, purpose, str(exc), exc.status)
    return _signed_in(web, user, _home_for(user.role))


@router.get("/accept/{token}")
def accept_form(web: WebDep, token: str) -> Response:
    """The form to choose a password, from an invitation link."""
    return _password_page(web, token, "invitation")


@router.post("/accept/{token}", dependencies=[CsrfDep])
def accept(web: WebDep, token: str, password: Annotated[str, Form()]) -> Response:
    """Choose a password from an invitation link, and sign in."""
    return _use_link(web, token, "invitation", password)


@router.get("/reset")
def reset_request_form(web: WebDep) -> Response:
    """The form to ask for a password reset link."""
    return web.render("accounts/reset_request.html", {}, sent=False)


@router.post("/reset", dependencies=[CsrfDep])
def reset_request(web: WebDep, email: Annotated[str, Form()]) -> Response:
    """Mail a reset link if the address has an account; the page says the same either way."""
    accounts.request_password_reset(web.session, email, web.request.app.state.settings)
    return web.render("accounts/reset_request.html", {}, sent=True)


@router.get("/reset/{token}")
def reset_form(web: WebDep, token: str) -> Response:
    """The form to choose a new password, from a reset link."""
    return _password_page(web, token, "password_reset")


@router.post("/reset/{token}", dependencies=[CsrfDep])
def reset(web: WebDep, token: str, password: Annotated[str, Form()]) -> Response:
    """Choose a new password from a reset link, and sign in."""
    return _use_link(web, token, "password_reset", password)


# ---------------------------------------------------------------- user administration

admin = APIRouter(prefix="/admin", include_in_schema=False)


def _user_dict(u: User, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "role": u.role,
        "active": u.active,
        "invited": u.password_hash is None,
        "organisations": [{"id": m.organisation_id, "name": names.get(m.organisation_id, "")} for m in u.memberships],
        "created_at": u.created_at,
    }


def users_page(
    web: Web,
    *,
    notice: str = "",
    error: str = "",
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The users page: every account with its role and organisations, and the invitation form."""
    users, names = accounts.users_with_organisations(web.session)
    data = {
        "users": [_user_dict(u, names) for u in users],
        "roles": list(ROLES),
        "notice": notice,
        "error": error,
        "values": values or {"email": "", "role": "pledger", "organisation": ""},
    }
    me = web.user.id if web.user else None
    return web.render("accounts/users.html", data, status=status, labels=choices(web), fields=field_labels(web), me=me)


@admin.get("/users")
def users(web: WebDep, invited: str = "", changed: str = "") -> Response:
    """The users page, with what was just done."""
    enter(web, Action.MANAGE_USERS)
    notice = ""
    if invited:
        notice = web.gettext("Invitation sent to %(email)s.") % {"email": invited}
    elif changed:
        notice = web.gettext("Account %(email)s updated.") % {"email": changed}
    return users_page(web, notice=notice)


@admin.post("/users/invite", dependencies=[CsrfDep])
def invite_user(web: WebDep, form: FormDep) -> Response:
    """Invite someone of any role (a pledger for a registered organisation): the account is created and its invitation
    link mailed."""
    enter(web, Action.MANAGE_USERS)
    values = {k: text(form, k) for k in ("email", "role", "organisation")}
    if values["role"] not in ROLES:
        return users_page(web, error=web.gettext("Choose one of the roles."), values=values, status=422)
    organisations: list[int] = []
    if values["organisation"]:
        org = pledges.find_organisation(web.session, values["organisation"])
        if org is None:
            message = web.gettext("No organisation is registered under this name.")
            return users_page(web, error=message, values=values, status=422)
        organisations = [org.id]
    settings = web.request.app.state.settings
    try:
        user, _link = accounts.invite_user(
            web.session, values["email"], values["role"], organisations, settings, web.principal.name
        )
    except (Invalid, Conflict) as exc:
        return users_page(web, error=invitation_error(web, exc), values=values, status=exc.status)
    return redirect(web, web.url("/admin/users", invited=user.email))


def _change(web: Web, user_id: int, role: str | None = None, active: bool | None = None) -> Response:
    """Change another account (never the administrator's own: no one is locked out by mistake)."""
    enter(web, Action.MANAGE_USERS)
    user = accounts.get_user(web.session, user_id)
    if web.user is not None and user.id == web.user.id:
        message = web.gettext("You cannot change your own account here: ask another administrator.")
        return users_page(web, error=message, status=422)
    if role is not None and role not in ROLES:
        return users_page(web, error=web.gettext("Choose one of the roles."), status=422)
    accounts.change_account(web.session, user, web.principal.name, role=role, active=active)
    return redirect(web, web.url("/admin/users", changed=user.email))


@admin.post("/users/{user_id}/role", dependencies=[CsrfDep])
def change_role(web: WebDep, user_id: UserId, form: FormDep) -> Response:
    """Change another account's role."""
    return _change(web, user_id, role=text(form, "role"))


@admin.post("/users/{user_id}/deactivate", dependencies=[CsrfDep])
def deactivate(web: WebDep, user_id: UserId) -> Response:
    """Switch another account off: it is signed out everywhere."""
    return _change(web, user_id, active=False)


@admin.post("/users/{user_id}/reactivate", dependencies=[CsrfDep])
def reactivate(web: WebDep, user_id: UserId) -> Response:
    """Switch another account on again."""
    return _change(web, user_id, active=True)
