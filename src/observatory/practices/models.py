"""The tables of practices."""

from __future__ import annotations
