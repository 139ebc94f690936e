"""What the platform refuses, and with which HTTP status: every capability raises these, the web answers
them (as JSON for the API and the JSON twins, as a page for people), the command line prints them."""

from __future__ import annotations


class Refused(Exception):
    """A request the platform refuses; ``status`` is the HTTP status that says why."""

    status = 400


class NotFound(Refused):
    status = 404


class Conflict(Refused):
    status = 409


class Invalid(Refused):
    status = 422
