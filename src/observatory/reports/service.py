"""Every query and rule of reports."""

from __future__ import annotations
