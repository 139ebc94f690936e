"""Every query and rule of practices."""

from __future__ import annotations
