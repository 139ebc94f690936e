"""The web application: public pages, the pledger portal, the secretariat workspace and the API."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import Scope
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from observatory import __version__
from observatory.auth import Forbidden, Unauthenticated
from observatory.config import Settings, load_settings
from observatory.db import database_busy, engine_for, transaction
from observatory.errors import Refused
from observatory.i18n import LANGUAGES, Formatter, negotiate, translations
from observatory.web.cache import PageCache, SharedAnswers, topics_by_route
from observatory.web.charts import check_geometry
from observatory.web.forms import api_errors
from observatory.web.openapi import NO_NUL_PARAMETERS
from observatory.web.render import FiniteJSONResponse, template_gettext, templates
from observatory.web.security import BodyLimit, RequestId, SecurityHeaders

log = logging.getLogger(__name__)
FORM_LIMIT = 1_000_000  # every request body but a spreadsheet upload: forms and JSON are far smaller
UPLOAD_PATHS = ("/secretariat/import",)
RETRY_AFTER_SECONDS = 5


# What public pages are drawn from, each with the number that grows when it changes, all read in one statement
# (each an index lookup): the registry's revision, the data's (every load and recomputation), the newest change
# of an activity, a best-practice case or a report's texts, and the report builds done.
REVISIONS = text(
    "SELECT (SELECT revision FROM registry_revision),"
    " (SELECT revision FROM data_revision),"
    " (SELECT max(id) FROM audit_entry WHERE entity = 'activity'),"
    " (SELECT max(id) FROM audit_entry WHERE entity = 'best_practice'),"
    " (SELECT max(id) FROM audit_entry WHERE entity = 'report_edition'),"
    " (SELECT count(*) FROM report_build WHERE state = 'done')"
)
TOPICS = ("pledges", "data", "activities", "practices", "reports", "report_builds")
PLEDGES, DATA, ACTIVITIES, PRACTICES = ("pledges", "data"), ("data",), ("activities",), ("practices", "pledges", "data")
EVERYTHING = TOPICS
PRIVATE: None = None  # signed-in work: never kept


def capability_routers() -> list[APIRouter]:
    """Every capability's routes, in the order they are matched: the JSON APIs, then the pages."""
    return [router for router, _ in capability_routes()]


def capability_routes() -> list[tuple[APIRouter, tuple[str, ...] | None]]:
    """Every capability's routes, in the order they are matched, each with what its public pages are drawn
    from (the topics of :data:`REVISIONS`; None: never kept, see :mod:`observatory.web.cache`). This list is
    the only place where the web framework meets the capabilities."""
    from observatory.accounts import pages as accounts_pages
    from observatory.activities import api as activities_api
    from observatory.activities import pages as activities_pages
    from observatory.areas import api as areas_api
    from observatory.areas import pages as areas_pages
    from observatory.costmodel import api as costmodel_api
    from observatory.costmodel import pages as costmodel_pages
    from observatory.indicators import api as indicators_api
    from observatory.indicators import pages as indicators_pages
    from observatory.network import api as network_api
    from observatory.network import pages as network_pages
    from observatory.pledges import api as pledges_api
    from observatory.pledges.pages import explorer, organisations, portal, reports, secretariat
    from observatory.practices import api as practices_api
    from observatory.practices import pages as practices_pages
    from observatory.reports import api as reports_api
    from observatory.reports import pages as reports_pages
    from observatory.routing import api as routing_api
    from observatory.routing import pages as routing_pages

    return [
        (pledges_api.router, PLEDGES),
        (areas_api.router, PLEDGES),
        (indicators_api.router, PLEDGES),
        (costmodel_api.router, PLEDGES),
        (network_api.router, DATA),
        (routing_api.router, DATA),
        (activities_api.router, ACTIVITIES),
        (practices_api.router, PRACTICES),
        (reports_api.router, PRIVATE),  # builds: for the secretariat
        (indicators_pages.router, PLEDGES),
        (costmodel_pages.router, PLEDGES),
        (network_pages.router, DATA),
        (routing_pages.router, DATA),
        (activities_pages.router, ACTIVITIES),
        (practices_pages.router, PRACTICES),
        (reports_pages.router, EVERYTHING),
        (accounts_pages.router, PRIVATE),
        (areas_pages.router, PRACTICES),
        (explorer.router, PRACTICES),  # a pledge's page lists the best-practice cases that link to it
        (portal.router, PRIVATE),
        (reports.router, PLEDGES),
        (secretariat.router, PRIVATE),
        (organisations.router, PLEDGES),
        (accounts_pages.admin, PRIVATE),
        (areas_api.moved, PRIVATE),  # last: the old paths, redirected, never before a route that shares their shape
    ]


