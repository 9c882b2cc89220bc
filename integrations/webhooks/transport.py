"""Signed JSON over HTTP to targets outside the server: signing, the server-side request
forgery guard, back-off. Shared by outbound webhooks and the API channel's callbacks.

Signature: hex HMAC-SHA256 with the shared secret over ``<timestamp>.<body>``, sent as
``X-Omnichannel-Signature: sha256=<hex>`` next to ``X-Omnichannel-Timestamp`` (Unix seconds).
"""

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from integrations.webhooks.errors import TargetNotAllowed

SIGNATURE_HEADER = "X-Omnichannel-Signature"
TIMESTAMP_HEADER = "X-Omnichannel-Timestamp"
EVENT_HEADER = "X-Omnichannel-Event"
EVENT_ID_HEADER = "X-Omnichannel-Event-Id"
DELIVERY_HEADER = "X-Omnichannel-Delivery"
USER_AGENT = "Omnichannel-Webhooks/1.0"
# A receiver refuses a timestamp further than this from its clock (replays).
SIGNATURE_TOLERANCE_SECONDS = 300
EXCERPT_BYTES = 1000
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


def encode(payload: dict) -> bytes:
    """The body exactly as sent and signed: compact JSON, keys sorted."""
    return json.dumps(
        payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True
    ).encode()


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signature_is_valid(
    secret: str, timestamp: str, signature: str, body: bytes, *, now: float | None = None
) -> bool:
    """True for a fresh timestamp and a matching signature (constant-time compare)."""
    try:
        stamped = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - stamped) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, stamped, body), signature or "")


def claim_lease() -> timedelta:
    """How long a claimed attempt holds its delivery: well past the longest send it can make.

    A worker killed in the middle of a send leaves its claim; after the lease the sweeper
    queues the delivery again (the receiver may then see it twice, with the same delivery id).
    """
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))
    return timedelta(seconds=max(60.0, 6 * timeout))


def lost_task_grace() -> timedelta:
    """A pending delivery due this long ago with no queued task lost its task."""
    return timedelta(seconds=getattr(settings, "DELIVERY_LOST_TASK_SECONDS", 120))


def ids_with_queued_task(task, ids: list[int]) -> set[int]:
    """Of these ids, those for which the database queue holds a task not yet run.

    Empty when tasks do not go through the database (a test backend): nothing is waiting then.
    """
    from django.tasks import TaskResultStatus, task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not ids or not isinstance(task_backends[task.backend], DatabaseBackend):
        return set()

    rows = DBTaskResult.objects.filter(
        task_path=task.module_path,
        status=TaskResultStatus.READY,
        args_kwargs__args__0__in=ids,
    ).values_list("args_kwargs", flat=True)
    return {row["args"][0] for row in rows}


def backoff(attempt_number: int) -> timedelta:
    """Wait before attempt n+1: 30 s, 1 min, 2 min, ... doubling, at most an hour."""
    exponent = min(max(attempt_number - 1, 0), 20)
    first = getattr(settings, "WEBHOOK_BACKOFF_FIRST", BACKOFF_FIRST)  # tests shorten it
    return min(first * (2**exponent), BACKOFF_CAP)


# --- server-side request forgery ----------------------------------------------------------------


def _private_targets_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


def address_allowed(address: str) -> bool:
    """Only public (global) addresses, unless the setting allows private ones."""
    if _private_targets_allowed():
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target(url: str, *, resolve: bool = True) -> None:
    """Refuse a URL that is not http(s) or that resolves to a non-public address.

    The peer is checked again on every connection (DNS may change between now and then).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetNotAllowed(_("Use an http:// or https:// URL with a host name."))
    if _private_targets_allowed():
        return
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    elif host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        addresses = ["127.0.0.1"]
    elif resolve:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return  # Unresolvable now; the connection-time check still applies.
        addresses = [info[4][0] for info in infos]
    else:
        return
    if not all(address_allowed(address) for address in addresses):
        raise TargetNotAllowed()


class TargetRefused(Exception):
    """Raised while connecting: the peer's address is not allowed."""


def _check_peer(sock: socket.socket) -> None:
    peer = sock.getpeername()[0]
    if not address_allowed(peer):
        sock.close()
        raise TargetRefused(f"refused to connect to {peer} (not a public address)")


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """Checks the address actually connected to, so DNS rebinding cannot reach inside."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def _session() -> requests.Session:
    session = requests.Session()
    # No proxies from the environment: the guard must see the real peer.
    session.trust_env = False
    adapter = GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --- sending ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None
    error: str
    response_excerpt: str
    duration_ms: int
    # Not worth retrying: the target is refused.
    permanent: bool = False


def post_signed(url: str, *, secret: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST the body with its signature; never raises for what the target does."""
    timestamp = int(time.time())
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        **headers,
    }
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        check_target(url)
    except TargetNotAllowed as error:
        return Outcome(False, None, error.message[:500], "", elapsed(), permanent=True)
    timeout = (3.05, float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10)))
    try:
        with _session() as session:
            response = session.post(
                url,
                data=body,
                headers=all_headers,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
            try:
                excerpt = response.raw.read(EXCERPT_BYTES, decode_content=True) or b""
            finally:
                response.close()
    except TargetRefused as error:
        return Outcome(False, None, str(error)[:500], "", elapsed(), permanent=True)
    except requests.Timeout:
        return Outcome(False, None, "timed out", "", elapsed())
    except requests.RequestException as error:
        return Outcome(False, None, f"{type(error).__name__}: {error}"[:500], "", elapsed())
    text = excerpt.decode("utf-8", errors="replace")
    ok = 200 <= response.status_code < 300
    error = "" if ok else f"HTTP {response.status_code}"
    return Outcome(ok, response.status_code, error, text, elapsed())
