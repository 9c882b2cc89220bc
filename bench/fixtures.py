"""Bench data made through the services (never by writing models): a department, a Facebook
page, an API channel, agents with signed-in sessions, and the signed requests that reach them.

Import after `support.harness_setup` (Django must be set up).
"""

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from bench.loadgen import Request, http_request

DEPARTMENT_SLUG = "bench"
PAGE_ID = "100200300"
APP_SECRET = "bench-app-secret-" + "x" * 16
API_KEY = "bench-api"
API_SECRET = "bench-api-secret-0123456789abcdef"  # noqa: S105 (bench data)
AGENT_PREFIX = "bench-agent-"
WEBHOOK_PATH = "/integrations/facebook/webhook/"
API_PATH = f"/api/v1/inbound/{API_KEY}/messages/"
CSRF_TOKEN = "benchcsrf" + "0" * 23  # 32 characters: an unmasked CSRF secret


@dataclass
class World:
    department_id: int
    agents: list  # User
    cookies: list[str]  # "sessionid=...; csrftoken=..."


def build_world(agent_count: int, *, callback_url: str = "") -> World:
    from django.test.utils import override_settings

    from accounts.models import User
    from accounts.services import create_department, provision_agent
    from integrations.apichannel.services import create_api_channel
    from integrations.facebook.services.pages import add_page

    department, _created = create_department(name="Bench", slug=DEPARTMENT_SLUG)
    add_page(
        page_id=PAGE_ID,
        name="Bench page",
        access_token="EAAGbench" + "t" * 20,
        app_secret=APP_SECRET,
        verify_token="bench-verify",  # noqa: S106
        department=department,
    )
    create_api_channel(
        name="Bench API",
        key=API_KEY,
        department=department,
        callback_url=callback_url,
        secret=API_SECRET,
    )
    password = f"Bench-{secrets.token_urlsafe(18)}!"
    # Nobody signs in with these passwords (sessions are made directly): a fast hasher keeps
    # provisioning a thousand agents from costing a thousand PBKDF2 runs.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for index in range(agent_count):
            provision_agent(
                username=f"{AGENT_PREFIX}{index:04d}",
                password=password,
                department_slugs=[DEPARTMENT_SLUG],
                queue_on=True,
            )
    agents = list(User.objects.filter(username__startswith=AGENT_PREFIX).order_by("username"))
    return World(department.pk, agents, session_cookies(agents))


def session_cookies(agents: list) -> list[str]:
    """A signed-in session per agent, as django.contrib.auth.login stores it, plus CSRF."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    cookies = []
    for agent in agents:
        session = SessionStore()
        session[SESSION_KEY] = str(agent.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
        session.save()
        cookies.append(
            f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={CSRF_TOKEN}"
        )
    return cookies


# --- signed requests ----------------------------------------------------------------------------


def facebook_call(port: int, messages: list[tuple[str, str, str]]) -> bytes:
    """A signed Messenger webhook POST; messages are (psid, mid, text)."""
    now = int(time.time() * 1000)
    messaging = [
        {
            "sender": {"id": psid},
            "recipient": {"id": PAGE_ID},
            "timestamp": now,
            "message": {"mid": mid, "text": text},
        }
        for psid, mid, text in messages
    ]
    body = json.dumps(
        {"object": "page", "entry": [{"id": PAGE_ID, "time": now, "messaging": messaging}]}
    ).encode()
    signature = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"}
    return http_request("POST", WEBHOOK_PATH, port=port, body=body, headers=headers)


def api_call(port: int, contact_id: str, message_id: str, text: str) -> bytes:
    """A signed API channel inbound POST."""
    body = json.dumps({"contact_id": contact_id, "message_id": message_id, "text": text}).encode()
    timestamp = str(int(time.time()))
    mac = hmac.new(API_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    headers = {
        "Content-Type": "application/json",
        "X-Omnichannel-Timestamp": timestamp,
        "X-Omnichannel-Signature": f"sha256={mac.hexdigest()}",
    }
    return http_request("POST", API_PATH, port=port, body=body, headers=headers)


def agent_post(port: int, cookie: str, path: str, form: dict[str, str], *, htmx: bool) -> bytes:
    """A signed-in agent's form POST (session cookie and CSRF token)."""
    from urllib.parse import urlencode

    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": cookie,
        "X-CSRFToken": CSRF_TOKEN,
    }
    if htmx:
        headers["HX-Request"] = "true"
    return http_request("POST", path, port=port, body=urlencode(form).encode(), headers=headers)


def floor_http(port: int) -> Request:
    return Request(http_request("GET", "/bench/floor/http/", port=port))


def floor_ingest(port: int, number: int) -> Request:
    body = json.dumps({"bench": number, "text": f"Floor message {number}", "pad": "x" * 200})
    raw = http_request(
        "POST",
        "/bench/floor/ingest/",
        port=port,
        body=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    return Request(raw)


def status_is(*codes: int):
    def validate(status: int, _body: bytes, _request: Request) -> bool:
        return status in codes

    return validate


# --- after a phase: what the database holds ------------------------------------------------


def stored_facebook_mids(mids: list[str]) -> int:
    from directory.models import Channel
    from rooms.models import Message

    found = 0
    for start in range(0, len(mids), 5000):
        found += Message.objects.filter(
            channel=Channel.FACEBOOK, external_id__in=mids[start : start + 5000]
        ).count()
    return found


def stored_webhook_calls() -> int:
    from integrations.facebook.models import WebhookEvent

    return WebhookEvent.objects.count()


def room_psids(room_ids: list[int]) -> dict[int, str]:
    """Facebook rooms -> the psid of their contact."""
    from directory.models import Channel, ContactIdentity
    from rooms.models import Room

    contact_of = dict(Room.objects.filter(pk__in=room_ids).values_list("pk", "contact_id"))
    identities = dict(
        ContactIdentity.objects.filter(
            contact_id__in=set(contact_of.values()), channel=Channel.FACEBOOK
        ).values_list("contact_id", "external_id")
    )
    return {
        room: identities[contact].split(":", 1)[1]
        for room, contact in contact_of.items()
        if contact in identities
    }


def message_rooms(message_ids: list[int]) -> dict[int, int]:
    from rooms.models import Message

    return dict(Message.objects.filter(pk__in=message_ids).values_list("pk", "room_id"))


def close_connections() -> None:
    from django.db import connections

    connections.close_all()
