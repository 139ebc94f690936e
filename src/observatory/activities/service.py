"""Every query and rule of activities."""

from __future__ import annotations
