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