def capability_warmups() -> list[Callable[[Session], object]]:
    """What each worker works out once when it starts, before a reader asks (the pledge index: seconds for a
    large registry), so the first visitors do not wait for it."""
    from observatory.pledges import api as pledges_api

    return [pledges_api.warm_up]


def _warm(engine: Engine) -> None:
    """Run the warm-ups in a transaction that only reads; a failure is logged, never raised (the pages then
    work it out themselves)."""
    started = time.perf_counter()
    for warm in capability_warmups():
        try:
            with transaction(engine, writes=False) as session:
                warm(session)
        except Exception:
            log.exception("warm-up %s failed", getattr(warm, "__name__", warm))
    log.info("worker %d warmed up in %.1f s", os.getpid(), time.perf_counter() - started)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.query_params.get("format") == "json"


def _language(request: Request) -> str:
    return negotiate(
        request.query_params.get("lang"), request.cookies.get("obs_lang"), request.headers.get("accept-language")
    )


def _error_page(language: str, status: int, detail: str) -> str:
    gettext, ngettext = template_gettext(language)
    titles = {
        401: gettext("Please sign in"),
        403: gettext("Not allowed"),
        404: gettext("Not found"),
        413: gettext("The file is too large"),
        503: gettext("Busy: try again in a moment"),
    }
    return templates.get_template("error.html").render(
        _=gettext, gettext=gettext, ngettext=ngettext, language=language, languages=LANGUAGES,
        heading=titles.get(status, gettext("Something went wrong")), detail=detail, status=status,
    )  # fmt: skip


