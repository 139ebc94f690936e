"""Accounts: invitations, passwords (argon2), login with throttling, web sessions and API tokens.

What an operator should know of is logged: invitations and password resets mailed (to which address,
never the link), accounts changed or switched off, passwords set, sign-ins throttled."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Collection
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from observatory import audit
from observatory.accounts.mail import mailer_for
from observatory.accounts.models import ROLES, ApiToken, LoginAttempt, Membership, OneTimeToken, User, WebSession
from observatory.auth import Principal, Role
from observatory.config import Settings
from observatory.db import utcnow
from observatory.errors import Conflict, Invalid, NotFound, Refused
from observatory.pledges import service as pledges

SESSION_HOURS = 12
LINK_DAYS = {"invitation": 14, "password_reset": 1}
THROTTLE_WINDOW = dt.timedelta(minutes=15)
THROTTLE_PER_EMAIL = 5
THROTTLE_PER_ADDRESS = 30
MIN_PASSWORD = 12
# zxcvbn's score (0-4): 3 means "safely unguessable" against an online attack and most offline ones.
MIN_PASSWORD_SCORE = 3
# Words a guesser would try first against this site; zxcvbn counts them as known.
SITE_WORDS = ("observatory", "connectivity", "partner2connect", "itu", "p2c", "pledge")

_hasher = PasswordHasher()
log = logging.getLogger(__name__)


class Throttled(Refused):
    """Too many failed sign-ins lately, for the address or from the client: wait and try again."""

    status = 429


class BadCredentials(Refused):
    """A wrong e-mail address or password (which of the two is never said)."""

    status = 401


class WeakPassword(Invalid):
    """A password refused by the policy; ``reason`` is ``short`` or ``guessable``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(address: str) -> str:
    """The address in normal form; internationalised local parts and domains are accepted."""
    try:
        return validate_email(address.strip(), check_deliverability=False, allow_smtputf8=True).normalized
    except EmailNotValidError as exc:
        raise Invalid(f"not a valid e-mail address: {exc}") from exc


def email_key(address: str) -> str:
    """How addresses are matched: the normal form, ignoring case."""
    return normalise_email(address).casefold()


def find_user(session: Session, address: str) -> User | None:
    """The account of this address (however it is spelt), if any; none for what is not an address."""
    try:
        key = email_key(address)
    except Invalid:
        return None
    return session.scalar(select(User).where(User.email_key == key))


def principal_for(user: User) -> Principal:
    """Who the user acts as: the account's role and the organisations it acts for."""
    return Principal(user.email, Role(user.role), user.id, frozenset(m.organisation_id for m in user.memberships))


def check_password_strength(password: str, email: str = "") -> None:
    """Refuse a password shorter than ``MIN_PASSWORD`` or one zxcvbn finds easy to guess (common
    passwords, names, keyboard patterns, repetitions, the user's own address, the site's name)."""
    if len(password) < MIN_PASSWORD:
        raise WeakPassword("short", f"the password needs at least {MIN_PASSWORD} characters")
    hints = [*SITE_WORDS, email, *(part for part in email.replace("@", " ").replace(".", " ").split() if part)]
    result = zxcvbn(password[:200], user_inputs=hints)  # zxcvbn's time grows with length; 200 is plenty
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = result["feedback"].get("warning") or "it is easy to guess"
        raise WeakPassword("guessable", f"the password is too easy to guess: {warning}")


def account_record(user: User) -> dict[str, Any]:
    """An account as the audit log keeps it (never a secret)."""
    return {
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "organisations": sorted(m.organisation_id for m in user.memberships),
    }


def create_user(
    session: Session,
    address: str,
    role: str,
    organisations: list[int] | None = None,
    name: str = "",
    actor: str = "system",
) -> User:
    """A new account (with no password yet) of ``role``, acting for these organisations; the audit log
    records who created it. :class:`Invalid` for an unknown role or address, :class:`Conflict` when the
    address has an account already."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    email = normalise_email(address)
    if find_user(session, email) is not None:
        raise Conflict(f"{email} already has an account")
    user = User(email=email, email_key=email.casefold(), role=role, name=name)
    user.memberships = [Membership(organisation_id=o) for o in organisations or []]
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", "user", str(user.id), None, account_record(user))
    return user


def change_account(session: Session, user: User, actor: str, *, role: str | None = None,
                   active: bool | None = None) -> None:  # fmt: skip
    """Change a user's role or switch the account off or on; the audit log records it."""
    before = account_record(user)
    if role is not None:
        if role not in ROLES:
            raise Invalid(f"unknown role {role!r} (one of {', '.join(ROLES)})")
        user.role = role
    if active is not None:
        user.active = active
        if not active:
            session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    after = account_record(user)
    audit.record(session, actor, "update", "user", str(user.id), before, after)
    if after != before:
        log.info("account %s changed by %s: role %s, %s", user.email, actor, user.role,
                 "active" if user.active else "deactivated, signed out everywhere")  # fmt: skip


