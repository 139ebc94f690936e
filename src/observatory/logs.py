"""Logging: one configuration for the command line and the web server.

Text lines by default, JSON lines with ``OBSERVATORY_LOG_FORMAT=json`` (python-json-logger). Every
line written while a web request is served carries its request id (``X-Request-ID``, taken from the
request when it is a short token, else made up, and sent back with the response), so the lines of one
request can be found together. One-time tokens in paths (``/account/reset/<token>``,
``/account/accept/<token>``) never reach a log: they are replaced by ``…`` before any handler sees
them, whoever logs them (uvicorn's access log included).
"""

from __future__ import annotations

import contextvars
import logging
import logging.config
import re
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

TOKEN_IN_PATH = re.compile(r"(/account/(?:reset|accept)/)[^/?#\s\"']+")


def redact(text: str) -> str:
    """``text`` with the one-time tokens of account links replaced by ``…``."""
    return TOKEN_IN_PATH.sub(r"\1…", text)


class RedactTokens(logging.Filter):
    """Removes one-time tokens from a record's message and arguments, and adds its request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        message = record.getMessage()  # the line as it will read: a token may come from the template or an argument
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


TEXT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON = "%(asctime)s %(levelname)s %(request_id)s %(name)s %(message)s"


def logging_config(fmt: str = "text", level: str = "INFO") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of the platform (uvicorn's loggers included)."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON,
            "rename_fields": {"levelname": "level"},
            # uvicorn repeats its start-up messages with terminal colour codes: not for a log file.
            "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
        }
        if fmt == "json"
        else {"format": TEXT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "main",
        "filters": ["redact"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactTokens}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["main"], "level": level, "propagate": False},
            # WeasyPrint tells every step of every PDF at INFO: only its warnings are worth a line.
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


def configure(fmt: str = "text", level: str = "INFO") -> None:
    """Configure logging for this process (the command line and the server call it once)."""
    logging.config.dictConfig(logging_config(fmt, level))
