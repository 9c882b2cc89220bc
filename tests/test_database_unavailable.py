"""A database error becomes a 503 with a message wherever Django raised it: in a view or in a
middleware below ours (the real outage runs in tests/integration/test_postgres_outage.py)."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client, override_settings

MIDDLEWARE = "omnichannel.middleware.DatabaseUnavailableMiddleware"


class DatabaseGone:
    """Stands in for whatever layer first reaches a database that does not answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("X-Fail") == "interface":
            raise InterfaceError("connection already closed")
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


class Broken(DatabaseGone):
    def __call__(self, request):
        raise ValueError("a bug, not an outage")


@pytest.fixture
def client_without_database():
    with override_settings(MIDDLEWARE=[MIDDLEWARE, f"{__name__}.DatabaseGone"], DEBUG=False):
        yield Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/rooms/", "/integrations/facebook/webhook/", "/api/v1/inbound/sms/messages/"],
)
def test_api_and_webhooks_answer_503_json(client_without_database, path):
    response = client_without_database.post(path, data={})

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert response.json()["detail"]
    assert response["Retry-After"] == "5"


def test_the_website_chat_answers_503_json(client_without_database):
    response = client_without_database.post(
        "/livechat/support/messages/", data={"text": "Hi"}, headers={"X-Visitor-Token": "t" * 43}
    )

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"


def test_pages_answer_503_with_a_message(client_without_database):
    response = client_without_database.get("/rooms/1/", headers={"X-Fail": "interface"})

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "temporarily unavailable" in response.content.decode()


def test_other_errors_stay_500():
    with override_settings(MIDDLEWARE=[MIDDLEWARE, f"{__name__}.Broken"], DEBUG=False):
        response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 500
