"""The secretariat's organisation pages: the organisations with their pledges and pledgers, registering one,
inviting its pledgers, correcting one (name, other names, type, ITU membership, country) and merging two."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import ValidationError

from observatory import reference
from observatory.accounts import service as accounts
from observatory.auth import Action
from observatory.errors import Conflict, Invalid, NotFound
from observatory.pledges import service
from observatory.pledges.models import Organisation
from observatory.pledges.schemas import Id, OrganisationFields, OrganisationIn
from observatory.web.deps import CsrfDep, FormDep, WebDep
from observatory.web.forms import enter, form_errors, integer, invitation_error, lines, redirect, text
from observatory.web.labels import choices, field_labels, label
from observatory.web.render import Web

router = APIRouter(prefix="/secretariat", include_in_schema=False)

ORGANISATIONS_PER_PAGE = 100
FIELDS = ("name", "other_names", "stakeholder_type", "itu_membership", "country")
OrgId = Annotated[Id, Path()]


def _countries(web: Web) -> list[tuple[str, str]]:
    return sorted(((c, label(web, "country", c)) for c in reference.countries()), key=lambda item: item[1].casefold())


def _fields(web: Web) -> dict[str, str]:
    return {**field_labels(web), "other_names": web.gettext("Other names")}


def _country_name(web: Web, code: str | None) -> str:
    return label(web, "country", code) if code else "–"


# ---------------------------------------------------------------- the list, registering, inviting


def organisations_page(
    web: Web,
    *,
    q: str = "",
    page: int = 1,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    invite_error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    """The organisations page: a page of the organisations matching ``q`` (by name or other name) with their
    pledges and pledgers, and the forms to register one and invite its pledgers."""
    page = max(1, page)
    orgs, total = service.search_organisations(web.session, q, page, ORGANISATIONS_PER_PAGE)
    ids = [o.id for o in orgs]
    pledges = service.pledges_by_pledger(web.session, ids)
    members = accounts.member_counts(web.session, ids)
    data = {
        "organisations": [
            {**service.organisation_record(o), "pledges": pledges.get(o.id, 0), "pledgers": members.get(o.id, 0)}
            for o in orgs
        ],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // ORGANISATIONS_PER_PAGE)),
        "q": q,
        "values": values or {"name": "", "stakeholder_type": "", "country": "", "itu_membership": "none"},
        "errors": errors or {},
        "invite_error": invite_error,
        "notice": notice,
    }
    return web.render(
        "pledges/secretariat/organisations.html",
        data,
        status=status,
        labels=choices(web),
        fields=_fields(web),
        countries=_countries(web),
        country_name=lambda code: _country_name(web, code),
    )


@router.get("/organisations")
def organisations(
    web: WebDep,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    created: str = "",
    invited: str = "",
    merged: str = "",
) -> Response:
    """The registered organisations, searched by name or other name."""
    enter(web, Action.MANAGE_ORGANISATIONS)
    notice = ""
    if created:
        notice = web.gettext("Organisation “%(name)s” registered.") % {"name": created}
    elif invited:
        notice = web.gettext("Invitation sent to %(email)s.") % {"email": invited}
    elif merged:
        notice = web.gettext("“%(name)s” was merged: its pledges and pledgers moved here.") % {"name": merged}
    return organisations_page(web, q=q, page=page, notice=notice)


@router.post("/organisations", dependencies=[CsrfDep])
def organisation_create(web: WebDep, form: FormDep) -> Response:
    """Register an organisation."""
    enter(web, Action.MANAGE_ORGANISATIONS)
    values = {k: text(form, k) for k in ("name", "stakeholder_type", "country", "itu_membership")}
    try:
        data = OrganisationIn.model_validate({**values, "country": values["country"] or None})
    except ValidationError as exc:
        return organisations_page(web, values=values, errors=form_errors(web, exc), status=422)
    if service.find_organisation(web.session, data.name) is not None:
        errors = {"name": [web.gettext("An organisation of this name is already registered.")]}
        return organisations_page(web, values=values, errors=errors, status=409)
    org = service.upsert_organisation(web.session, data, web.principal.name)
    return redirect(web, web.url("/secretariat/organisations", q=org.name, created=org.name))


@router.post("/organisations/invite", dependencies=[CsrfDep])
def invite_pledger(web: WebDep, form: FormDep) -> Response:
    """Invite a pledger for an organisation: the account is created and its invitation link mailed."""
    enter(web, Action.MANAGE_ORGANISATIONS)
    org_id = integer(text(form, "organisation"))
    org = service.organisation_by_id(web.session, org_id) if org_id is not None else None
    if org is None:
        raise NotFound(f"no organisation {text(form, 'organisation')!r}")
    settings = web.request.app.state.settings
    try:
        user, _link = accounts.invite_user(web.session, text(form, "email"), "pledger", [org.id], settings,
                                           web.principal.name)  # fmt: skip
    except (Invalid, Conflict) as exc:
        return organisations_page(web, q=org.name, invite_error=invitation_error(web, exc), status=exc.status)
    return redirect(web, web.url("/secretariat/organisations", q=org.name, invited=user.email))


# ---------------------------------------------------------------- correcting one


def _values(org: Organisation) -> dict[str, str]:
    record = service.organisation_record(org)
    return {
        "name": record["name"],
        "other_names": "\n".join(record["other_names"]),
        "stakeholder_type": record["stakeholder_type"],
        "itu_membership": record["itu_membership"],
        "country": record["country"] or "",
        "fingerprint": record["fingerprint"],
    }


def edit_page(
    web: Web,
    org: Organisation,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    taken: dict[str, Any] | None = None,
    notice: str = "",
    status: int = 200,
) -> Response:
    """The form correcting an organisation, with what it holds (pledges, partnerships, pledgers)."""
    pledges = service.pledges_by_pledger(web.session, [org.id]).get(org.id, 0)
    partner = service.partner_pledges(web.session, org.id, None, 0)[1]
    data = {
        "organisation": service.organisation_record(org),
        "pledges": pledges,
        "partner_pledges": partner,
        "pledgers": accounts.member_counts(web.session, [org.id]).get(org.id, 0),
        "values": values or _values(org),
        "errors": errors or {},
        "taken": taken,
        "notice": notice,
    }
    return web.render(
        "pledges/secretariat/organisation_edit.html",
        data,
        status=status,
        labels=choices(web),
        fields=_fields(web),
        countries=_countries(web),
        country_name=lambda code: _country_name(web, code),
    )


@router.get("/organisations/{org_id}/edit")
def organisation_edit_form(web: WebDep, org_id: OrgId, saved: str = "") -> Response:
    """The form correcting an organisation."""
    enter(web, Action.MANAGE_ORGANISATIONS)
    org = service.get_organisation(web.session, org_id)
    return edit_page(web, org, notice=web.gettext("The organisation was saved.") if saved else "")


@router.post("/organisations/{org_id}/edit", dependencies=[CsrfDep])
def organisation_edit(web: WebDep, org_id: OrgId, form: FormDep) -> Response:
    """Correct an organisation: every wrong field is reported at once and nothing is saved; a change made
    against a record that changed since is refused; a name that is another organisation's offers a merge."""
    enter(web, Action.MANAGE_ORGANISATIONS)
    org = service.get_organisation(web.session, org_id)
    values = {k: text(form, k) for k in (*FIELDS, "fingerprint")}
    fields = {
        "name": values["name"],
        "other_names": lines(values["other_names"]),
        "stakeholder_type": values["stakeholder_type"],
        "itu_membership": values["itu_membership"],
        "country": values["country"] or None,
    }
    try:
        OrganisationFields.model_validate(fields)
    except ValidationError as exc:
        return edit_page(web, org, values=values, errors=form_errors(web, exc), status=422)
    try:
        service.update_organisation(web.session, org.id, fields, values["fingerprint"], web.principal.name)
    except service.NameTaken as exc:
        field = "name" if service.name_key(exc.name) == service.name_key(values["name"]) else "other_names"
        message = web.gettext("“%(name)s” is already a name of %(other)s. Nothing was saved.") % {
            "name": exc.name,
            "other": exc.other.name,
        }
        taken = {"id": exc.other.id, "name": exc.other.name}
        return edit_page(web, org, values=values, errors={field: [message]}, taken=taken, status=409)
    except Conflict:
        message = web.gettext(
            "This organisation was changed by someone else since you opened it. Nothing was saved: here is "
            "its current record; make your change again."
        )
        return edit_page(web, org, errors={"form": [message]}, status=409)
    return redirect(web, f"/secretariat/organisations/{org.id}/edit?saved=1")


