"""The JSON API of activities (``/api/v1/…``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["activities"])
