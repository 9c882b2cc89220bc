"""The Redis channel layer's one reader per process (omnichannel/layers.py)."""

import asyncio
import secrets

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
