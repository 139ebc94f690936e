"""The web application: public pages, the pledger portal, the secretariat workspace and the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from observatory import __version__
from observatory.auth import Forbidden, Unauthenticated
from observatory.config import Settings, load_settings
from observatory.db import engine_for
from observatory.indicators import api as indicators_api
from observatory.network import api as network_api
from observatory.network import web as network_web
from observatory.pledges.service import RegistryError
from observatory.web import account, api, connectivity, cost, pages
from observatory.web import routing as routing_web
from observatory.web.context import template_gettext, templates
from observatory.web.i18n import LANGUAGES, negotiate


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.query_params.get("format") == "json"


def _error(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """An error as JSON for the API and JSON twins, as a page for people."""
    if _wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    language = negotiate(
        request.query_params.get("lang"), request.cookies.get("obs_lang"), request.headers.get("accept-language")
    )
    gettext, ngettext = template_gettext(language)
    titles = {401: gettext("Please sign in"), 403: gettext("Not allowed"), 404: gettext("Not found")}
    html = templates.get_template("error.html").render(
        _=gettext, gettext=gettext, ngettext=ngettext, language=language, languages=LANGUAGES,
        heading=titles.get(status, gettext("Something went wrong")), detail=detail, status=status,
    )  # fmt: skip
    return HTMLResponse(html, status_code=status, headers=headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(
        title="Connectivity Observatory",
        version=__version__,
        description="Partner2Connect pledges and progress reports (ITU Resolution 88), as open data.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine_for(settings.database_url)
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.include_router(api.router)
    app.include_router(indicators_api.router)
    app.include_router(connectivity.router)
    app.include_router(cost.api)
    app.include_router(cost.router)
    app.include_router(network_api.router)
    app.include_router(network_web.router)
    app.include_router(routing_web.api)
    app.include_router(account.router)
    for router in pages.routers():
        app.include_router(router)

    @app.exception_handler(RegistryError)
    async def registry_error(request: Request, exc: RegistryError) -> Response:
        return _error(request, exc.status, str(exc))

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(request: Request, exc: Unauthenticated) -> Response:
        return _error(request, 401, str(exc), {"www-authenticate": "Bearer"})

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        signed_in = "authorization" in request.headers or "obs_session" in request.cookies
        if signed_in:
            return _error(request, 403, str(exc))
        if not _wants_json(request) and request.method == "GET":
            return RedirectResponse(f"/account/login?next={request.url.path}", status_code=303)
        return _error(request, 401, f"authentication required: {exc}", {"www-authenticate": "Bearer"})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (301, 302, 303, 307):
            return RedirectResponse(exc.headers["location"] if exc.headers else "/", status_code=exc.status_code)
        return _error(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": jsonable(exc.errors())}, status_code=422)
        return _error(request, 422, "; ".join(str(e.get("msg", "")) for e in exc.errors()))

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> Response:
        return _error(request, 422, str(exc))

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def jsonable(errors: object) -> object:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors)
