"""The Redis channel layer's one reader per process (omnichannel/layers.py)."""

import asyncio
import secrets
import threading
import time

import pytest
import redis.exceptions
from django.conf import settings

from omnichannel.layers import RedisChannelLayer


def layer_at(address: str, prefix: str = "", **options) -> RedisChannelLayer:
    # A prefix of its own: parallel test runs share the Redis database.
    return RedisChannelLayer(
        hosts=[{"address": address}], prefix=prefix or f"t{secrets.token_hex(4)}", **options
    )


def two_processes(**options) -> tuple[RedisChannelLayer, RedisChannelLayer]:
    """Two processes' layers on the same Redis and prefix: each has an inbox of its own."""
    prefix = f"t{secrets.token_hex(4)}"
    return (
        layer_at(settings.REDIS_URL, prefix, **options),
        layer_at(settings.REDIS_URL, prefix, **options),
    )


async def nothing_for(layer: RedisChannelLayer, socket: str) -> bool:
    try:
        await asyncio.wait_for(layer.receive(socket), 0.3)
    except TimeoutError:
        return True
    return False


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
async def test_a_group_message_reaches_the_sockets_of_every_process():
    first, second = two_processes()
    sockets = [await first.new_channel(), await second.new_channel(), await first.new_channel()]
    for layer, socket in zip((first, second, first), sockets, strict=True):
        await layer.group_add("room.7", socket)

    await first.group_send("room.7", {"type": "live.event", "n": 1})
    received = [
        await asyncio.wait_for(layer.receive(socket), 5)
        for layer, socket in zip((first, second, first), sockets, strict=True)
    ]

    assert received == [{"type": "live.event", "n": 1}] * 3
    await first.flush()


@pytest.mark.redis
async def test_group_messages_arrive_in_the_order_they_were_sent(layer):
    socket = await layer.new_channel()
    await layer.group_add("room.6", socket)

    for n in range(30):
        await layer.group_send("room.6", {"type": "live.event", "n": n})
    received = [(await asyncio.wait_for(layer.receive(socket), 5))["n"] for _ in range(30)]

    assert received == list(range(30))


@pytest.mark.redis
async def test_a_full_inbox_misses_a_group_message_that_another_process_gets():
    full, roomy = two_processes(capacity=1)
    busy, other = await full.new_channel(), await roomy.new_channel()
    await full.group_add("room.1", busy)
    for socket, layer in ((busy, full), (other, roomy)):
        await layer.group_add("room.2", socket)
    await roomy.group_send("room.1", {"type": "live.event", "n": 1})  # fills busy's inbox

    await roomy.group_send("room.2", {"type": "live.event", "n": 2})

    assert (await asyncio.wait_for(roomy.receive(other), 5))["n"] == 2
    assert (await asyncio.wait_for(full.receive(busy), 5))["n"] == 1
    assert await nothing_for(full, busy)
    await full.flush()


@pytest.mark.redis
async def test_a_member_past_the_group_expiry_is_sent_nothing(layer):
    gone, present = await layer.new_channel(), await layer.new_channel()
    for socket in (gone, present):
        await layer.group_add("room.3", socket)
    # As if it had joined longer ago than the group expiry (a process that died without leaving).
    stale = time.time() - layer.group_expiry - 10
    await layer.connection(0).zadd(layer._group_key("room.3"), {gone: stale})

    await layer.group_send("room.3", {"type": "live.event", "n": 3})

    assert (await asyncio.wait_for(layer.receive(present), 5))["n"] == 3
    assert await nothing_for(layer, gone)


@pytest.mark.redis
async def test_expired_messages_make_room_in_a_full_inbox():
    layer = layer_at(settings.REDIS_URL, capacity=1, expiry=60)
    socket = await layer.new_channel()
    await layer.group_add("room.4", socket)
    inbox = layer.prefix + layer.non_local_name(socket)
    # A message nobody read before it expired fills the inbox.
    await layer.connection(0).zadd(inbox, {b"expired": time.time() - 120})

    await layer.group_send("room.4", {"type": "live.event", "n": 4})

    assert (await asyncio.wait_for(layer.receive(socket), 5))["n"] == 4
    await layer.flush()


@pytest.mark.redis
async def test_a_group_message_is_sent_after_redis_forgot_the_script(layer):
    socket = await layer.new_channel()
    await layer.group_add("room.5", socket)
    await layer.group_send("room.5", {"type": "live.event", "n": 1})
    await layer.connection(0).script_flush()  # as after a Redis restart

    await layer.group_send("room.5", {"type": "live.event", "n": 2})

    received = [(await asyncio.wait_for(layer.receive(socket), 5))["n"] for _ in range(2)]
    assert received == [1, 2]


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
