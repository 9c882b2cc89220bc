"""Facebook's webhook: the subscription handshake, and signed calls stored for processing."""

import json
import logging
import threading
import time

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.facebook import selectors
from integrations.facebook.services import inbound
from integrations.facebook.webhook import SIGNATURE_HEADER, entry_page_ids, matching_secret
from omnichannel import throttle

logger = logging.getLogger(__name__)

CHALLENGE_MAX_LENGTH = 200
# The pages' app secrets are read at most this often by a process: a call signed by a secret
# (or naming a page) the copy does not know reads them again at once, so a page added in admin
# works from its first call; a secret changed or a page removed stops being accepted within it
# (a removed page's calls are then stored and skipped by processing, which reads the pages).
SIGNING_PAGES_SECONDS = 5.0
_signing_lock = threading.Lock()
_signing: tuple[float, list[tuple[str, str]]] | None = None


def _signing_pages(*, fresh: bool = False) -> list[tuple[str, str]]:
    global _signing
    with _signing_lock:
        if fresh or _signing is None or _signing[0] <= time.monotonic():
            _signing = (time.monotonic() + SIGNING_PAGES_SECONDS, selectors.signing_pages())
        return _signing[1]


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _handshake(request)
    return _receive(request)


def _handshake(request: HttpRequest) -> HttpResponse:
    """Facebook's subscription check: echo the challenge, for a verify token we know only."""
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if (
        mode == "subscribe"
        and token
        and challenge
        and len(challenge) <= CHALLENGE_MAX_LENGTH
        and selectors.page_for_verify_token(token) is not None
    ):
        return HttpResponse(challenge, content_type="text/plain")
    logger.warning("Facebook webhook handshake refused (mode %r)", mode[:20])
    return HttpResponse("Forbidden", status=403, content_type="text/plain")


def _receive(request: HttpRequest) -> HttpResponse:
    """Verify the signature over the raw bytes, keep the call, answer at once."""
    refused = throttle.throttled(("facebook_address", throttle.client_address(request)))
    if refused:
        return refused
    limit = inbound.max_body_bytes()
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return HttpResponse("Payload too large", status=413, content_type="text/plain")
    body = request.read(limit + 1)
    if len(body) > limit:
        return HttpResponse("Payload too large", status=413, content_type="text/plain")
    header = request.headers.get(SIGNATURE_HEADER)
    pages = _signing_pages()
    secret = matching_secret(header, body, {secret for _id, secret in pages})
    if secret is None:
        # Perhaps a page added since the process's copy was read.
        pages = _signing_pages(fresh=True)
        secret = matching_secret(header, body, {secret for _id, secret in pages})
    if secret is None:
        logger.warning("Facebook webhook refused: missing or wrong signature")
        return HttpResponse("Forbidden", status=403, content_type="text/plain")
    try:
        payload = json.loads(body.decode("utf-8"))
    except ValueError:
        logger.warning("Facebook webhook refused: the signed body is not JSON")
        return HttpResponse("Invalid JSON", status=400, content_type="text/plain")
    if not isinstance(payload, dict):
        return HttpResponse("Invalid JSON", status=400, content_type="text/plain")
    # A page id is trusted only when the secret that signed the call is that page's.
    vouched = {page_id for page_id, page_secret in pages if page_secret == secret}
    claimed = entry_page_ids(payload)
    if any(page_id not in vouched for page_id in claimed):
        # Perhaps a page of the same app added since: judged on the pages as they are now.
        pages = _signing_pages(fresh=True)
        secret = matching_secret(header, body, {secret for _id, secret in pages})
        if secret is None:
            logger.warning("Facebook webhook refused: signed by a secret no longer configured")
            return HttpResponse("Forbidden", status=403, content_type="text/plain")
        vouched = {page_id for page_id, page_secret in pages if page_secret == secret}
    trusted = [page_id for page_id in claimed if page_id in vouched]
    unknown = [page_id[:64] for page_id in claimed if page_id not in vouched]
    if unknown:
        logger.warning("Facebook webhook names unknown page id(s): %s", ", ".join(unknown))
    inbound.store_webhook(body, payload, trusted=trusted, unknown=unknown)
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")
