"""The Redis channel layer's one reader per process (omnichannel/layers.py)."""

import asyncio
import secrets
import threading

import pytest
import redis.exceptions
from django.conf import settings

from omnichannel.layers import RedisChannelLayer


def layer_at(address: str) -> RedisChannelLayer:
    # A prefix of its own: parallel test runs share the Redis database.
    return RedisChannelLayer(hosts=[{"address": address}], prefix=f"t{secrets.token_hex(4)}")


@pytest.fixture
async def layer():
    layer = layer_at(settings.REDIS_URL)
    yield layer
    await layer.flush()


@pytest.mark.redis
async def test_a_group_message_reaches_every_socket_of_the_process(layer):
    sockets = [await layer.new_channel() for _ in range(50)]
    for socket in sockets:
        await layer.group_add("queue.1", socket)

    await layer.group_send("queue.1", {"type": "live.event", "event": {"room": 7}})
    received = await asyncio.gather(*(layer.receive(socket) for socket in sockets))

    assert received == [{"type": "live.event", "event": {"room": 7}}] * 50


@pytest.mark.redis
async def test_messages_wait_in_order_while_their_socket_is_busy(layer):
    socket, other = await layer.new_channel(), await layer.new_channel()
    listening = asyncio.ensure_future(layer.receive(other))  # the reader is running
    await asyncio.sleep(0.05)

    for n in range(3):
        await layer.send(socket, {"type": "live.event", "n": n})
    await asyncio.sleep(0.1)
    received = [(await layer.receive(socket))["n"] for _ in range(3)]

    assert received == [0, 1, 2]
    listening.cancel()


@pytest.mark.redis
async def test_a_closed_socket_leaves_the_others_receiving(layer):
    closing, staying = await layer.new_channel(), await layer.new_channel()
    for socket in (closing, staying):
        await layer.group_add("queue.1", socket)
    closed = asyncio.ensure_future(layer.receive(closing))
    await asyncio.sleep(0.05)
    closed.cancel()
    await asyncio.gather(closed, return_exceptions=True)

    await layer.group_send("queue.1", {"type": "live.event", "n": 1})

    assert (await asyncio.wait_for(layer.receive(staying), 5))["n"] == 1


async def test_every_waiting_socket_fails_when_redis_does_not_answer():
    layer = layer_at("redis://127.0.0.1:9/0")  # nothing listens on the discard port
    sockets = [await layer.new_channel() for _ in range(3)]

    results = await asyncio.wait_for(
        asyncio.gather(*(layer.receive(socket) for socket in sockets), return_exceptions=True), 10
    )

    assert all(isinstance(result, redis.exceptions.ConnectionError) for result in results)


@pytest.mark.redis
def test_waiting_visitors_are_told_their_places_through_the_processs_publishing_loop(monkeypatch):
    """From a thread without an event loop (the dispatcher, a task), publishing reuses the
    process's one loop and its Redis connections instead of starting a loop per call."""
    from channels.layers import get_channel_layer

    from omnichannel.realtime import publish_each, visitor_group

    layer = get_channel_layer()
    sent: list[tuple[str, str, dict]] = []
    group_send = layer.group_send

    async def recording_group_send(group: str, message: dict) -> None:
        sent.append((threading.current_thread().name, group, message["event"]))
        await group_send(group, message)

    monkeypatch.setattr(layer, "group_send", recording_group_send)
    places = [
        (visitor_group(contact), {"type": "queue.position", "position": place})
        for place, contact in enumerate([41, 42], start=1)
    ]

    publish_each(places)
    publish_each(places[:1])

    assert sent == [
        ("realtime-publish", "visitor.41", {"type": "queue.position", "position": 1}),
        ("realtime-publish", "visitor.42", {"type": "queue.position", "position": 2}),
        ("realtime-publish", "visitor.41", {"type": "queue.position", "position": 1}),
    ]
