"""Group names and the one way to publish a live event. A leaf: imports no app."""

import asyncio
import logging
import os
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

# Channel layers refuse messages over ~1 MB; a bigger event becomes a "refresh" hint.
MAX_EVENT_BYTES = 256 * 1024


def agent_group(user_id: int) -> str:
    return f"agent.{user_id}"


def queue_group(department_id: int) -> str:
    return f"queue.{department_id}"


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def visitor_group(contact_id: int) -> str:
    """The website visitor's own socket(s): only their conversation's events."""
    return f"visitor.{contact_id}"


def _size(event: dict) -> int:
    import json

    return len(json.dumps(event, default=str))


def layer_is_shared() -> bool:
    """True when the channel layer reaches other threads and processes (Redis), not only the
    event loop of this one (the in-memory layer of tests and `make run` without Redis)."""
    layer = get_channel_layer()
    return layer is not None and not isinstance(layer, InMemoryChannelLayer)


def _deliverable(event: dict) -> dict:
    """The event, or when it is too big for the layer, a hint to fetch it instead."""
    if _size(event) > MAX_EVENT_BYTES:
        return {"type": "refresh", "reason": "too_big", "for": event.get("type")}
    return event


def publish(groups: list[str], event: dict) -> None:
    """Send one event to each group. Called after commit; a layer failure is logged, not raised."""
    event = _deliverable(event)
    # What the fragments were rendered in (see events.dispatch), so other readers re-fetch.
    event = {"lang": settings.LANGUAGE_CODE, "tz": settings.TIME_ZONE, **event}
    _send([(group, event) for group in groups])


def publish_each(messages: list[tuple[str, dict]]) -> None:
    """Send each group its own event, in one trip to the layer (many small events: a queue's
    waiting visitors told their places). A failure is logged per group, not raised."""
    _send([(group, _deliverable(event)) for group, event in messages])


def _send(messages: list[tuple[str, dict]]) -> None:
    """group_send each event to its group, in order, on the process's publishing loop."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for group, event in messages:
            try:
                await layer.group_send(group, {"type": "live.event", "event": event})
            except Exception:
                logger.exception("Could not publish %s to %s", event.get("type"), group)

    loop = _publishing_loop(layer)
    if loop is None:
        async_to_sync(send_all)()
        return
    try:
        asyncio.run_coroutine_threadsafe(send_all(), loop).result(PUBLISH_TIMEOUT_SECONDS)
    except Exception:
        logger.exception("Could not publish %s", ", ".join(sorted({g for g, _e in messages})))


# A shared layer (Redis) is published to from one event loop per process that lives as long
# as the process, so its connections are reused. `async_to_sync` from a thread without an event
# loop (a task worker, the sweeper) starts a thread, an event loop and a new Redis connection
# for every group_send (measured: 5.4 ms and 2.5 ms of CPU per publish against 1.0 ms and
# 0.5 ms this way); under Daphne it queues each publish behind the websocket work of the main
# loop. The in-memory layer (one process, tests) keeps async_to_sync: its queues belong to the
# loop that serves the sockets.
PUBLISH_TIMEOUT_SECONDS = 10
_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _publishing_loop(layer) -> asyncio.AbstractEventLoop | None:
    global _loop, _loop_pid
    if isinstance(layer, InMemoryChannelLayer):
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return None  # called on an event loop's own thread: async_to_sync says why not
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            _loop_pid = os.getpid()
            threading.Thread(target=_loop.run_forever, name="realtime-publish", daemon=True).start()
        return _loop
