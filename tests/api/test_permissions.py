"""Who may call what: every endpoint against every persona.

Anonymous callers and deactivated users' tokens get 401 and users without a LiveChat role 403
on every endpoint; the table gives what an agent of another department, the agent and a
manager get.
"""

import pytest

from integrations.webhooks.services import create_subscription
from queues.services import take_room
from rooms.models import Message
from rooms.services import post_agent_message

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
PASSWORD = "a-Strong-pass-123"

# (name, method, path, body, outsider agent, agent, manager)
MATRIX = [
    ("departments-list", "get", "/departments/", None, 200, 200, 200),
    ("departments-create", "post", "/departments/", {"name": "Billing"}, 403, 403, 201),
    ("departments-update", "patch", "/departments/{department}/", {"enabled": True}, 403, 403, 200),
    ("agents-list", "get", "/agents/", None, 200, 200, 200),
    ("agents-retrieve", "get", "/agents/{agent}/", None, 200, 200, 200),
    (
        "agents-create",
        "post",
        "/agents/",
        {"username": "newbie", "password": PASSWORD, "name": "New Bie"},
        403,
        403,
        201,
    ),
    ("agents-update", "patch", "/agents/{agent}/", {"status": "away"}, 403, 200, 200),
    ("contacts-list", "get", "/contacts/", None, 200, 200, 200),
    ("contacts-retrieve", "get", "/contacts/{contact}/", None, 404, 200, 200),
    ("contacts-create", "post", "/contacts/", {"name": "Ada"}, 201, 201, 201),
    ("contacts-update", "patch", "/contacts/{contact}/", {"name": "Ada L."}, 404, 200, 200),
    ("rooms-list", "get", "/rooms/", None, 200, 200, 200),
    ("rooms-retrieve", "get", "/rooms/{taken}/", None, 404, 200, 200),
    ("rooms-take", "post", "/rooms/{queued}/take/", None, 404, 200, 403),
    ("rooms-return", "post", "/rooms/{taken}/return-to-queue/", None, 404, 200, 200),
    ("rooms-close", "post", "/rooms/{taken}/close/", {"comment": "Solved"}, 404, 200, 200),
    ("messages-list", "get", "/rooms/{taken}/messages/", None, 404, 200, 200),
    ("messages-create", "post", "/rooms/{taken}/messages/", {"text": "Hi"}, 404, 201, 403),
    ("messages-retry", "post", "/rooms/{taken}/messages/{failed}/retry/", None, 404, 200, 200),
    ("queue-list", "get", "/queue/", None, 200, 200, 200),
    ("tags-list", "get", "/tags/", None, 200, 200, 200),
    ("webhooks-list", "get", "/webhooks/", None, 403, 403, 200),
    (
        "webhooks-create",
        "post",
        "/webhooks/",
        {"url": "https://hooks.example.com/in", "events": ["room.taken"]},
        403,
        403,
        201,
    ),
    ("webhooks-retrieve", "get", "/webhooks/{subscription}/", None, 403, 403, 200),
    ("webhooks-update", "patch", "/webhooks/{subscription}/", {"enabled": False}, 403, 403, 200),
    ("webhooks-delete", "delete", "/webhooks/{subscription}/", None, 403, 403, 204),
    ("webhooks-deliveries", "get", "/webhooks/{subscription}/deliveries/", None, 403, 403, 200),
]
IDS = [row[0] for row in MATRIX]


@pytest.fixture
def world(write_as_contact, agent, department):
    """A queued room, a room the agent serves with a failed reply, a webhook subscription."""
    queued = write_as_contact(visitor="waiting").room
    taken = take_room(agent, write_as_contact(visitor="served").room)
    reply = post_agent_message(agent, taken, text="Sorry, try again")
    Message.objects.filter(pk=reply.pk).update(delivery_status=Message.Delivery.FAILED)
    subscription = create_subscription(
        None, url="https://hooks.example.com/a", events=["room.taken"]
    )
    return {
        "department": department.pk,
        "agent": agent.pk,
        "contact": taken.contact_id,
        "queued": queued.pk,
        "taken": taken.pk,
        "failed": reply.pk,
        "subscription": subscription.pk,
    }


def call(client, method: str, path: str, body, world: dict):
    url = V1 + path.format(**world)
    return (
        getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)
    )


@pytest.mark.parametrize(("name", "method", "path", "body", *"oam"), MATRIX, ids=IDS)
def test_anonymous_caller_is_told_to_authenticate(api_as, world, name, method, path, body, o, a, m):
    response = call(api_as(None), method, path, body, world)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("name", "method", "path", "body", *"oam"), MATRIX, ids=IDS)
def test_deactivated_users_token_stops_working(
    api_as, world, deactivated_agent, name, method, path, body, o, a, m
):
    response = call(api_as(deactivated_agent), method, path, body, world)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize(("name", "method", "path", "body", *"oam"), MATRIX, ids=IDS)
def test_user_without_livechat_role_is_refused(
    api_as, world, plain_user, name, method, path, body, o, a, m
):
    response = call(api_as(plain_user), method, path, body, world)

    assert response.status_code == 403


@pytest.mark.parametrize(("name", "method", "path", "body", "expected", *"am"), MATRIX, ids=IDS)
def test_agent_of_another_department_gets_table_status(
    api_as, world, outsider_agent, name, method, path, body, expected, a, m
):
    response = call(api_as(outsider_agent), method, path, body, world)

    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("name", "method", "path", "body", "o", "expected", "m"), MATRIX, ids=IDS)
def test_agent_gets_table_status(api_as, world, agent, name, method, path, body, o, expected, m):
    response = call(api_as(agent), method, path, body, world)

    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("name", "method", "path", "body", "o", "a", "expected"), MATRIX, ids=IDS)
def test_manager_gets_table_status(
    api_as, world, supervisor, name, method, path, body, o, a, expected
):
    response = call(api_as(supervisor), method, path, body, world)

    assert response.status_code == expected, response.content


def test_session_signed_in_agent_reads_rooms(client, agent, world):
    client.force_login(agent)

    response = client.get(f"{V1}/rooms/")

    assert response.status_code == 200


def test_session_write_without_csrf_token_is_refused(agent, world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)

    response = browser.post(f"{V1}/rooms/{world['queued']}/take/", content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
