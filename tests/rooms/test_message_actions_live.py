"""Message actions in customer rooms reach the watching agents live, and the visitor's widget
only for what the visitor may see (edits and deletions, never reactions or threads)."""

import pytest
from asgiref.sync import sync_to_async

from queues.services import take_room
from rooms.services import (
    delete_room_message,
    edit_room_message,
    post_agent_message,
    reply_in_thread,
    toggle_room_reaction,
)
from tests.live.test_consumers import (
    agent_socket,
    contact_writes,
    next_of,
    nothing_of,
    visitor_socket,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


def serve(agent, department):
    question = contact_writes(department, text="Where is my order?")
    room = take_room(agent, question.room)
    answer = post_agent_message(agent, room, text="It ships tomorow")
    return room, question, answer


async def watching(user, room):
    socket = await agent_socket(user)
    await socket.send_json_to({"type": "watch", "room": room.pk})
    await next_of(socket, "watching")
    return socket


async def test_supervisor_watching_sees_an_edit_live(agent, supervisor, department):
    room, _question, answer = await sync_to_async(serve)(agent, department)
    socket = await watching(supervisor, room)

    await sync_to_async(edit_room_message)(agent, answer, text="It ships tomorrow")

    frame = await next_of(socket, "message.updated")
    assert frame["message"] == answer.pk
    assert "It ships tomorrow" in frame["html"]
    assert "(edited)" in frame["html"]
    await socket.disconnect()


async def test_supervisor_watching_sees_a_thread_reply_live(agent, supervisor, department):
    room, question, _answer = await sync_to_async(serve)(agent, department)
    socket = await watching(supervisor, room)

    await sync_to_async(reply_in_thread)(agent, question, text="Checking the carrier")

    frame = await next_of(socket, "message.thread_reply")
    assert (frame["thread"], "Checking the carrier" in frame["html"]) == (question.pk, True)
    assert "1 reply" in frame["parent_html"]
    await socket.disconnect()


async def test_visitor_is_told_which_message_was_edited(agent, department):
    _room, _question, answer = await sync_to_async(serve)(agent, department)
    socket = await visitor_socket()
    await next_of(socket, "hello")

    await sync_to_async(delete_room_message)(agent, answer)

    frame = await next_of(socket, "conversation.changed")
    assert (frame["event"], frame["message"]) == ("message.deleted", answer.pk)
    await socket.disconnect()


async def test_visitor_hears_nothing_of_reactions_or_thread_replies(agent, department):
    _room, question, _answer = await sync_to_async(serve)(agent, department)
    socket = await visitor_socket()
    await next_of(socket, "hello")

    await sync_to_async(toggle_room_reaction)(agent, question, emoji="\U0001f44d")
    await sync_to_async(reply_in_thread)(agent, question, text="internal")

    assert await nothing_of(socket, "conversation.changed")
    await socket.disconnect()
