"""The routers of the web pages, in the order they are matched."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from observatory.web import admin, explore, portal, public, secretariat

    return [public.router, explore.router, portal.router, secretariat.router, admin.router]
