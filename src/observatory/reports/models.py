"""The tables of reports."""

from __future__ import annotations
