"""A database that does not answer (restarting, unreachable, out of connections) is a 503 with
a message, never a 500: HTML for pages, JSON {"detail", "code"} for the API and webhooks.

Callers retry a 503 (Facebook re-sends its webhook); nothing was committed for them, since a
request's writes commit together or not at all.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin
from django.utils.html import escape
from django.utils.translation import gettext as _

from integrations.livechat.views import VISITOR_HEADER

logger = logging.getLogger(__name__)

UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
JSON_PREFIXES = ("/api/", "/integrations/")


def _note_database_error(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Django turns an exception into a 500 in whichever middleware raised it, before this one
    sees it (process_exception hears of the view's only): remember that it was the database."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, UNAVAILABLE):
        request._database_unavailable = error


got_request_exception.connect(_note_database_error, dispatch_uid="omnichannel.database_down")


def wants_json(request: HttpRequest) -> bool:
    """The API, webhooks and the website chat's own calls read JSON errors."""
    return request.path.startswith(JSON_PREFIXES) or VISITOR_HEADER in request.headers


def unavailable_response(request: HttpRequest) -> HttpResponse:
    detail = _("The service is temporarily unavailable. Please try again in a moment.")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json(request):
        return JsonResponse({"detail": detail, "code": "unavailable"}, status=503, headers=headers)
    # No template: rendering one runs context processors, which read the database.
    title = escape(_("Temporarily unavailable"))
    html = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><main><h1>{title}</h1><p>{escape(detail)}</p></main></body></html>"
    )
    return HttpResponse(html, status=503, headers=headers)


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """503 for OperationalError / InterfaceError, wherever in the request they were raised."""

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, UNAVAILABLE):
            logger.warning("Database unavailable for %s: %s", request.path, exception)
            return unavailable_response(request)
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        error = getattr(request, "_database_unavailable", None)
        if error is not None and response.status_code == 500:
            logger.warning("Database unavailable for %s: %s", request.path, error)
            return unavailable_response(request)
        return response


# --- request body cap ---------------------------------------------------------------------------


class BodyTooLarge(Exception):
    """The body grew past the cap while it was being read."""


def max_request_body_bytes() -> int:
    from django.conf import settings

    return int(getattr(settings, "MAX_REQUEST_BODY_BYTES", 32 * 1024 * 1024))


def _too_large_response(path: str, headers: dict[bytes, bytes], limit: int) -> tuple[int, bytes]:
    """(status, body) of the 413; JSON for the API, webhooks and the website chat."""
    import json

    from django.template.defaultfilters import filesizeformat

    detail = _("The request is too large: the limit is %(size)s.") % {"size": filesizeformat(limit)}
    if path.startswith(JSON_PREFIXES) or VISITOR_HEADER.lower().encode() in headers:
        return 413, json.dumps({"detail": detail, "code": "too_large"}).encode()
    title = escape(_("Request too large"))
    html = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><main><h1>{title}</h1><p>{escape(detail)}</p></main></body></html>"
    )
    return 413, html.encode()


class RequestBodyLimit:
    """ASGI guard in front of Django: a body over MAX_REQUEST_BODY_BYTES is a 413.

    A declared Content-Length over the cap is refused before any of the body is read; a body
    without one (chunked) is counted as it arrives and refused once it passes the cap, so Django
    never spools or parses it. Daphne itself buffers a request before handing it on: the proxy
    in front (nginx `client_max_body_size`) is what stops the bytes at the edge.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max_request_body_bytes()
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, headers, limit)
            return
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def watched_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send, headers, limit)

    async def _refuse(self, scope, send, headers: dict[bytes, bytes], limit: int) -> None:
        from django.conf import settings
        from django.utils import translation

        with translation.override(settings.LANGUAGE_CODE):
            status, body = _too_large_response(scope.get("path", ""), headers, limit)
        content_type = b"application/json" if body.startswith(b"{") else b"text/html; charset=utf-8"
        logger.warning("Refused a request body over %s bytes for %s", limit, scope.get("path"))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
