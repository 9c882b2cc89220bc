"""PostgreSQL goes away under a running server (a TCP gate in front of the shared server cuts
every connection and refuses new ones): requests fail cleanly with 503, nothing is half
written, and service resumes without restarting the process."""

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from rest_framework.authtoken.models import Token

from integrations.apichannel.services import create_api_channel
from integrations.facebook.models import WebhookEvent
from omnichannel.models import Event
from rooms.models import Message
from tests.facebook.conftest import APP_SECRET, entry, payload, text_message
from tests.integration.faults import (
    TcpGate,
    acme_page,
    answered_500,
    api_channel_posts,
    daphne,
    environment,
    facebook_posts,
    manage,
    visitor_posts,
    wait_until,
)
from tests.live.test_consumers import session_cookie
from tests.servers import database_url_for_servers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

API_SECRET = "api-channel-secret-0123456789"
POOL_TIMEOUT = 2


@pytest.fixture
def database_gate():
    url = urlsplit(database_url_for_servers())
    gate = TcpGate(url.port or 5432)
    gate.open()
    through_gate = url._replace(netloc=f"{url.netloc.rsplit(':', 1)[0]}:{gate.port}")
    yield gate, urlunsplit(through_gate)
    gate.shutdown()


@pytest.fixture
def channels(department):
    create_api_channel(name="SMS", key="sms", department=department, secret=API_SECRET)
    acme_page(department)


class Writer(threading.Thread):
    """A visitor who keeps writing, one new text per request, through the outage."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.token = secrets.token_urlsafe(32)
        self.outcomes: list[tuple[str, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        number = 0
        while not self.done.is_set():
            number += 1
            text = f"Stream message {number}"
            try:
                status = visitor_posts(self.base_url, self.token, text).status_code
            except requests.RequestException:
                status = 0
            self.outcomes.append((text, status))
            time.sleep(0.05)


def test_requests_fail_cleanly_while_postgres_is_away_and_service_resumes(
    database_gate, channels, agent, settings, tmp_path
):
    gate, database_url = database_gate
    # Production settings (DEBUG's error page would itself wait for the database), served
    # over plain HTTP; the writer posts far more than a visitor may: no throttle here.
    env = environment(
        database_url,
        DEBUG="0",
        SECRET_KEY=settings.SECRET_KEY,  # the key the test's session cookie was signed with
        SECURE_SSL_REDIRECT="0",
        DATABASE_POOL_TIMEOUT=str(POOL_TIMEOUT),
        LIVECHAT_RATE_PER_VISITOR="",
        LIVECHAT_RATE_PER_ADDRESS="",
    )
    cookie = session_cookie(agent).decode()
    token = Token.objects.create(user=agent).key
    outage_mid = "m_during_outage"
    outage_call = payload(entry(text_message("Are you there?", mid=outage_mid)))

    def page():
        return requests.get(
            f"{base_url}/", headers={"Cookie": cookie}, timeout=15, allow_redirects=False
        )

    def api_list():
        headers = {"Authorization": f"Token {token}"}
        return requests.get(f"{base_url}/api/v1/rooms/", headers=headers, timeout=15)

    calls = {
        "widget": lambda: visitor_posts(base_url, secrets.token_urlsafe(32), "Lost in the outage"),
        "api channel": lambda: api_channel_posts(base_url, "sms", API_SECRET, "o1", "Lost too"),
        "facebook": lambda: facebook_posts(base_url, outage_call, APP_SECRET),
        "page": page,
        "api": api_list,
    }
    with daphne(env, tmp_path / "daphne.log") as (base_url, server):
        assert visitor_posts(base_url, secrets.token_urlsafe(32), "Hello").status_code == 201
        assert api_channel_posts(base_url, "sms", API_SECRET, "b1", "Hi").status_code == 201
        assert page().status_code == 200 and api_list().status_code == 200
        writer = Writer(base_url)
        writer.start()
        time.sleep(1)

        gate.close()
        with ThreadPoolExecutor(len(calls)) as pool:
            during = dict(zip(calls, pool.map(lambda call: call(), calls.values()), strict=True))
        time.sleep(1)
        gate.open()

        recovered_at = time.monotonic()
        wait_until(
            lambda: visitor_posts(base_url, secrets.token_urlsafe(32), "Back").status_code == 201,
            timeout=30,
            what="the server to store messages again",
        )
        recovery = time.monotonic() - recovered_at
        time.sleep(1)
        writer.done.set()
        writer.join(timeout=20)
        # Meta retries the call we refused: stored once now.
        retried = facebook_posts(base_url, outage_call, APP_SECRET)
        after_page = page()
        log = server.output()

    for name, response in during.items():
        assert response.status_code == 503, (name, response.status_code, response.text[:300])
        assert response.headers["Retry-After"]
        assert response.elapsed.total_seconds() < POOL_TIMEOUT + 3, (name, response.elapsed)
    for name in ("widget", "api channel", "facebook", "api"):
        assert during[name].json()["code"] == "unavailable"
    assert during["page"].headers["Content-Type"].startswith("text/html")
    assert "temporarily unavailable" in during["page"].text
    assert recovery < 15, recovery
    assert retried.status_code == 200 and after_page.status_code == 200

    # Nothing the refused requests wrote is left behind.
    assert not Message.objects.filter(text__in=["Lost in the outage", "Lost too"]).exists()
    assert WebhookEvent.objects.filter(body__contains=outage_mid).count() == 1
    # The writer's messages: every acknowledged one is stored once, every refusal was a 503;
    # a commit whose answer the cut lost is stored whole (its room and its event).
    acked = {text for text, status in writer.outcomes if status == 201}
    refused = [status for _text, status in writer.outcomes if status != 201]
    assert refused and set(refused) == {503}, refused
    stream = Message.objects.filter(text__startswith="Stream message")
    stored = list(stream.values_list("text", flat=True))
    assert len(stored) == len(set(stored))
    assert acked <= set(stored)
    assert len(set(stored) - acked) <= 1
    for message in stream:
        assert Event.objects.filter(name="message.created", data__message=message.pk).exists()
    # Events whose after-commit dispatch the cut interrupted: the sweeper finishes them.
    manage(environment(database_url_for_servers()), "dispatch_events", "--older-than", "0")
    assert not Event.objects.filter(dispatched_at__isnull=True).exists()
    assert answered_500(log) == []