def get_user(session: Session, user_id: int) -> User:
    """The account of that id; :class:`NotFound` when there is none."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def users_with_organisations(session: Session) -> tuple[list[User], dict[int, str]]:
    """Every account, by address, and the names of the organisations their pledgers act for (by id)."""
    users = list(session.scalars(select(User).order_by(User.email_key)))
    names = pledges.organisation_names(session, {m.organisation_id for u in users for m in u.memberships})
    return users, names


def member_counts(session: Session, organisation_ids: Collection[int]) -> dict[int, int]:
    """How many accounts act for each of these organisations (an organisation with none is left out)."""
    members = select(Membership.organisation_id, func.count()).where(Membership.organisation_id.in_(organisation_ids))
    return {org: n for org, n in session.execute(members.group_by(Membership.organisation_id))}


def organisation_ids(session: Session, names: Collection[str]) -> list[int]:
    """The ids of the organisations registered under these names; :class:`NotFound` names the first that
    is not registered."""
    ids = []
    for name in names:
        org = pledges.find_organisation(session, name)
        if org is None:
            raise NotFound(f"no organisation {name!r}")
        ids.append(org.id)
    return ids


def invite_user(
    session: Session,
    address: str,
    role: str,
    organisations: list[int],
    settings: Settings,
    actor: str,
    name: str = "",
) -> tuple[User, str]:
    """Create the account (see :func:`create_user`) and mail its invitation link (see :func:`invite`): the
    new account and the link. The audit log records who invited whom."""
    user = create_user(session, address, role, organisations, name, actor=actor)
    return user, invite(session, user, settings)


def issue_link(session: Session, user: User, purpose: str) -> str:
    """A one-time token for an invitation or a password reset; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(days=LINK_DAYS[purpose])
    session.add(OneTimeToken(token_hash=_digest(token), user_id=user.id, purpose=purpose, expires_at=expires))
    session.flush()
    return token


def invite(session: Session, user: User, settings: Settings) -> str:
    """Mail the user a link to choose a password. Links always point to the configured
    ``base_url``, never to the host a request named: a forged Host header cannot divert the token."""
    token = issue_link(session, user, "invitation")
    link = f"{settings.base_url}/account/accept/{token}"
    mailer_for(settings).send(
        user.email,
        "Invitation to the Connectivity Observatory / Invitation à l'Observatoire de la connectivité",
        f"You are invited to the Partner2Connect pledge registry. Choose your password here:\n{link}\n\n"
        f"Vous êtes invité·e au registre des engagements Partner2Connect. Choisissez votre mot de passe :\n{link}\n",
    )
    log.info("invitation mailed to %s (%s)", user.email, user.role)
    return link


def request_password_reset(session: Session, address: str, settings: Settings) -> None:
    """Send a reset link (to the configured ``base_url``) if the address has an account; say nothing
    either way (no enumeration)."""
    user = find_user(session, address)
    if user is None or not user.active:
        log.info("password reset asked for an address with no active account")
        return
    link = f"{settings.base_url}/account/reset/{issue_link(session, user, 'password_reset')}"
    mailer_for(settings).send(
        user.email,
        "Password reset / Réinitialisation du mot de passe",
        f"To choose a new password, open:\n{link}\n\nPour choisir un nouveau mot de passe :\n{link}\n",
    )
    log.info("password reset link mailed to %s", user.email)


def use_link(session: Session, token: str, purpose: str, password: str) -> User:
    """Set a password through a one-time link; the link then stops working."""
    row = session.get(OneTimeToken, _digest(token))
    if row is None or row.purpose != purpose or row.used_at is not None or _aware(row.expires_at) < utcnow():
        raise NotFound("this link is not valid any more; ask for a new one")
    user = session.get(User, row.user_id)
    assert user is not None
    check_password_strength(password, user.email)
    user.password_hash = _hasher.hash(password)
    row.used_at = utcnow()
    end_every_session(session, user, "password_" + ("set" if purpose == "invitation" else "reset"))
    log.info("password %s for %s", "chosen" if purpose == "invitation" else "reset", user.email)
    return user