# ---------------------------------------------------------------- merging two


def merge_page(
    web: Web, kept: Organisation, merged_id: int | None, *, q: str = "", error: str = "", status: int = 200
) -> Response:
    """Merging into ``kept``: choosing the other organisation, then what would move, before anything does."""
    plan = None
    candidates: list[dict[str, Any]] = []
    if merged_id is not None and merged_id != kept.id:
        plan = service.merge_plan(web.session, kept.id, merged_id)
    elif q.strip():
        found, _total = service.search_organisations(web.session, q, 1, 20)
        candidates = [service.organisation_record(o) for o in found if o.id != kept.id]
    data = {
        "kept": service.organisation_record(kept),
        "merged": service.organisation_record(plan.merged) if plan else None,
        "moves": {**plan.counts(), "names_added": plan.names_added} if plan else None,
        "candidates": candidates,
        "q": q,
        "error": error,
    }
    return web.render(
        "pledges/secretariat/organisation_merge.html",
        data,
        status=status,
        labels=choices(web),
        fields=_fields(web),
        country_name=lambda code: _country_name(web, code),
    )


@router.get("/organisations/{org_id}/merge")
def organisation_merge_form(
    web: WebDep, org_id: OrgId, merged: Annotated[Id | None, Query()] = None, q: str = ""
) -> Response:
    """Merge another organisation into this one: find it, then confirm after seeing what would move."""
    enter(web, Action.MANAGE_ORGANISATIONS)
    kept = service.get_organisation(web.session, org_id)
    if merged == kept.id:
        error = web.gettext("An organisation cannot be merged into itself: choose another one.")
        return merge_page(web, kept, None, q=q, error=error, status=422)
    return merge_page(web, kept, merged, q=q)


@router.post("/organisations/{org_id}/merge", dependencies=[CsrfDep])
def organisation_merge(web: WebDep, org_id: OrgId, form: FormDep) -> Response:
    """Merge the organisation chosen into this one, all or nothing."""
    enter(web, Action.MANAGE_ORGANISATIONS)
    kept = service.get_organisation(web.session, org_id)
    merged_id = integer(text(form, "merged"))
    if merged_id is None or merged_id == kept.id:
        error = web.gettext("An organisation cannot be merged into itself: choose another one.")
        return merge_page(web, kept, None, error=error, status=422)
    merged = service.get_organisation(web.session, merged_id)
    name = merged.name
    try:
        service.merge_organisations(
            web.session, kept.id, merged_id, web.principal.name,
            seen=text(form, "fingerprint"), merged_seen=text(form, "merged_fingerprint"),
        )  # fmt: skip
    except Conflict:
        error = web.gettext(
            "One of the two organisations was changed since you opened this page. Nothing was merged: look at "
            "what would move now and confirm again."
        )
        return merge_page(web, kept, merged_id, error=error, status=409)
    return redirect(web, web.url("/secretariat/organisations", q=kept.name, merged=name))
