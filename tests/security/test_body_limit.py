"""One cap on every request body, in front of Django (Daphne has none): a real Daphne answers an
oversize body with a 413 and a message, with or without Content-Length; other requests pass."""

import pytest
import requests

from rooms.models import Message
from tests.servers import daphne, database_url_for_servers

pytestmark = pytest.mark.django_db(transaction=True)

CAP = 64 * 1024
VISITOR = {"X-Visitor-Token": "v" * 32}


@pytest.fixture
def server(department):
    with daphne(database_url_for_servers(), MAX_REQUEST_BODY_BYTES=str(CAP)) as url:
        yield url


def chunks(total: int, size: int = 8192):
    """A body sent chunked, without Content-Length."""
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


def test_declared_oversize_body_is_refused_with_413_and_a_message(server):
    response = requests.post(
        f"{server}/livechat/support/messages/",
        data={"text": "x" * (CAP + 1)},
        headers=VISITOR,
        timeout=15,
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request is too large: the limit is 64.0\xa0KB.",
        "code": "too_large",
    }
    assert not Message.objects.exists()


def test_chunked_body_without_length_is_refused_once_past_the_cap(server):
    response = requests.post(
        f"{server}/api/v1/inbound/sms/messages/",
        data=chunks(CAP * 4),
        headers={"Content-Type": "application/json"},
        timeout=15,
    )

    assert "Content-Length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_page_gets_a_readable_413(server):
    response = requests.post(
        f"{server}/accounts/login/", data={"username": "x" * (CAP + 1)}, timeout=15
    )

    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("text/html")
    assert "The request is too large" in response.text


def test_message_under_the_cap_is_stored(server):
    response = requests.post(
        f"{server}/livechat/support/messages/",
        data={"text": "Hello, I need help"},
        headers=VISITOR,
        timeout=15,
    )

    assert response.status_code == 201
    assert Message.objects.get().text == "Hello, I need help"


def test_body_just_under_the_cap_reaches_the_application(server):
    response = requests.post(
        f"{server}/livechat/support/messages/",
        data={"text": "x" * (CAP - 1024)},
        headers=VISITOR,
        timeout=15,
    )

    assert response.status_code == 400
    assert response.json()["code"] != "too_large"