def end_every_session(session: Session, user: User, why: str) -> None:
    """Sign the user out everywhere: web sessions ended, API tokens revoked (after a password reset
    whoever held them may not keep acting as the user). The audit log records it."""
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    live = (ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ids = sorted(session.scalars(select(ApiToken.id).where(*live)))
    if ids:
        session.execute(update(ApiToken).where(*live).values(revoked_at=utcnow()))
        audit.record(session, "system", "revoke_tokens", "user", str(user.id), {"tokens": ids}, {"why": why})


def link_is_valid(session: Session, token: str, purpose: str) -> bool:
    """Whether a one-time link for ``purpose`` still works: known, unused and not expired."""
    row = session.get(OneTimeToken, _digest(token))
    return row is not None and row.purpose == purpose and row.used_at is None and _aware(row.expires_at) >= utcnow()


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def throttle_key(address: str) -> str:
    """The key failed sign-ins are counted under: the account's own normal form, so that spellings of
    one address (case, Unicode forms such as full-width letters) share one budget."""
    try:
        return f"email:{email_key(address)}"
    except Invalid:
        return f"email:{' '.join(address.split()).casefold()}"


def login(session: Session, address: str, password: str, client: str) -> User:
    """Check a password, refusing after too many recent failures for the address or the client. A failed
    attempt is committed at once, whatever the caller does next, so that it always counts."""
    since = utcnow() - THROTTLE_WINDOW
    key = throttle_key(address)
    where = (LoginAttempt.at >= since, LoginAttempt.success.is_(False))
    by_email = session.scalar(select(func.count()).where(LoginAttempt.key == key, *where)) or 0
    by_client = session.scalar(select(func.count()).where(LoginAttempt.key == f"client:{client}", *where)) or 0
    if by_email >= THROTTLE_PER_EMAIL or by_client >= THROTTLE_PER_ADDRESS:
        log.warning("sign-in throttled for %s from %s (%d and %d failures in %s)", key.removeprefix("email:"),
                    client, by_email, by_client, THROTTLE_WINDOW)  # fmt: skip
        raise Throttled("too many failed attempts; wait 15 minutes and try again")
    user = find_user(session, address)
    ok = False
    if user is not None and user.active and user.password_hash:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash(password)  # same cost whether or not the account exists
    session.add_all([LoginAttempt(key=key, success=ok), LoginAttempt(key=f"client:{client}", success=ok)])
    if not ok or user is None:
        session.commit()
        raise BadCredentials("wrong e-mail address or password")
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = _hasher.hash(password)
    return user


def start_session(session: Session, user: User) -> tuple[str, str]:
    """A new web session: the cookie value (kept only as a hash) and its CSRF token."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(hours=SESSION_HOURS)
    session.add(WebSession(token_hash=_digest(token), user_id=user.id, csrf_token=csrf, expires_at=expires))
    return token, csrf


def session_user(session: Session, token: str) -> tuple[User, WebSession] | None:
    """The signed-in user of a session cookie and the session itself; none when it expired, is unknown or
    its account is switched off."""
    row = session.get(WebSession, _digest(token))
    if row is None or _aware(row.expires_at) < utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row


def end_session(session: Session, token: str) -> None:
    """Sign out: the session of this cookie ends."""
    session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def create_api_token(session: Session, user: User, name: str) -> str:
    """A personal API token, shown once; it acts with its owner's role and organisations."""
    token = "obs_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=_digest(token))
    session.add(row)
    session.flush()
    audit.record(session, user.email, "create_token", "user", str(user.id), None, {"token": row.id, "name": name})
    return token


def active_api_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's personal API tokens that still work, the oldest first."""
    live = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    return list(session.scalars(live.order_by(ApiToken.id)))


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens; it stops working at once."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        raise NotFound(f"no token {token_id} of yours")
    row.revoked_at = utcnow()
    audit.record(session, user.email, "revoke_token", "user", str(user.id), {"token": row.id, "name": row.name}, None)


def api_token_user(session: Session, token: str) -> User | None:
    """The owner of a personal API token, if the token works and the account is active."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None
