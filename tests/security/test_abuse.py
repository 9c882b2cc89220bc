"""Abuse of the public endpoints: throttles (429 with Retry-After) on the website chat and the
Facebook webhook, a cache outage that must not refuse anyone, and request bodies past every
limit refused with 413 or 400, never a 500.

The inbound API channel's throttle (per channel key) is tested with the channel
(tests/webhooks/test_api_channel.py); sign-in lock-out in tests/accounts/test_sign_in.py.
"""

import json
import secrets
import time

import pytest
from django.core.cache import cache
from django.test import Client

from integrations.facebook.services.pages import add_page
from integrations.facebook.webhook import sign
from integrations.livechat.views import MAX_BODY_BYTES
from omnichannel.throttle import parse_rate
from rooms.models import Message
from rooms.services import ATTACHMENT_MAX_BYTES
from tests.facebook.conftest import APP_SECRET, PAGE_ID, entry, payload, text_message
from tests.security.test_access_matrix import PERSONAS, ROWS, signed_in, world  # noqa: F401
from tests.servers import free_port

pytestmark = pytest.mark.django_db

WIDGET = "/livechat/support/messages/"
WEBHOOK = "/integrations/facebook/webhook/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    """Counters live in the cache (Redis on the CI's second run): every test starts at zero."""
    settings.THROTTLE_RATES = {}
    cache.clear()


def visitor(address: str = "203.0.113.10", token: str | None = None):
    """A browser at `address` with its own visitor token; posts to the widget."""
    client = Client(REMOTE_ADDR=address)
    token = token or secrets.token_urlsafe(32)

    def post(text: str = "Hello", **data):
        return client.post(WIDGET, {"text": text, **data}, headers={"X-Visitor-Token": token})

    return post


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


# --- throttles ------------------------------------------------------------------------------------


def test_a_visitor_writing_too_fast_gets_429_with_retry_after(department, settings):
    settings.THROTTLE_RATES = {"livechat_visitor": "3/min"}
    post = visitor()

    statuses = [post(f"Message {n}").status_code for n in range(3)]
    refused = post("One too many")

    assert statuses == [201, 201, 201]
    assert_throttled(refused)
    assert not Message.objects.filter(text="One too many").exists()
    # Another visitor at the same address is not slowed down by this one.
    assert visitor()().status_code == 201


def test_many_visitors_from_one_address_get_429(department, settings):
    settings.THROTTLE_RATES = {"livechat_address": "3/min"}

    statuses = [visitor("198.51.100.7")().status_code for _ in range(3)]
    refused = visitor("198.51.100.7")()

    assert statuses == [201, 201, 201]
    assert_throttled(refused)
    assert visitor("198.51.100.8")().status_code == 201


def test_facebook_webhook_is_throttled_per_source_address(department, settings):
    settings.THROTTLE_RATES = {"facebook_address": "2/min"}
    add_page(
        page_id=PAGE_ID,
        name="Acme",
        access_token="EAAGtoken",
        app_secret=APP_SECRET,
        verify_token="verify",
        department=department,
    )

    def deliver(address: str, mid: str):
        body = json.dumps(payload(entry(text_message("Hi", mid=mid)))).encode()
        return Client(REMOTE_ADDR=address).post(
            WEBHOOK,
            data=body,
            content_type="application/json",
            headers={"X-Hub-Signature-256": sign(APP_SECRET, body)},
        )

    statuses = [deliver("31.13.64.1", f"m_{n}").status_code for n in range(2)]
    refused = deliver("31.13.64.1", "m_3")

    assert statuses == [200, 200]
    assert_throttled(refused)
    # Counted before the signature is checked: a flood of unsigned calls costs no HMAC.
    assert (
        Client(REMOTE_ADDR="31.13.64.1")
        .post(WEBHOOK, data=b"{}", content_type="application/json")
        .status_code
        == 429
    )
    assert deliver("31.13.64.2", "m_4").status_code == 200


def test_default_rates_leave_room_for_people_and_for_facebook():
    import omnichannel.settings as production  # the module's values, not a test's override

    limits = {scope: parse_rate(rate) for scope, rate in production.THROTTLE_RATES.items()}

    assert limits["livechat_visitor"] == (30, 60)  # one message every 2 s, sustained
    assert limits["livechat_address"][0] >= 10 * limits["livechat_visitor"][0]  # an office's NAT
    assert limits["facebook_address"][0] / limits["facebook_address"][1] >= 100  # 100 calls/s


def test_rates_are_read_as_django_rest_framework_reads_them():
    assert parse_rate("1200/min") == parse_rate("1200/minute") == parse_rate("1200/m") == (1200, 60)
    assert parse_rate("5/hour") == (5, 3600)


def test_throttles_let_everyone_through_when_the_cache_is_down(department, settings):
    """Redis gone: the counters cannot be kept, the messages must still be (and are)."""
    settings.THROTTLE_RATES = {"livechat_visitor": "1/min", "livechat_address": "1/min"}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    post = visitor()

    started = time.monotonic()
    statuses = [post(f"Message {n}").status_code for n in range(3)]

    assert statuses == [201, 201, 201]
    assert time.monotonic() - started < 5


# --- request bodies ------------------------------------------------------------------------------


def test_widget_refuses_a_body_past_its_cap_before_reading_it(department):
    post = visitor()
    oversized = b"\0" * (MAX_BODY_BYTES + 1)

    response = post(file=_upload("big.pdf", oversized))

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Message.objects.exists()


def test_widget_refuses_a_file_past_the_size_cap(department):
    post = visitor()
    just_over = PDF + b"\0" * (ATTACHMENT_MAX_BYTES + 1 - len(PDF))

    response = post(file=_upload("report.pdf", just_over))

    assert response.status_code == 400
    assert "10 MB" in response.json()["detail"]
    assert not Message.objects.exists()


def test_widget_judges_a_file_by_its_content_not_its_name(department):
    post = visitor()

    disguised = post(file=_upload("invoice.pdf", b"MZ\x90\x00 a Windows program"))
    real = post(file=_upload("scan.bin", PDF))

    assert disguised.status_code == 400
    assert "Only images" in disguised.json()["detail"]
    assert real.status_code == 201
    assert Message.objects.get().attachments.get().content_type == "application/pdf"


def test_facebook_webhook_refuses_a_body_past_its_cap(settings):
    settings.FACEBOOK_WEBHOOK_MAX_BYTES = 1024

    response = Client().post(
        WEBHOOK, data=b"{" + b" " * 2048 + b"}", content_type="application/json"
    )

    assert response.status_code == 413


HUGE_FORM = 3 * 1024 * 1024  # past DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
HUGE_JSON = 300 * 1024  # past API_MAX_BODY_BYTES (256 KB)
POSTS = sorted(route for route, row in ROWS.items() if row.method == "post")


def test_every_post_endpoint_refuses_a_huge_body_with_413_or_400(world):  # noqa: F811
    """As the first persona the endpoint serves, with the CSRF check on (as in production)."""
    clients = signed_in(world)
    ids = world["ids"]
    answers = {}
    for route in POSTS:
        row = ROWS[route]
        cells = zip(PERSONAS, row.expect.split(), strict=True)
        allowed = [persona for persona, cell in cells if cell[0] in "23"]
        persona = allowed[0] if allowed else "mgr"
        client = clients[persona]
        client.handler.enforce_csrf_checks = True
        client.cookies["csrftoken"] = "c" * 32
        headers = {"X-CSRFToken": "c" * 32}
        path = row.path.format(**ids)
        if path.startswith(("/api/", "/integrations/")):
            body = json.dumps({"text": "x" * HUGE_JSON}).encode()
            if path.startswith("/integrations/"):
                body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
            response = client.post(
                path, data=body, content_type="application/json", headers=headers
            )
        else:
            response = client.post(path, data={"text": "x" * HUGE_FORM}, headers=headers)
        answers[route] = response.status_code
    assert {route: status for route, status in answers.items() if status not in (400, 413)} == {}


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
