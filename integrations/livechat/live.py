"""After-commit hints to website visitors' sockets: their conversation changed.

The widget answers a hint by fetching its conversation after the last message it shows, so
events arriving out of order or not at all never leave a gap.
"""

from directory.models import Channel
from omnichannel.events import dispatch_cache
from omnichannel.models import Event
from omnichannel.realtime import publish, publish_each, visitor_group
from queues.selectors import queue_positions, served_per_minute, wait_minutes
from rooms.live import event_room

VISITOR_EVENTS = {
    "message.created",
    "room.taken",
    "room.returned",
    "room.closed",
    "room.transferred",
    # An agent edited or deleted a message the visitor has: their widget shows it again.
    "message.edited",
    "message.deleted",
}


# Events after which the waiting chats of a department may have moved in its queue.
QUEUE_EVENTS = {
    "room.queued",
    "room.taken",
    "room.returned",
    "room.closed",
    "room.transferred",
    "room.service_level_changed",
}
# Visitors told their new place per change: the first ones of a long queue. Those further back
# see theirs when their widget fetches the conversation (every 15 s at most).
POSITION_FANOUT = 100


def publish_queue_positions(department_id: int) -> int:
    """Tell each waiting website visitor of the department their place and estimated wait."""
    waiting = queue_positions(department_id, limit=POSITION_FANOUT)
    visitors = [
        (position, room_id, contact_id)
        for position, (room_id, contact_id, channel) in enumerate(waiting, start=1)
        if channel == Channel.LIVECHAT
    ]
    if not visitors:
        return 0
    pace = served_per_minute(department_id)
    publish_each(
        [
            (
                visitor_group(contact_id),
                {
                    "type": "queue.position",
                    "room": room_id,
                    "position": position,
                    "wait_minutes": wait_minutes(position, pace),
                },
            )
            for position, room_id, contact_id in visitors
        ]
    )
    return len(visitors)


def _queue_departments(event: Event) -> set[int]:
    data = event.data or {}
    departments = {data.get("department"), data.get("previous_department")} - {None}
    room = event_room(event) if not departments else None
    if room is not None:
        departments = {room.department_id}
    return departments


def on_event(event: Event) -> None:
    if event.name in QUEUE_EVENTS:
        # Once per department for the events dispatched together: they all committed before
        # the first is dispatched, so the places read then already count every one of them.
        told = dispatch_cache(event).setdefault("queue_positions_told", set())
        for department_id in _queue_departments(event) - told:
            told.add(department_id)
            publish_queue_positions(department_id)
    if event.name not in VISITOR_EVENTS or not event.room_id:
        return
    if (event.data or {}).get("thread"):
        return  # thread replies are agent-internal: the visitor never hears of them
    room = event_room(event)
    if room is None or room.channel != Channel.LIVECHAT:
        return
    publish(
        [visitor_group(room.contact_id)],
        {
            "type": "conversation.changed",
            "status": room.status,
            "event": event.name,
            "message": (event.data or {}).get("message"),
        },
    )
