"""Where a waiting chat stands: its position, the estimated wait, shown to the visitor."""

import hashlib
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django.utils import timezone

from directory.models import Channel
from directory.services import get_or_create_contact
from queues.selectors import estimated_wait_minutes, queue_position
from queues.services import take_room
from rooms.models import Room
from rooms.services import receive_contact_message
from tests.live.test_consumers import agent_socket, next_of, visitor_socket

FIRST, SECOND = "f" * 43, "s" * 43


def visitor_writes(department, token: str) -> Room:
    contact, _ = get_or_create_contact(
        channel=Channel.LIVECHAT, external_id=hashlib.sha256(token.encode()).hexdigest()
    )
    message = receive_contact_message(
        contact=contact, channel=Channel.LIVECHAT, department=department, text="Hello"
    )
    return message.room


@pytest.mark.django_db
def test_position_counts_the_chats_served_before(department):
    first = visitor_writes(department, FIRST)
    second = visitor_writes(department, SECOND)
    Room.objects.filter(pk=second.pk).update(priority=Room.Priority.HIGH)
    first.refresh_from_db()
    second.refresh_from_db()

    assert (queue_position(second), queue_position(first)) == (1, 2)


@pytest.mark.django_db
def test_estimated_wait_follows_the_pace_of_the_last_hour(department, agent, write_as_contact):
    now = timezone.now()
    for visitor, minutes_ago in (("a", 59), ("b", 40), ("c", 20), ("old", 120)):
        room = take_room(agent, write_as_contact(visitor=visitor).room)
        Room.objects.filter(pk=room.pk).update(taken_at=now - timedelta(minutes=minutes_ago))

    # Three chats served in the last hour, the first 59 minutes ago: one every ~20 minutes.
    assert estimated_wait_minutes(department.pk, 2) == 40


@pytest.mark.django_db
def test_no_estimate_without_chats_served_lately(department):
    assert estimated_wait_minutes(department.pk, 1) is None


@pytest.mark.django_db
def test_waiting_visitor_reads_their_position_and_wait(client, department, agent, write_as_contact):
    take_room(agent, write_as_contact(visitor="served").room)
    visitor_writes(department, FIRST)
    visitor_writes(department, SECOND)

    response = client.get(
        reverse("livechat:conversation", args=[department.slug]),
        headers={"X-Visitor-Token": SECOND},
    )

    assert "You are number 2 in the queue, estimated wait 2 min" in response.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_visitor_is_told_their_new_position_live(department, agent):
    await sync_to_async(visitor_writes)(department, FIRST)
    room = await sync_to_async(visitor_writes)(department, SECOND)
    socket = await visitor_socket(token=SECOND)
    await next_of(socket, "hello")

    first_room = await sync_to_async(Room.objects.exclude(pk=room.pk).get)()
    await sync_to_async(take_room)(agent, first_room)

    frame = await next_of(socket, "queue.position")
    assert (frame["room"], frame["position"], frame["wait_minutes"]) == (room.pk, 1, 1)
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_agent_given_a_chat_is_told_live(department, agent, other_agent):
    from queues.services import transfer_to_agent

    room = await sync_to_async(visitor_writes)(department, FIRST)
    room = await sync_to_async(take_room)(agent, room)
    socket = await agent_socket(other_agent)

    await sync_to_async(transfer_to_agent)(
        agent,
        room,
        other_agent,
        expected_status="taken",
        expected_agent_id=agent.pk,
        comment="VIP customer",
    )

    frame = await next_of(socket, "room.assigned")
    assert (frame["room"], frame["comment"], frame["by"]) == (
        room.pk,
        "VIP customer",
        agent.display_name,
    )
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_agent_routed_a_chat_is_told_live(department, agent, supervisor):
    from queues.services import configure_routing

    await sync_to_async(configure_routing)(supervisor, department, policy="auto")
    socket = await agent_socket(agent)

    room = await sync_to_async(visitor_writes)(department, FIRST)

    frame = await next_of(socket, "room.assigned")
    assert (frame["room"], frame["routed"]) == (room.pk, True)
    await socket.disconnect()


@pytest.mark.django_db
def test_visitor_does_not_see_the_internal_note_of_a_priority_change(client, department, agent):
    from queues.services import set_service_level

    room = take_room(agent, visitor_writes(department, FIRST))
    set_service_level(agent, room, priority="urgent")

    response = client.get(
        reverse("livechat:conversation", args=[department.slug]), headers={"X-Visitor-Token": FIRST}
    )

    note = room.messages.get(system_code="priority")
    assert f'data-message-id="{note.pk}" hidden>' in response.content.decode()
