"""The live sockets, against the full ASGI app, on whichever channel layer is configured."""

import asyncio
import hashlib

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from accounts.models import User
from accounts.services import set_queue_enabled, settle_presence
from directory.models import Channel
from directory.services import get_or_create_contact
from omnichannel.asgi import application
from queues.services import return_to_queue, take_room
from rooms.services import close_room, post_agent_message, receive_contact_message

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
VISITOR_TOKEN = "v" * 43


def session_cookie(user: User) -> bytes:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"sessionid={session.session_key}".encode()


async def agent_socket(user: User, origin=ORIGIN) -> WebsocketCommunicator:
    cookie = await sync_to_async(session_cookie)(user)
    socket = WebsocketCommunicator(application, "/ws/live/", headers=[origin, (b"cookie", cookie)])
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from(timeout=2))["type"] == "hello"
    return socket


async def watching_socket(user: User, room) -> WebsocketCommunicator:
    """The agent's socket, watching the room (its page open)."""
    socket = await agent_socket(user)
    await socket.send_json_to({"type": "watch", "room": room.pk})
    assert (await next_of(socket, "watching"))["room"] == room.pk
    return socket


async def next_of(socket: WebsocketCommunicator, kind: str, timeout: float = 2) -> dict:
    """The next frame of this type, skipping others (presence, counters)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        frame = await socket.receive_json_from(timeout=max(remaining, 0.01))
        if frame["type"] == kind:
            return frame


async def nothing_of(socket: WebsocketCommunicator, kind: str, timeout: float = 0.5) -> bool:
    """True when no frame of this type arrives (receive_nothing keeps the socket alive)."""
    while not await socket.receive_nothing(timeout=timeout):
        if (await socket.receive_json_from())["type"] == kind:
            return False
    return True


def contact_writes(department, text="Hello", visitor=VISITOR_TOKEN):
    contact, _ = get_or_create_contact(
        channel=Channel.LIVECHAT, external_id=hashlib.sha256(visitor.encode()).hexdigest()
    )
    return receive_contact_message(
        contact=contact, channel=Channel.LIVECHAT, department=department, text=text
    )


async def test_anonymous_socket_is_refused():
    socket = WebsocketCommunicator(application, "/ws/live/", headers=[ORIGIN])

    connected, _ = await socket.connect()

    assert not connected
    await socket.disconnect()


async def test_socket_from_a_foreign_origin_is_refused(agent):
    cookie = await sync_to_async(session_cookie)(agent)
    socket = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)],
    )

    connected, _ = await socket.connect()

    assert not connected
    await socket.disconnect()


async def test_new_queued_chat_reaches_every_eligible_agent(agent, other_agent, department):
    first, second = await agent_socket(agent), await agent_socket(other_agent)

    message = await sync_to_async(contact_writes)(department)

    for socket in (first, second):
        frame = await next_of(socket, "queue.added")
        assert frame["room"] == message.room_id
        assert message.room.contact.display_name in frame["html"]
        await socket.disconnect()


@pytest.mark.redis
async def test_a_queue_event_is_encoded_once_for_all_the_sockets_of_a_process(
    agent, other_agent, department, monkeypatch
):
    import json

    encoded: list[str] = []
    dumps = json.dumps

    def counting_dumps(value, *args, **kwargs):
        if isinstance(value, dict) and value.get("type") == "queue.added":
            encoded.append(value["type"])
        return dumps(value, *args, **kwargs)

    first, second = await agent_socket(agent), await agent_socket(other_agent)
    monkeypatch.setattr(json, "dumps", counting_dumps)

    message = await sync_to_async(contact_writes)(department)

    for socket in (first, second):
        assert (await next_of(socket, "queue.added"))["room"] == message.room_id
        await socket.disconnect()
    # Once to measure it before publishing, once for both sockets.
    assert encoded == ["queue.added", "queue.added"]


async def test_agent_of_another_department_gets_no_queue_event(outsider_agent, department):
    socket = await agent_socket(outsider_agent)

    await sync_to_async(contact_writes)(department)

    assert await nothing_of(socket, "queue.added")
    await socket.disconnect()


async def test_taken_chat_leaves_the_other_agents_list_with_the_takers_name(
    agent, other_agent, department
):
    room = (await sync_to_async(contact_writes)(department)).room
    socket = await agent_socket(other_agent)

    await sync_to_async(take_room)(agent, room)

    frame = await next_of(socket, "queue.removed")
    assert frame["room"] == room.pk
    assert frame["taken_by"] == agent.display_name
    await socket.disconnect()


async def test_agent_watching_a_room_is_told_who_took_it(agent, other_agent, department):
    room = (await sync_to_async(contact_writes)(department)).room
    socket = await agent_socket(other_agent)
    await socket.send_json_to({"type": "watch", "room": room.pk})
    assert (await next_of(socket, "watching"))["room"] == room.pk

    await sync_to_async(take_room)(agent, room)

    frame = await next_of(socket, "room.changed")
    assert frame["event"] == "room.taken"
    assert frame["agent"] == agent.display_name
    assert "Taken at" in frame["info_html"]
    await socket.disconnect()


async def test_returned_chat_reappears_in_the_queue(agent, other_agent, department):
    room = (await sync_to_async(contact_writes)(department)).room
    await sync_to_async(take_room)(agent, room)
    socket = await agent_socket(other_agent)

    await sync_to_async(return_to_queue)(agent, room)

    assert (await next_of(socket, "queue.added"))["room"] == room.pk
    await socket.disconnect()


async def test_new_message_appears_in_the_watched_room_with_fresh_room_information(
    agent, department
):
    room = (await sync_to_async(contact_writes)(department)).room
    await sync_to_async(take_room)(agent, room)
    socket = await watching_socket(agent, room)

    await sync_to_async(post_agent_message)(agent, room, text="*On it*")

    frame = await next_of(socket, "message.created")
    assert "<strong>On it</strong>" in frame["html"]
    assert "Average response time" in frame["info_html"]
    await socket.disconnect()


async def test_a_contacts_message_in_a_served_chat_comes_without_the_unchanged_information(
    agent, department
):
    room = (await sync_to_async(contact_writes)(department)).room
    await sync_to_async(take_room)(agent, room)
    socket = await watching_socket(agent, room)

    await sync_to_async(contact_writes)(department, "Still there?")

    frame = await next_of(socket, "message.created")
    assert "Still there?" in frame["html"]
    assert "info_html" not in frame
    await socket.disconnect()


async def test_a_contacts_message_in_a_queued_chat_comes_with_its_queue_time(agent, department):
    room = (await sync_to_async(contact_writes)(department)).room
    socket = await watching_socket(agent, room)

    await sync_to_async(contact_writes)(department, "Anyone?")

    frame = await next_of(socket, "message.created")
    assert "Queue time" in frame["info_html"]
    await socket.disconnect()


async def test_watching_a_room_one_may_not_see_is_refused(outsider_agent, department):
    room = (await sync_to_async(contact_writes)(department)).room
    socket = await agent_socket(outsider_agent)

    await socket.send_json_to({"type": "watch", "room": room.pk})

    assert (await next_of(socket, "error"))["code"] == "not_found"
    await sync_to_async(contact_writes)(department, text="secret")
    assert await nothing_of(socket, "message.created")
    await socket.disconnect()


async def test_malformed_frames_get_error_frames(agent):
    socket = await agent_socket(agent)

    await socket.send_to(text_data="not json")
    assert (await next_of(socket, "error"))["code"] == "malformed"
    await socket.send_json_to(["a", "list"])
    assert (await next_of(socket, "error"))["code"] == "malformed"
    await socket.send_json_to({"type": "watch", "room": "1; DROP TABLE"})
    assert (await next_of(socket, "error"))["code"] == "malformed"
    await socket.send_json_to({"type": "launch"})
    assert (await next_of(socket, "error"))["code"] == "unknown_type"
    await socket.disconnect()


async def test_switching_the_queue_off_stops_queue_events_at_once(agent, department):
    socket = await agent_socket(agent)

    await sync_to_async(set_queue_enabled)(agent, enabled=False)
    await next_of(socket, "subscriptions.changed")
    await sync_to_async(contact_writes)(department)

    assert await nothing_of(socket, "queue.added")
    await socket.disconnect()


async def test_joining_a_department_takes_effect_without_signing_in_again(agent, other_department):
    from accounts.models import Department
    from accounts.services import set_agent_departments

    socket = await agent_socket(agent)
    departments = await sync_to_async(lambda: list(Department.objects.all()))()

    await sync_to_async(set_agent_departments)(agent, departments)
    await next_of(socket, "subscriptions.changed")
    await sync_to_async(contact_writes)(other_department)

    assert (await next_of(socket, "queue.added"))["type"] == "queue.added"
    await socket.disconnect()


async def test_agent_is_online_while_a_tab_is_connected_and_offline_after(agent):
    await sync_to_async(User.objects.filter(pk=agent.pk).update)(status=User.Status.OFFLINE)
    socket = await agent_socket(agent)
    await sync_to_async(agent.refresh_from_db)()
    assert agent.status == User.Status.ONLINE

    await socket.disconnect()
    await sync_to_async(settle_presence)(agent)  # what the grace timer runs

    await sync_to_async(agent.refresh_from_db)()
    assert agent.status == User.Status.OFFLINE


async def test_presence_stays_online_while_another_tab_is_open(agent):
    first, second = await agent_socket(agent), await agent_socket(agent)

    await first.disconnect()
    await sync_to_async(settle_presence)(agent)

    await sync_to_async(agent.refresh_from_db)()
    assert agent.status == User.Status.ONLINE
    await second.disconnect()


async def visitor_socket(token=VISITOR_TOKEN) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, "/ws/livechat/support/", headers=[ORIGIN])
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "hello", "token": token})
    return socket


async def test_visitor_is_told_when_the_agent_replies(agent, department):
    room = (await sync_to_async(contact_writes)(department)).room
    await sync_to_async(take_room)(agent, room)
    socket = await visitor_socket()
    assert (await next_of(socket, "hello"))["type"] == "hello"

    await sync_to_async(post_agent_message)(agent, room, text="Hi!")

    assert (await next_of(socket, "conversation.changed"))["event"] == "message.created"
    await socket.disconnect()


async def test_visitor_is_told_when_the_conversation_closes(agent, department):
    room = (await sync_to_async(contact_writes)(department)).room
    await sync_to_async(take_room)(agent, room)
    socket = await visitor_socket()
    await next_of(socket, "hello")

    await sync_to_async(close_room)(agent, room, comment="done")

    frame = await next_of(socket, "conversation.changed")
    assert frame["status"] == "closed"
    await socket.disconnect()


async def test_unknown_visitor_token_is_refused(department):
    socket = await visitor_socket(token="u" * 43)

    assert (await next_of(socket, "error"))["code"] == "unknown_visitor"
    assert (await socket.receive_output(timeout=1))["type"] == "websocket.close"


async def test_visitor_never_hears_another_visitors_conversation(agent, department):
    await sync_to_async(contact_writes)(department, visitor="a" * 43)
    theirs = (await sync_to_async(contact_writes)(department, visitor="b" * 43)).room
    await sync_to_async(take_room)(agent, theirs)
    socket = await visitor_socket(token="a" * 43)
    await next_of(socket, "hello")

    await sync_to_async(post_agent_message)(agent, theirs, text="private")

    assert await nothing_of(socket, "conversation.changed")
    await socket.disconnect()


async def test_typing_reaches_the_other_side(agent, department):
    room = (await sync_to_async(contact_writes)(department)).room
    await sync_to_async(take_room)(agent, room)
    agent_tab = await agent_socket(agent)
    await agent_tab.send_json_to({"type": "watch", "room": room.pk})
    await next_of(agent_tab, "watching")
    visitor = await visitor_socket()
    await next_of(visitor, "hello")

    await agent_tab.send_json_to({"type": "typing", "room": room.pk, "active": True})
    assert (await next_of(visitor, "typing"))["who"] == "agent"
    await visitor.send_json_to({"type": "typing", "active": True})
    assert (await next_of(agent_tab, "typing"))["who"] == "contact"

    await agent_tab.disconnect()
    await visitor.disconnect()


async def test_visitor_frames_before_hello_are_refused():
    socket = WebsocketCommunicator(application, "/ws/livechat/support/", headers=[ORIGIN])
    await socket.connect()

    await socket.send_json_to({"type": "typing", "active": True})

    assert (await next_of(socket, "error"))["code"] == "unauthenticated"
    await socket.disconnect()


@pytest.mark.redis
async def test_a_burst_of_sockets_connects_and_leaves_cleanly(department):
    """redis-py 8 caps a pool at 100 connections; a reconnect storm must not break sockets."""
    from accounts.models import AgentConnection
    from tests.factories import AgentFactory

    agents = await sync_to_async(
        lambda: [AgentFactory(departments=[department], queue_enabled=True) for _ in range(150)]
    )()
    cookies = [await sync_to_async(session_cookie)(agent) for agent in agents]

    async def connect(cookie):
        socket = WebsocketCommunicator(
            application, "/ws/live/", headers=[ORIGIN, (b"cookie", cookie)]
        )
        connected, _ = await socket.connect(timeout=20)
        assert connected
        assert (await socket.receive_json_from(timeout=20))["type"] == "hello"
        return socket

    sockets = await asyncio.gather(*(connect(cookie) for cookie in cookies))
    await asyncio.gather(*(socket.disconnect(timeout=20) for socket in sockets))

    assert await sync_to_async(AgentConnection.objects.count)() == 0
