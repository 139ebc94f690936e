"""Users, roles, invitations, passwords, sessions and API tokens; the platform's outgoing mail."""

from observatory.accounts.mail import Mailer, mailer_for

__all__ = ["Mailer", "mailer_for"]
