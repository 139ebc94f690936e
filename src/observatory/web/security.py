"""What every response and request goes through: security headers and a bound on request bodies.

Both are plain ASGI middleware (no buffering of bodies, no Starlette ``BaseHTTPMiddleware``, which
would hold streamed exports in memory). The allowed ``Host`` headers are checked by Starlette's
``TrustedHostMiddleware`` and forwarded client addresses by uvicorn's ``ProxyHeadersMiddleware``,
both added in :func:`observatory.web.app.create_app`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observatory.logs import request_id

# The pages use no inline script or style (charts are SVG with presentation attributes), so the policy
# allows the site's own files only. Swagger UI draws its icons from data: URIs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def adding_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """``send`` that adds ``headers`` to the response, each unless the application set it already."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            message["headers"] = [*message.get("headers", []), *((k, v) for k, v in headers if k not in present)]
        await send(message)

    return send_with_headers


class SecurityHeaders:
    """Adds the security headers to every HTTP response; HSTS only when the request came over HTTPS
    (directly, or through a trusted proxy that said so)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*HEADERS, HSTS] if scope.get("scheme") == "https" else HEADERS
        await self.app(scope, receive, adding_headers(send, extra))


class BodyTooLarge(Exception):
    """A request body over its limit."""


class BodyLimit:
    """Refuses a request whose body is over its limit with 413, before the application reads it all.

    ``limit_for(path)`` gives the limit in bytes; a declared ``Content-Length`` over it is refused at
    once, and a body sent in chunks is cut off as soon as it passes the limit. ``refuse(scope, limit)``
    writes the answer (content type and body) in the reader's language."""

    def __init__(
        self, app: ASGIApp, limit_for: Callable[[str], int], refuse: Callable[[Scope, int], tuple[str, bytes]]
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        kind, body = self.refuse(scope, limit)
        headers = [
            (b"content-type", kind.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestId:
    """ASGI middleware: gives each request an id, for its log lines and its ``X-Request-ID`` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), "")
        rid = given if _SAFE_ID.match(given) else secrets.token_hex(8)
        token = request_id.set(rid)
        try:
            await self.app(scope, receive, adding_headers(send, [(b"x-request-id", rid.encode())]))
        finally:
            request_id.reset(token)
