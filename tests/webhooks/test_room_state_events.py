"""Webhooks of a room's state while it is served: on hold, resumed, priority and SLA changed."""

import json

import pytest
from django.urls import reverse

from integrations.webhooks import services
from queues.services import put_on_hold, resume_room, save_sla_policy, set_service_level

pytestmark = pytest.mark.django_db

SECRET = "webhook-secret-0123456789"
ROOM_STATE_EVENTS = ["room.held", "room.resumed", "room.service_level_changed"]


@pytest.fixture
def subscription(receiver):
    return services.create_subscription(
        None, url=receiver.url, events=ROOM_STATE_EVENTS, secret=SECRET
    )


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def sent(receiver, tasks, commit):
    """Send what is due; the bodies the receiver got, by event name."""

    def bodies() -> dict[str, dict]:
        with commit():
            tasks.run()
        return {
            request.headers["X-Omnichannel-Event"]: json.loads(request.body)
            for request in receiver.requests
        }

    return bodies


def test_api_subscribes_to_the_room_state_events(api_as, supervisor):
    response = api_as(supervisor).post(
        "/api/v1/webhooks/", {"url": "https://hooks.example.com/in", "events": ROOM_STATE_EVENTS}
    )

    assert response.status_code == 201
    assert response.json()["events"] == ROOM_STATE_EVENTS


def test_admin_offers_the_room_state_events(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-12345678")
    client.force_login(admin)

    page = client.get(reverse("admin:webhooks_subscription_add")).content.decode()

    for name in ROOM_STATE_EVENTS:
        assert f'value="{name}"' in page


def test_chat_put_on_hold_is_sent_with_the_room_on_hold(
    subscription, taken_room, agent, commit, sent
):
    with commit():
        put_on_hold(agent, taken_room)

    body = sent()["room.held"]

    assert body["event"] == "room.held"
    assert body["actor"]["id"] == agent.pk
    assert body["data"]["room"]["id"] == taken_room.pk
    assert body["data"]["room"]["on_hold"] is True


def test_agent_resuming_is_sent_as_not_by_the_contact(
    subscription, taken_room, agent, commit, sent
):
    with commit():
        put_on_hold(agent, taken_room)
        resume_room(agent, taken_room)

    body = sent()["room.resumed"]

    assert body["data"]["by_contact"] is False
    assert body["data"]["room"]["on_hold"] is False
    assert body["actor"]["id"] == agent.pk


def test_contact_writing_to_a_chat_on_hold_is_sent_as_resumed_by_the_contact(
    subscription, taken_room, agent, write_as_contact, commit, sent
):
    with commit():
        put_on_hold(agent, taken_room)
        write_as_contact("I'm back")

    body = sent()["room.resumed"]

    assert body["data"]["by_contact"] is True
    assert body["actor"] is None


def test_priority_change_is_sent_with_the_previous_priority(
    subscription, taken_room, agent, commit, sent
):
    with commit():
        set_service_level(agent, taken_room, priority="urgent")

    data = sent()["room.service_level_changed"]["data"]

    assert (data["priority"], data["previous_priority"]) == ("urgent", "normal")
    assert data["room"]["priority"] == "urgent"


def test_sla_change_is_sent_with_the_new_due_time(
    subscription, taken_room, agent, supervisor, commit, sent
):
    policy = save_sla_policy(supervisor, None, name="Fast", first_response_minutes=15)
    with commit():
        room = set_service_level(supervisor, taken_room, sla_policy=policy)

    data = sent()["room.service_level_changed"]["data"]

    assert data["first_response_due_at"] == room.first_response_due_at.isoformat()
    assert data["previous_first_response_due_at"] is None


def test_priority_change_keeps_the_due_time_the_room_has(
    subscription, taken_room, agent, supervisor, commit, sent
):
    policy = save_sla_policy(supervisor, None, name="Fast", first_response_minutes=15)
    room = set_service_level(supervisor, taken_room, sla_policy=policy)
    with commit():
        set_service_level(agent, room, priority="high")

    data = sent()["room.service_level_changed"]["data"]

    due = room.first_response_due_at.isoformat()
    assert (data["first_response_due_at"], data["previous_first_response_due_at"]) == (due, due)
