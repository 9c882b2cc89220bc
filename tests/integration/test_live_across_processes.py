"""Live updates across server processes through Redis, with real sockets."""

import asyncio
import json
import secrets

import pytest
import requests
import websockets
from asgiref.sync import sync_to_async
from django.db import connection

from tests.live.test_consumers import session_cookie
from tests.servers import daphne, database_url_for_servers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


async def open_agent_socket(base_url: str, cookie: bytes):
    socket = await websockets.connect(
        base_url.replace("http", "ws") + "/ws/live/",
        additional_headers={"Cookie": cookie.decode(), "Origin": base_url},
    )
    hello = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert hello["type"] == "hello"
    return socket


async def next_frame(socket, kind: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == kind:
                return frame


def visitor_writes(base_url: str, text: str) -> int:
    response = requests.post(
        f"{base_url}/livechat/support/messages/",
        data={"text": text},
        headers={"X-Visitor-Token": secrets.token_urlsafe(32)},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture(autouse=True)
async def _close_worker_thread_connection():
    """sync_to_async runs ORM calls in a worker thread; give its connection back."""
    yield
    await sync_to_async(lambda: connection.close())()


@pytest.fixture(params=["lists", "pubsub"])
def two_servers(request, settings):
    """Two Daphne processes on one Redis, with either channel layer (CHANNEL_LAYER)."""
    database_url = database_url_for_servers()
    layer = {"CHANNEL_LAYER": request.param}
    with daphne(database_url, **layer) as first, daphne(database_url, **layer) as second:
        yield first, second


async def test_message_received_by_one_server_reaches_a_socket_on_the_other(
    two_servers, agent, department
):
    first, second = two_servers
    cookie = await sync_to_async(session_cookie)(agent)
    socket = await open_agent_socket(second, cookie)

    await asyncio.to_thread(visitor_writes, first, "Sent through the first server")

    frame = await next_frame(socket, "queue.added")
    assert "guest-" in frame["html"]
    await socket.close()


async def test_idle_socket_on_redis_stays_open_past_five_seconds(two_servers, agent, department):
    first, _ = two_servers
    cookie = await sync_to_async(session_cookie)(agent)
    socket = await open_agent_socket(first, cookie)

    await asyncio.sleep(8)  # redis-py 8's default 5 s socket timeout used to drop it here
    await asyncio.to_thread(visitor_writes, first, "Still there?")

    assert (await next_frame(socket, "queue.added"))["type"] == "queue.added"
    await socket.close()
