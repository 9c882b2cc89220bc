"""Live fragments are rendered in the installation's language, whoever caused the event."""

import pytest
from asgiref.sync import sync_to_async
from django.utils import translation

from tests.live.test_consumers import agent_socket, contact_writes, next_of

pytestmark = [pytest.mark.django_db(transaction=True)]


async def test_english_agent_gets_room_information_in_english_when_a_spanish_visitor_writes(
    agent, department
):
    room = (await sync_to_async(contact_writes)(department, "Hola")).room
    socket = await agent_socket(agent)
    await socket.send_json_to({"type": "watch", "room": room.pk})
    await next_of(socket, "watching")

    def spanish_visitor_writes() -> None:
        with translation.override("es"):
            contact_writes(department, "¿Hay alguien?")

    await sync_to_async(spanish_visitor_writes)()
    frame = await next_of(socket, "message.created")
    await socket.disconnect()

    assert "Room information" in frame["info_html"]
