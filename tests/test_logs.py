"""One logging configuration for the command line and the server: text lines by default, JSON lines with
``OBSERVATORY_LOG_FORMAT=json``; one-time tokens never reach a line; the request id is on every line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROGRAM = """
import logging
from observatory.config import load_settings
from observatory.logs import configure, request_id
configure(load_settings().log_format)
request_id.set("req-42")
logging.getLogger("observatory.tests").info("mailed /account/reset/%s to %s", "Tok3nTok3nTok3n", "a@b.example")
access = "/account/accept/Tok3nTok3nTok3n?lang=fr"
logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET", access, "1.1", 200)
"""


def run(fmt: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVATORY_")}
    if fmt:
        env["OBSERVATORY_LOG_FORMAT"] = fmt
    done = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True)
    return done.stderr.strip().splitlines()


@pytest.mark.parametrize("fmt", [None, "text", "json"])
def test_one_configuration_text_or_json_without_tokens(fmt: str | None) -> None:
    lines = run(fmt)
    assert len(lines) == 2
    assert not any("Tok3n" in line for line in lines)
    if fmt == "json":
        records = [json.loads(line) for line in lines]
        assert [r["request_id"] for r in records] == ["req-42", "req-42"]
        assert records[0]["message"] == "mailed /account/reset/… to a@b.example"
        assert records[0]["level"] == "INFO" and records[0]["name"] == "observatory.tests"
        assert "/account/accept/…?lang=fr" in records[1]["message"]
    else:
        assert all("[req-42]" in line for line in lines)
        assert "mailed /account/reset/… to a@b.example" in lines[0]
