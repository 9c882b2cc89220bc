"""Group names and the one way to publish a live event. A leaf: imports no app."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

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


def publish(groups: list[str], event: dict) -> None:
    """Send one event to each group. Called after commit; a layer failure is logged, not raised."""
    if _size(event) > MAX_EVENT_BYTES:
        event = {"type": "refresh", "reason": "too_big", "for": event.get("type")}
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for group in groups:
        try:
            send(group, {"type": "live.event", "event": event})
        except Exception:
            logger.exception("Could not publish %s to %s", event.get("type"), group)
