"""The Chats tab: every visible room with filters, and a closed room read-only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from directory.models import Channel
from directory.services import get_or_create_contact
from queues.services import take_room
from rooms.models import Room
from rooms.services import receive_contact_message

pytestmark = pytest.mark.django_db

CHATS = reverse("contact-center-chats")


def rows(client, **params) -> str:
    response = client.get(
        CHATS, params, headers={"HX-Request": "true", "HX-Target": "chat-results"}
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def rooms(write_as_contact, agent, other_agent, close, department):
    """Open (Ana, queued), taken by other_agent (Bruno), closed with tags (Carla, yesterday)."""
    ana = write_as_contact(visitor="a", name="Ana Open").room
    bruno = take_room(other_agent, write_as_contact(visitor="b", name="Bruno Taken").room)
    carla = close(
        write_as_contact(visitor="c", name="Carla Closed").room,
        comment="Refund issued by card",
        tags=["billing"],
    )
    Room.objects.filter(pk=carla.pk).update(created_at=timezone.now() - timedelta(days=1))
    return {"ana": ana, "bruno": bruno, "carla": carla}


def test_chats_tab_lists_open_and_closed_rooms_with_their_columns(client, agent, rooms):
    client.force_login(agent)

    page = rows(client)

    for name in ("Ana Open", "Bruno Taken", "Carla Closed"):
        assert name in page
    assert "Support" in page
    assert "billing" in page
    assert "3 chats" in page


def test_filter_by_status(client, agent, rooms):
    client.force_login(agent)

    page = rows(client, status="closed")

    assert "Carla Closed" in page
    assert "Ana Open" not in page


def test_filter_by_agent(client, agent, other_agent, rooms):
    client.force_login(agent)

    page = rows(client, agent=other_agent.pk)

    assert "Bruno Taken" in page
    assert "Carla Closed" not in page


def test_filter_by_tag_ignores_case(client, agent, rooms):
    client.force_login(agent)

    page = rows(client, tag="BILLING")

    assert "Carla Closed" in page
    assert "Bruno Taken" not in page


def test_filter_by_closing_comment_text(client, agent, rooms):
    client.force_login(agent)

    page = rows(client, comment="by card")

    assert "Carla Closed" in page
    assert "Ana Open" not in page


def test_filter_by_date_range(client, agent, rooms):
    client.force_login(agent)
    today = timezone.localdate()

    page = rows(client, created_from=today.isoformat(), created_to=today.isoformat())

    assert "Ana Open" in page
    assert "Carla Closed" not in page


def test_filter_by_channel_and_department(client, supervisor, rooms, department):
    contact, _ = get_or_create_contact(channel=Channel.API, external_id="crm-1", name="Dana Api")
    receive_contact_message(contact=contact, channel=Channel.API, department=department, text="hi")
    client.force_login(supervisor)

    page = rows(client, channel=Channel.API, department=department.pk)

    assert "Dana Api" in page
    assert "Ana Open" not in page


def test_agent_cannot_filter_by_a_department_not_theirs(client, agent, rooms, sales_room):
    client.force_login(agent)

    page = rows(client, department=sales_room.department.pk)

    assert "Sam Sales" not in page
    assert (
        "Select a valid choice"
        in client.get(CHATS, {"department": sales_room.department.pk}).content.decode()
    )


def test_invalid_filter_values_never_error(client, agent, rooms):
    client.force_login(agent)

    response = client.get(
        CHATS, {"created_from": "yesterday", "agent": "x", "status": "?", "comment": "a\x00b'("}
    )

    assert response.status_code == 200


def test_closed_room_opens_read_only_with_history_comment_and_tags(client, agent, rooms):
    client.force_login(agent)

    page = client.get(reverse("contact-center-chat", args=[rooms["carla"].pk])).content.decode()

    assert "Hello, I need help" in page
    assert "Refund issued by card" in page
    assert "billing" in page
    assert "closed the conversation" in page
    assert 'name="text"' not in page
    assert "Retry" not in page


def test_closed_room_links_to_the_read_only_page_and_open_rooms_to_the_room(client, agent, rooms):
    client.force_login(agent)

    page = rows(client)

    assert reverse("contact-center-chat", args=[rooms["carla"].pk]) in page
    assert reverse("room", args=[rooms["ana"].pk]) in page


def test_chats_page_queries_do_not_grow_with_the_page(client, agent, write_as_contact, close):
    close(write_as_contact(visitor="first").room, tags=["one"])
    client.force_login(agent)
    client.get(CHATS)
    with CaptureQueriesContext(connection) as one:
        client.get(CHATS)
    for number in range(10):
        close(write_as_contact(visitor=f"n{number}").room, tags=["one", "two"])

    with CaptureQueriesContext(connection) as many:
        client.get(CHATS)

    assert len(many) == len(one)
