"""Throttles of the public endpoints (website chat, Facebook webhook) and of the REST API: a
fixed-window count per scope and key in Django's cache (Redis when REDIS_URL is set, so every
process counts together).

Past the rate the caller answers 429 with Retry-After. A cache that does not answer lets the
request through: a Redis outage must never refuse a contact's message.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """A rate like 30/min as (30, 60); none (None or empty) means not throttled."""
    if not rate:
        return None
    count, _slash, period = rate.partition("/")
    period = period.strip().lower()
    # "min", "minute" or "m" alike, as Django REST framework reads its rates.
    return int(count), PERIODS.get(period) or PERIODS[period[:1]]


def client_address(request: HttpRequest) -> str:
    """The peer's address (Daphne's --proxy-headers puts the client's there behind a proxy)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def wait_seconds(scope: str, ident: str) -> int | None:
    """Count one request of `ident`; the seconds until it may come again when over the rate."""
    return wait_for_rate(scope, ident, getattr(settings, "THROTTLE_RATES", {}).get(scope))


def wait_for_rate(scope: str, ident: str, rate_text: str | None) -> int | None:
    """`wait_seconds` at a rate given by the caller (the REST API's throttles keep theirs in
    REST_FRAMEWORK's settings)."""
    rate = parse_rate(rate_text)
    if rate is None:
        return None
    limit, period = rate
    now = time.time()
    window = int(now // period)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"throttle:{scope}:{window}:{digest}"
    try:
        count = _count(key, timeout=period + 1)
    except Exception:
        # Fail open: counting is a defence, storing the message is the product.
        logger.warning("Throttle %s not counted: the cache did not answer", scope, exc_info=True)
        return None
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def _count(key: str, *, timeout: int) -> int:
    """Add one to the window's counter and return it: one round trip on Redis."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        cache.add(key, 0, timeout=timeout)
        return cache.incr(key)
    full_key = backend.make_and_validate_key(key)
    pipeline = backend._cache.get_client(key, write=True).pipeline(transaction=False)
    pipeline.incr(full_key)
    pipeline.expire(full_key, timeout, nx=True)
    count, _expiry_set = pipeline.execute()
    return int(count)


def throttled(*checks: tuple[str, str]) -> JsonResponse | None:
    """Count the request under each (scope, key); a 429 when any of them is over its rate."""
    waits = [wait for scope, ident in checks if (wait := wait_seconds(scope, ident))]
    if not waits:
        return None
    wait = max(waits)
    logger.info("Throttled %s", ", ".join(scope for scope, _ident in checks))
    return JsonResponse(
        {
            "detail": _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": wait},
            "code": "throttled",
        },
        status=429,
        headers={"Retry-After": str(wait)},
    )
