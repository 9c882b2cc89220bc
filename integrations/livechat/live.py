"""After-commit hints to website visitors' sockets: their conversation changed.

The widget answers a hint by fetching its conversation after the last message it shows, so
events arriving out of order or not at all never leave a gap.
"""

from directory.models import Channel
from omnichannel.models import Event
from omnichannel.realtime import publish, visitor_group
from rooms.models import Room

VISITOR_EVENTS = {
    "message.created",
    "room.taken",
    "room.returned",
    "room.closed",
    "room.transferred",
}


def on_event(event: Event) -> None:
    if event.name not in VISITOR_EVENTS or not event.room_id:
        return
    room = Room.objects.filter(pk=event.room_id, channel=Channel.LIVECHAT).only(
        "contact_id", "status"
    )
    room = room.first()
    if room is None:
        return
    publish(
        [visitor_group(room.contact_id)],
        {"type": "conversation.changed", "status": room.status, "event": event.name},
    )
