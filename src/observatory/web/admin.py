"""User administration: who has an account, with which role and for which organisations; changing a
role, deactivating and reactivating an account, inviting someone of any role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from sqlalchemy import select

from observatory.accounts import service as accounts
from observatory.accounts.models import ROLES, User
from observatory.auth import Action
from observatory.pledges import service
from observatory.pledges.models import Organisation
from observatory.pledges.schemas import Id
from observatory.web.context import CsrfDep, Web, WebDep
from observatory.web.portal import FormDep, choices, enter, field_labels, redirect, text
from observatory.web.secretariat import invitation_error, send_invitation

router = APIRouter(prefix="/admin", include_in_schema=False)


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
    users = list(web.session.scalars(select(User).order_by(User.email_key)))
    org_ids = {m.organisation_id for u in users for m in u.memberships}
    named = select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
    names = {org: name for org, name in web.session.execute(named)}
    data = {
        "users": [_user_dict(u, names) for u in users],
        "roles": list(ROLES),
        "notice": notice,
        "error": error,
        "values": values or {"email": "", "role": "pledger", "organisation": ""},
    }
    me = web.user.id if web.user else None
    return web.render("admin/users.html", data, status=status, labels=choices(web), fields=field_labels(web), me=me)


@router.get("/users")
def users(web: WebDep, invited: str = "", changed: str = "") -> Response:
    enter(web, Action.MANAGE_USERS)
    notice = ""
    if invited:
        notice = web.gettext("Invitation sent to %(email)s.") % {"email": invited}
    elif changed:
        notice = web.gettext("Account %(email)s updated.") % {"email": changed}
    return users_page(web, notice=notice)


@router.post("/users/invite", dependencies=[CsrfDep])
def invite_user(web: WebDep, form: FormDep) -> Response:
    enter(web, Action.MANAGE_USERS)
    values = {k: text(form, k) for k in ("email", "role", "organisation")}
    if values["role"] not in ROLES:
        return users_page(web, error=web.gettext("Choose one of the roles."), values=values, status=422)
    organisations: list[int] = []
    if values["organisation"]:
        org = service.find_organisation(web.session, values["organisation"])
        if org is None:
            message = web.gettext("No organisation is registered under this name.")
            return users_page(web, error=message, values=values, status=422)
        organisations = [org.id]
    try:
        email = send_invitation(web, values["email"], values["role"], organisations)
    except (service.Invalid, service.Conflict) as exc:
        return users_page(web, error=invitation_error(web, exc), values=values, status=exc.status)
    return redirect(web, web.url("/admin/users", invited=email))


def _other_user(web: Web, user_id: int) -> User | None:
    """The account to change; ``None`` when it is the administrator's own (never locked out by mistake)."""
    enter(web, Action.MANAGE_USERS)
    user = web.session.get(User, user_id)
    if user is None:
        raise service.NotFound(f"no user {user_id}")
    return None if web.user is not None and user.id == web.user.id else user


def _change(web: Web, user: User, role: str | None = None, active: bool | None = None) -> Response:
    accounts.change_account(web.session, user, web.principal.name, role=role, active=active)
    return redirect(web, web.url("/admin/users", changed=user.email))


def _own_account(web: Web) -> Response:
    message = web.gettext("You cannot change your own account here: ask another administrator.")
    return users_page(web, error=message, status=422)


@router.post("/users/{user_id}/role", dependencies=[CsrfDep])
def change_role(web: WebDep, user_id: Annotated[Id, Path()], form: FormDep) -> Response:
    user = _other_user(web, user_id)
    if user is None:
        return _own_account(web)
    role = text(form, "role")
    if role not in ROLES:
        return users_page(web, error=web.gettext("Choose one of the roles."), status=422)
    return _change(web, user, role=role)


@router.post("/users/{user_id}/deactivate", dependencies=[CsrfDep])
def deactivate(web: WebDep, user_id: Annotated[Id, Path()]) -> Response:
    user = _other_user(web, user_id)
    if user is None:
        return _own_account(web)
    return _change(web, user, active=False)


@router.post("/users/{user_id}/reactivate", dependencies=[CsrfDep])
def reactivate(web: WebDep, user_id: Annotated[Id, Path()]) -> Response:
    user = _other_user(web, user_id)
    if user is None:
        return _own_account(web)
    return _change(web, user, active=True)