def _error(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """An error as JSON for the API and JSON twins, as a page for people."""
    if _wants_json(request):
        return FiniteJSONResponse({"detail": detail}, status_code=status, headers=headers)
    return HTMLResponse(_error_page(_language(request), status, detail), status_code=status, headers=headers)


def _too_large(settings: Settings) -> tuple[Callable[[str], int], Callable[[Scope, int], tuple[str, bytes]]]:
    """The body limit of each path, and the 413 answer in the reader's language."""

    def limit_for(path: str) -> int:
        return settings.max_upload_bytes if path.startswith(UPLOAD_PATHS) else FORM_LIMIT

    def refuse(scope: Scope, limit: int) -> tuple[str, bytes]:
        request = Request(scope)
        language = _language(request)
        gettext = translations(language).gettext
        megabytes = Formatter(language).number(limit / 1_000_000, 2).rstrip("0").rstrip(".,")
        if request.url.path.startswith(UPLOAD_PATHS):
            detail = gettext("The file is larger than %(mb)s MB, the largest accepted: split it and upload each part.")
        else:
            detail = gettext("The request is larger than %(mb)s MB, the largest accepted.")
        detail = detail % {"mb": megabytes}
        if _wants_json(request):
            return "application/json", bytes(FiniteJSONResponse({"detail": detail}).body)
        return "text/html; charset=utf-8", _error_page(_language(request), 413, detail).encode()

    return limit_for, refuse


class DatabaseUnavailable(RuntimeError):
    """The health check's reason: the database does not answer, or holds no registry."""


def _database_revision(engine: Engine) -> int:
    """The registry's revision, read with plain SQL (``web`` knows no capability's models); raises
    :class:`DatabaseUnavailable` with a reason an operator can act on (the details go to the log)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("health check: the database does not answer: %s", exc)
        raise DatabaseUnavailable("the database does not answer") from exc
    try:
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT revision FROM registry_revision")).scalar_one_or_none()
    except SQLAlchemyError as exc:
        log.error("health check: the registry cannot be read: %s", exc)
        raise DatabaseUnavailable("the database holds no registry: run `observatory init`") from exc
    return int(revision or 0)


def _revisions(engine: Engine) -> Callable[[Sequence[str]], dict[str, object]]:
    """The function reading the current revision of every topic (see :data:`REVISIONS`)."""

    def revisions(_topics: Sequence[str]) -> dict[str, object]:
        with engine.connect() as connection:
            row = connection.execute(REVISIONS).one()
        return dict(zip(TOPICS, row, strict=True))

    return revisions


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At a worker's start: the warm-ups, in a thread of their own (the worker answers meanwhile)."""
    threading.Thread(target=_warm, args=(app.state.engine,), name="warm-up", daemon=True).start()
    yield


def factory() -> FastAPI:
    """The application built from the settings of the environment: what each ``observatory serve`` worker runs."""
    return create_app(load_settings())


def create_app(settings: Settings | None = None) -> FastAPI:
    """The platform's web application for ``settings``; refuses to start (``WorldAtlasMissingError``, naming the
    fix) when the world map's geometry is missing."""
    settings = settings or load_settings()
    check_geometry(settings.world_atlas)
    app = FastAPI(
        title="Connectivity Observatory",
        version=__version__,
        description="Partner2Connect pledges and progress reports (ITU Resolution 88), as open data.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        default_response_class=FiniteJSONResponse,
        dependencies=[NO_NUL_PARAMETERS],  # on every route, pages included
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine_for(settings.database_url, settings.db_busy_seconds)
    # The last added is the outermost: proxy headers, request id, security headers (on every answer, refusals
    # included), the Host check, the body limit, compression.
    app.add_middleware(GZipMiddleware, minimum_size=500)
    topics: dict[int, tuple[str, ...]] = {}  # id of an application route → what its pages are drawn from
    app.add_middleware(
        PageCache,
        topics_of=topics_by_route(app.router.routes, topics),
        revisions=_revisions(app.state.engine),
        language_of=lambda scope: _language(Request(scope)),
        max_bytes=int(settings.page_cache_mb * 1_000_000),
        stale_seconds=settings.page_stale_seconds,
        shared=SharedAnswers(settings.home / "cache" / "pages") if settings.page_cache_mb > 0 else None,
    )
    limit_for, refuse = _too_large(settings)
    app.add_middleware(BodyLimit, limit_for=limit_for, refuse=refuse)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.hosts)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestId)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    swagger = resources.files("fastapi_swagger") / "resources"
    app.mount("/api/docs/assets", StaticFiles(directory=str(swagger)), name="api-docs-assets")
    for router, drawn_from in capability_routes():
        before = len(app.router.routes)
        app.include_router(router)
        if drawn_from is not None:
            topics.update((id(route), drawn_from) for route in app.router.routes[before:])

    @app.exception_handler(Refused)
    async def registry_error(request: Request, exc: Refused) -> Response:
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
        errors = api_errors(exc.errors(), _language(request))  # each msg a sentence in the reader's language
        if _wants_json(request):
            return FiniteJSONResponse({"detail": jsonable(errors)}, status_code=422)
        return _error(request, 422, " ".join(str(e.get("msg", "")) for e in errors))

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> Response:
        return _error(request, 422, str(exc))

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError) -> Response:
        gettext = translations(_language(request)).gettext
        return _error(
            request, 409, gettext("This record changed while your change was written; reload it and try again.")
        )

    @app.exception_handler(OperationalError)
    async def busy(request: Request, exc: OperationalError) -> Response:
        if not database_busy(exc):
            raise exc
        log.warning("database busy: %s %s answered 503", request.method, request.url.path)
        gettext = translations(_language(request)).gettext
        detail = gettext("The registry is busy writing another change; try again in a few seconds.")
        return _error(request, 503, detail, {"retry-after": str(RETRY_AFTER_SECONDS)})

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> Response:
        """Swagger UI, served from the installed package's files (nothing from elsewhere)."""
        return HTMLResponse(templates.get_template("api_docs.html").render(title=app.title))

    @app.get("/healthz", include_in_schema=False)
    def health() -> Response:
        """The health check: the database answers and the registry's revision, for a load balancer or a monitor;
        503 with the reason when the database is unavailable. ``worker`` tells which process answered."""
        worker = os.getpid()
        try:
            revision = _database_revision(app.state.engine)
        except DatabaseUnavailable as exc:
            failed = {"status": "unavailable", "database": "unavailable", "reason": str(exc), "version": __version__,
                      "worker": worker}  # fmt: skip
            headers = {"retry-after": str(RETRY_AFTER_SECONDS), "cache-control": "no-store"}
            return FiniteJSONResponse(failed, status_code=503, headers=headers)
        ok = {"status": "ok", "database": "ok", "revision": revision, "version": __version__, "worker": worker}
        return FiniteJSONResponse(ok, headers={"cache-control": "no-store"})

    return app


def jsonable(errors: object) -> object:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors)
