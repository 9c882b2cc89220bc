"""Which messages change what the room information shows (rooms.live.changes_room_information):
a live update leaves the panel out when it cannot have changed."""

import pytest
from django.utils import timezone, translation

from rooms.live import changes_room_information, room_info_html
from rooms.models import Room
from rooms.selectors import room_information_relations
from rooms.services import post_agent_message

pytestmark = pytest.mark.django_db


def with_information(room_id: int) -> Room:
    return Room.objects.select_related(*room_information_relations()).get(pk=room_id)


def panel(room_id: int) -> str:
    with translation.override("en"), timezone.override("UTC"):
        return room_info_html(with_information(room_id))


def test_a_contacts_message_in_a_served_chat_changes_nothing_the_panel_shows(
    taken_room, write_as_contact
):
    before = panel(taken_room.pk)

    message = write_as_contact("Are you still there?")

    assert message.room_id == taken_room.pk
    assert not changes_room_information(message, with_information(taken_room.pk))
    # If the panel ever shows what a contact's message changes, this fails: then
    # changes_room_information() must say so, or the agents' panels go stale.
    assert panel(taken_room.pk) == before


def test_an_agents_reply_changes_the_panel(taken_room, agent, write_as_contact):
    write_as_contact("Hello?")

    message = post_agent_message(agent, taken_room, text="Here I am")

    assert changes_room_information(message, with_information(taken_room.pk))


def test_a_contacts_message_in_a_queued_chat_changes_the_panel(queued_room, write_as_contact):
    message = write_as_contact("Anyone?")

    assert message.room_id == queued_room.pk
    assert changes_room_information(message, with_information(queued_room.pk))
